"""Voting power from indexed rows: balances, Snapshot delegation, stakes, receipts, chains, weights."""

import pytest
from poll_ledger import Ledger, address

from sahara_dao.core.errors import ConfigError
from sahara_dao.core.units import UNIT
from sahara_dao.governance.strategies import (
    NotIndexedError,
    parse_strategies,
    resolve_snapshot,
    snapshot_states,
    to_float,
    voting_power,
)

ETH, BSC = 31337, 31338
ALICE, BOB, CAROL, DAVE, SURROGATE = (address(n) for n in (0xA11CE, 0xB0B, 0xCA501, 0xDA7E, 0x5E11))


def power(session, blocks, strategies, addresses, voters=()):
    parsed = parse_strategies(strategies)
    return voting_power(snapshot_states(session, blocks, parsed), parsed, addresses, voters)


def test_balance_is_the_sum_of_transfers_up_to_the_snapshot_block(session):
    """A transfer after the snapshot block does not count."""
    eth = Ledger(session, ETH)
    eth.mint(1, ALICE, 100)
    eth.transfer(5, ALICE, BOB, 30)
    eth.transfer(9, ALICE, BOB, 50)
    eth.indexed(10)
    at5 = power(session, {ETH: 5}, [{"name": "erc20-balance-of"}], [ALICE, BOB])
    assert at5[ALICE].total == 70 * UNIT and at5[BOB].total == 30 * UNIT
    at9 = power(session, {ETH: 9}, [{"name": "erc20-balance-of"}], [ALICE, BOB])
    assert at9[ALICE].total == 20 * UNIT and at9[BOB].total == 80 * UNIT


def test_delegation_counts_only_delegators_who_did_not_vote(session):
    """Snapshot's delegation: Bob gets Alice's and Carol's power unless they voted themselves."""
    eth = Ledger(session, ETH)
    eth.mint(1, ALICE, 100)
    eth.mint(1, CAROL, 40)
    eth.mint(1, BOB, 7)
    eth.delegate(2, ALICE, BOB)
    eth.delegate(2, CAROL, BOB)
    eth.delegate(2, BOB, BOB)  # self-delegation: nothing more than his balance
    eth.indexed(3)
    strategies = [{"name": "erc20-balance-of"}, {"name": "delegation"}]
    nobody_else = power(session, {ETH: 3}, strategies, [BOB], voters=[BOB])
    assert nobody_else[BOB].by_strategy(2) == [7 * UNIT, 140 * UNIT]
    alice_voted = power(session, {ETH: 3}, strategies, [ALICE, BOB], voters=[ALICE, BOB])
    assert alice_voted[BOB].by_strategy(2) == [7 * UNIT, 40 * UNIT]
    assert alice_voted[ALICE].by_strategy(2) == [100 * UNIT, 0]


def test_a_later_delegation_replaces_the_earlier_one_and_surrogates_never_delegate(session):
    """Only the latest DelegateChanged of a delegator counts; staking surrogates are left out."""
    eth = Ledger(session, ETH)
    eth.mint(1, ALICE, 100)
    eth.delegate(2, ALICE, BOB)
    eth.delegate(4, ALICE, CAROL)
    eth.surrogate(2, BOB, SURROGATE)
    eth.mint(2, SURROGATE, 500)  # staked tokens held for Bob's stakers
    eth.delegate(2, SURROGATE, BOB)
    eth.indexed(5)
    strategies = [{"name": "delegation"}]
    at3 = power(session, {ETH: 3}, strategies, [BOB, CAROL])
    assert (at3[BOB].total, at3[CAROL].total) == (100 * UNIT, 0)
    at5 = power(session, {ETH: 5}, strategies, [BOB, CAROL])
    assert (at5[BOB].total, at5[CAROL].total) == (0, 100 * UNIT)


def test_staked_sahara_counts_unbonding_tokens_until_withdrawn(session):
    """Stake keeps voting while it unbonds; `include_unbonding: false` counts earning stake only."""
    eth = Ledger(session, ETH)
    eth.stake(1, ALICE, 100)
    eth.unstake(2, ALICE, 40)
    eth.withdraw(3, ALICE, 40)
    eth.indexed(4)
    staked = [{"name": "staked-sahara"}]
    assert power(session, {ETH: 2}, staked, [ALICE])[ALICE].total == 100 * UNIT
    assert power(session, {ETH: 3}, staked, [ALICE])[ALICE].total == 60 * UNIT
    earning = [{"name": "staked-sahara", "params": {"include_unbonding": False}}]
    assert power(session, {ETH: 2}, earning, [ALICE])[ALICE].total == 60 * UNIT


