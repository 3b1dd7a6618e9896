"""Voting power from real indexed chains, and a whole poll on them (two anvil chains, the contract
set on each, `sahara index`)."""

import pytest
from anvil_chain import BUYER, CREATOR, DATASET, demo_economy, deployed_chain, dev

from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.indexer import index_network
from sahara_dao.core.units import UNIT
from sahara_dao.governance.poll_results import describe, verify
from sahara_dao.governance.polls import latest_indexed_blocks, run_poll
from sahara_dao.governance.spaces import load_space_file
from sahara_dao.governance.strategies import snapshot_states, voting_power

ETH_ID, BSC_ID = 31985, 31986
DELEGATOR, DELEGATE, STAKER = 8, 3, 7
RECEIPT_UNIT = 100_000_000 * UNIT  # governance/space.yaml: per full receipt share
anvil = pytest.mark.anvil


@pytest.fixture(scope="module")
def polled_chains(tmp_path_factory, genesis, params):
    """Ethereum: the demo's economy in small, a delegation and a stake. BSC: a holder and a dataset."""
    data_dir = tmp_path_factory.mktemp("polls")
    with (
        deployed_chain(data_dir, ETH_ID, genesis, params) as eth,
        deployed_chain(data_dir, BSC_ID, genesis, params, ecosystem="bsc") as bsc,
    ):
        onchain = {}
        with eth.economy() as economy:
            demo_economy(economy)
            token = economy.token
            staking = project().SaharaStaking.at(eth.record.address("staking"))
            token.transfer(dev(DELEGATOR).address, 1_000 * UNIT, sender=dev(BUYER))
            token.invoke_transaction("delegate", dev(DELEGATE).address, sender=dev(DELEGATOR))
            token.transfer(dev(STAKER).address, 500 * UNIT, sender=dev(BUYER))
            token.approve(staking.address, 200 * UNIT, sender=dev(STAKER))
            staking.stake(200 * UNIT, dev(STAKER).address, sender=dev(STAKER))
            onchain[ETH_ID] = {
                i: (token.balanceOf(dev(i).address), staking.stakedOf(dev(i).address)) for i in range(10)
            }
        with bsc.economy() as economy:
            economy.token.transfer(dev(DELEGATOR).address, 77 * UNIT, sender=dev(BUYER))
            economy.register(4, DATASET, "bsc-dataset", [(4, 10_000, CREATOR)])
            onchain[BSC_ID] = {i: (economy.token.balanceOf(dev(i).address), 0) for i in range(10)}
        yield eth, bsc, onchain


@anvil
def test_power_from_the_index_equals_the_chains_and_a_poll_runs_on_them(polled_chains, db_url, settings_env):
    """Balances and stakes computed from indexed events equal balanceOf and stakedOf on each chain;
    the delegate speaks for the delegator; contributors vote by their receipts; the tally verifies."""
    eth, bsc, onchain = polled_chains
    settings_env(**eth.env(bsc))
    index_network(eth.network)
    index_network(bsc.network)
    space = load_space_file(network=ETH_ID, chains=[ETH_ID, BSC_ID])
    with session_scope() as session:
        blocks = latest_indexed_blocks(session, space)
        states = snapshot_states(session, blocks, space.strategies)
        addresses = [dev(i).address for i in range(10)]
        powers = voting_power(states, space.strategies, addresses, voters=addresses[:DELEGATOR])
        for i, address in enumerate(addresses):
            for chain_id in (ETH_ID, BSC_ID):
                balance, staked = onchain[chain_id][i]
                assert powers[address].cells[(0, chain_id)] == balance, (i, chain_id)
                assert powers[address].cells[(2, chain_id)] == staked, (i, chain_id)
        delegate = powers[dev(DELEGATE).address]
        assert delegate.cells[(1, ETH_ID)] == onchain[ETH_ID][DELEGATOR][0]  # delegated on ethereum only
        assert delegate.cells[(1, BSC_ID)] == 0
        contributor = powers[dev(4).address].by_chain()
        assert contributor[BSC_ID] - onchain[BSC_ID][4][0] == RECEIPT_UNIT  # all of the BSC dataset

        ballots = [(dev(i).private_key, choice) for i, choice in
                   ((BUYER, [1, 2, 3]), (DELEGATE, [3, 1, 2]), (4, [2, 1, 3]), (5, [2, 3, 1]), (6, [3, 2, 1]))]  # fmt: skip
        proposal, result, votes = run_poll(
            session, space, proposer_key=dev(BUYER).private_key, title="Next grant round",
            choices=["Datasets", "Models", "Agents"], ballots=ballots,
        )  # fmt: skip
        assert {int(c): b for c, b in proposal.snapshot_blocks.items()} == blocks
        assert [v.status for v in votes] == ["accepted"] * 5
        assert result.state == "final" and result.votes == 5
        assert int(result.vp_by_strategy[1]) == onchain[ETH_ID][DELEGATOR][0]  # the delegator did not vote
        shares_bps = 4000 + 3500 + 10_000 + 2500 + 9000 + 10_000  # dev 4, 5, 6 on ethereum; dev 4 on bsc
        receipts = shares_bps * RECEIPT_UNIT // 10_000
        assert int(result.vp_by_strategy[3]) == receipts
        assert sum(int(v) for v in result.vp_by_chain.values()) == result.vp_total
        assert verify(session, proposal.id, recompute_power=True).ok
        lines = describe(session, proposal.id)
        assert f"chain {BSC_ID}" in lines[2] and "receipt-holders" in lines[2]