def test_receipt_holders_vote_by_share_or_by_receipt(session):
    """Contributors' voice: `amount` per full receipt share, or per receipt."""
    eth = Ledger(session, ETH)
    eth.receipt(1, 1, ALICE, 2_500)
    eth.receipt(1, 2, ALICE, 10_000)
    eth.receipt(3, 3, BOB, 5_000)
    eth.indexed(3)
    share = [{"name": "receipt-holders", "params": {"amount": 1000}}]
    got = power(session, {ETH: 2}, share, [ALICE, BOB])
    assert (got[ALICE].total, got[BOB].total) == (1250 * UNIT, 0)
    count = [{"name": "receipt-holders", "params": {"mode": "count", "amount": "0.5"}}]
    got = power(session, {ETH: 3}, count, [ALICE, BOB])
    assert (got[ALICE].total, got[BOB].total) == (UNIT, UNIT // 2)


def test_chains_sum_with_per_chain_and_per_strategy_cells_and_exact_weights(session):
    """Ethereum and BSC add up; a weight of 0.5 halves exactly (floor to a base unit)."""
    eth, bsc = Ledger(session, ETH), Ledger(session, BSC, "bsc")
    eth.mint(1, ALICE, 10)
    bsc.mint(1, ALICE, 3)
    bsc.event(1, "token", "Transfer", **{"from": "0x" + "00" * 20, "to": BOB, "value": "3"})
    bsc.stake(1, ALICE, 2)
    eth.indexed(2)
    bsc.indexed(2)
    strategies = [{"name": "erc20-balance-of"}, {"name": "staked-sahara", "weight": "0.5"}]
    got = power(session, {ETH: 2, BSC: 2}, strategies, [ALICE, BOB])
    alice = got[ALICE]
    assert alice.by_chain() == {ETH: 10 * UNIT, BSC: 2 * UNIT}  # staking moved 2 of its 3 on BSC
    assert alice.by_strategy(2) == [11 * UNIT, UNIT]
    assert alice.cells == {(0, ETH): 10 * UNIT, (1, ETH): 0, (0, BSC): UNIT, (1, BSC): UNIT}
    assert got[BOB].total == 3
    assert to_float(alice.total) == 12.0


def test_a_block_the_indexer_has_not_reached_is_refused(session):
    """Power at a block past the checkpoint (or on a chain never indexed) says to run `sahara index`."""
    eth = Ledger(session, ETH)
    eth.mint(1, ALICE, 10)
    eth.indexed(4)
    with pytest.raises(NotIndexedError, match=r"stops at block 4, before the snapshot block 9.*sahara index"):
        power(session, {ETH: 9}, [{"name": "erc20-balance-of"}], [ALICE])
    with pytest.raises(
        NotIndexedError, match=r"chain 31338 has no index of its token contract.*sahara index"
    ):
        power(session, {ETH: 4, BSC: 4}, [{"name": "erc20-balance-of"}], [ALICE])
    Ledger(session, BSC, "bsc").indexed(4, contracts=("token",))
    with pytest.raises(NotIndexedError, match="chain 31338 .*no index of its registry contract"):
        power(session, {BSC: 4}, [{"name": "receipt-holders"}], [ALICE])


def test_other_chains_take_their_last_block_at_or_before_the_snapshot_time(session):
    """BSC's block is the last indexed one at or before the time of Ethereum's snapshot block."""
    eth, bsc = Ledger(session, ETH), Ledger(session, BSC, "bsc", time_offset=5)  # bsc blocks 5 s later
    eth.mint(10, ALICE, 1)  # the snapshot block carries an event: its time is known
    bsc.mint(8, ALICE, 2)
    bsc.mint(9, ALICE, 4)  # at time(eth 10) + 5 - 12: before the snapshot time
    bsc.mint(10, ALICE, 8)  # 5 s after it: left out
    eth.indexed(12)
    bsc.indexed(12)
    sources = {"token"}
    blocks, moment = resolve_snapshot(session, network=ETH, block=10, chains=[ETH, BSC], sources=sources)
    assert blocks == {ETH: 10, BSC: 9}
    assert moment == 1_800_000_000 + 120
    got = power(session, blocks, [{"name": "erc20-balance-of"}], [ALICE])
    assert got[ALICE].by_chain() == {ETH: UNIT, BSC: 6 * UNIT}
    explicit, none = resolve_snapshot(session, network=ETH, block=10, chains=[ETH, BSC], sources=sources,
                                      explicit={BSC: 10})  # fmt: skip
    assert explicit == {ETH: 10, BSC: 10} and none is None


def test_resolving_a_time_past_another_chains_index_is_refused(session):
    """A chain whose index stops before the snapshot time cannot give its block."""
    eth, bsc = Ledger(session, ETH), Ledger(session, BSC, "bsc")
    eth.indexed(20)
    bsc.indexed(7)
    with pytest.raises(
        NotIndexedError, match=r"chain 31338 \(bsc:local\).*stops at block 7, before the snapshot time"
    ):
        resolve_snapshot(session, network=ETH, block=20, chains=[ETH, BSC], sources={"token"})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "at least one strategy"),
        ([{"name": "erc721"}], "unknown strategy 'erc721'"),
        ([{"name": "erc20-balance-of", "weight": 0.5}], "quoted decimal string"),
        ([{"name": "erc20-balance-of", "weight": "-1"}], "must not be negative"),
        ([{"name": "delegation", "params": {"strategies": ["delegation"]}}], "params.strategies"),
        ([{"name": "receipt-holders", "params": {"mode": "votes"}}], "'share' or 'count'"),
        ([{"name": "staked-sahara", "params": {"decimals": 18}}], "unknown params decimals"),
    ],
)
def test_strategy_configurations_are_checked(raw, message):
    """A bad strategy list says what is wrong with it."""
    with pytest.raises(ConfigError, match=message):
        parse_strategies(raw)


def test_the_sahara_space_file_parses():
    """governance/space.yaml: four strategies on both local chains, contributors weighed by receipts."""
    from sahara_dao.governance.spaces import load_space_file

    space = load_space_file()
    assert (space.id, space.network, space.chains) == ("sahara.eth", ETH, (ETH, BSC))
    assert [s.name for s in space.strategies] == [
        "erc20-balance-of",
        "delegation",
        "staked-sahara",
        "receipt-holders",
    ]
    assert space.strategies[3].receipt_amount() == 100_000_000 * UNIT
    assert (space.voting_type, space.voting_period, space.min_score) == (
        "ranked-choice",
        3 * 86_400,
        10_000 * UNIT,
    )
    assert load_space_file(network=1, chains=[1, 56]).chains == (1, 56)
