"""The dashboards' read modules: treasury balances and vesting, revenue flows and concentration,
unclaimed amounts and alerts, staking replay; on SQLite and PostgreSQL with indexed rows seeded."""

import itertools
import random
from fractions import Fraction

import pytest
from sqlmodel import select

from sahara_dao.core.models import Alert, Chain, ChainEvent, Deployment, NativeBalance
from sahara_dao.core.units import UNIT
from sahara_dao.token import analytics, settlement_report, staking_report, treasury
from sahara_dao.token.claims import checksum_address
from sahara_dao.token.epochs import EpochInputs, compute, read_epoch_file, record, write_epoch_file
from sahara_dao.token.merkle import BALANCE_ENCODING, process_proof, standard_leaf_hash
from sahara_dao.token.models import Claim, PublishedRoot
from sahara_dao.token.royalties import AssetShares

CHAIN = 31337
ZERO = "0x" + "00" * 20
TIMELOCK, VAULT, OUTSIDE, HOLDER = (checksum_address(f"0x{c * 40}") for c in "1234")
ANA, BO, CY = (checksum_address("0x" + c * 40) for c in "abc")
DAY = 86_400


class Chainlog:
    """Writes indexed events of one chain the way the indexer stores them."""

    def __init__(self, session, chain_id: int = CHAIN):
        self.session, self.chain_id, self.blocks = session, chain_id, itertools.count(1)
        session.add(Chain(chain_id=chain_id, ecosystem="ethereum", network="local"))
        session.flush()

    def deploy(self, **names: str) -> None:
        for name, address in names.items():
            self.session.add(Deployment(chain_id=self.chain_id, contract=name.replace("__", "/"), address=address))
        self.session.flush()

    def event(self, contract: str, name: str, at: int, **args) -> int:
        block = next(self.blocks)
        row = ChainEvent(chain_id=self.chain_id, contract=contract, address="0x" + "99" * 20, event=name,
                         block_number=block, block_hash="0x" + block.to_bytes(32, "big").hex(), block_timestamp=at,
                         tx_hash="0x" + block.to_bytes(32, "big").hex(), log_index=0, args=args)  # fmt: skip
        self.session.add(row)
        self.session.flush()
        return row.id

    def transfer(self, sender: str, recipient: str, amount: int, at: int) -> None:
        self.event("token", "Transfer", at, **{"from": sender, "to": recipient, "value": str(amount)})


@pytest.fixture
def log(session) -> Chainlog:
    return Chainlog(session)


# --- treasury ---------------------------------------------------------------------------------------


def test_treasury_balances_and_flows_follow_the_transfers(session, log):
    """Balances are inflows minus outflows; the mint is named; a vault-to-timelock move is internal."""
    log.deploy(timelock=TIMELOCK, vault=VAULT)
    log.transfer(ZERO, TIMELOCK, 1_000 * UNIT, at=100)
    log.transfer(TIMELOCK, OUTSIDE, 300 * UNIT, at=200)
    log.transfer(HOLDER, VAULT, 50 * UNIT, at=300)
    log.transfer(VAULT, TIMELOCK, 5 * UNIT, at=400)
    log.transfer(HOLDER, OUTSIDE, 7 * UNIT, at=500)  # touches no treasury account

    rows = {b.name: b for b in treasury.treasury_balances(session=session, chain_ids=[CHAIN])}
    assert (rows["timelock"].balance, rows["timelock"].inflow, rows["timelock"].outflow) == (705 * UNIT, 1_005 * UNIT, 300 * UNIT)
    assert (rows["vault"].balance, rows["vault"].label) == (45 * UNIT, "Revenue vault")
    flows = treasury.treasury_flows(session=session, chain_ids=[CHAIN])
    assert [(f.direction, f.counterparty_name, f.amount // UNIT, f.internal) for f in flows] == [
        ("in", "mint", 1_000, False), ("out", "", 300, False), ("in", "", 50, False),
        ("out", "timelock", 5, True), ("in", "vault", 5, True),
    ]  # fmt: skip
    history = treasury.balance_history(flows)
    assert [(at, amount // UNIT) for _, at, amount in history] == [(100, 1_000), (200, 700), (300, 750), (400, 750)]
    assert history[-1][2] == rows["timelock"].balance + rows["vault"].balance
    share = treasury.dependence(treasury.holdings(rows.values(), []), chain_count=1)
    assert share.sahara == 750 * UNIT and share.supply_share == Fraction(750 * UNIT, 10_000_000_000 * UNIT)
    assert share.own_token_share == 1 and share.missing_prices == []  # nothing but SAHARA: no price needed


def _native(session, chain_id, name, address, block, at, balance):
    session.add(NativeBalance(chain_id=chain_id, contract=name, address=address, block_number=block,
                              block_hash="0x" + block.to_bytes(32, "big").hex(), block_timestamp=at, balance=balance))  # fmt: skip
    session.flush()


def test_native_coin_joins_the_holdings_and_the_share_needs_its_price(session, log):
    """The latest native balance per account counts; the dependence share weighs holdings by the given
    prices exactly, and is unknown while a held asset has no price."""
    log.deploy(timelock=TIMELOCK, vault=VAULT)
    log.transfer(ZERO, TIMELOCK, 1_000 * UNIT, at=100)
    bsc = Chainlog(session, chain_id=56)
    session.get(Chain, 56).ecosystem = "bsc"
    bsc.deploy(timelock=TIMELOCK)
    _native(session, CHAIN, "timelock", TIMELOCK, 5, 500, 2 * UNIT)
    _native(session, CHAIN, "vault", VAULT, 5, 500, 0)
    _native(session, CHAIN, "timelock", TIMELOCK, 9, 900, 3 * UNIT // 2)  # the DAO spent 0.5 ETH
    _native(session, 56, "timelock", TIMELOCK, 7, 700, 10 * UNIT)
    natives = treasury.native_holdings(session=session, chain_ids=[CHAIN, 56])
    assert [(n.chain_id, n.symbol, n.name, n.balance, n.block_number) for n in natives] == [
        (56, "BNB", "timelock", 10 * UNIT, 7), (CHAIN, "ETH", "timelock", 3 * UNIT // 2, 9), (CHAIN, "ETH", "vault", 0, 5),
    ]  # fmt: skip
    assert treasury.native_history(session=session, chain_ids=[CHAIN, 56]) == [
        (56, "BNB", 700, 10 * UNIT), (CHAIN, "ETH", 500, 2 * UNIT), (CHAIN, "ETH", 900, 3 * UNIT // 2),
    ]  # fmt: skip
    balances = treasury.treasury_balances(session=session, chain_ids=[CHAIN, 56])
    held = treasury.holdings(balances, natives)
    assert held == {"SAHARA": 1_000 * UNIT, "BNB": 10 * UNIT, "ETH": 3 * UNIT // 2}
    unpriced = treasury.dependence(held, chain_count=2, prices={"SAHARA": "0.05"})
    assert unpriced.missing_prices == ["BNB", "ETH"] and unpriced.own_token_share is None and unpriced.values is None
    priced = treasury.dependence(held, chain_count=2, prices={"sahara": "0.05", "ETH": 3_000, "BNB": "600.5"})
    # 1,000 x 0.05 = 50 USD of SAHARA; 1.5 x 3,000 = 4,500 of ETH; 10 x 600.5 = 6,005 of BNB
    assert priced.values == {"SAHARA": 50, "BNB": 6_005, "ETH": 4_500}
    assert priced.own_token_share == Fraction(50, 50 + 4_500 + 6_005)
    assert treasury.dependence(treasury.holdings([], []), chain_count=1).own_token_share is None  # nothing held


def test_vesting_progress_follows_the_schedule_and_the_wallets_releases(session, log, genesis):
    """Nothing vests before the cliff, then linearly; released is what left the wallet."""
    grant = next(g for g in genesis.grants if g.vesting and g.bucket == "team")
    wallet = checksum_address("0x" + "5e" * 20)
    log.deploy(**{f"vesting__team__{grant.beneficiary}": wallet})
    log.transfer(ZERO, wallet, grant.amount, at=1_000)
    log.transfer(wallet, grant.beneficiary, 3 * UNIT, at=2_000)
    start, cliff, duration = 1_000, grant.vesting.cliff, grant.vesting.duration

    def team(at: int):
        rows = treasury.vesting_progress(session=session, genesis=genesis, chain_ids=[CHAIN],
                                         genesis_times={CHAIN: start}, as_of={CHAIN: at})  # fmt: skip
        return next(r for r in rows if r.wallet == wallet)

    before = team(start + cliff - 1)
    assert (before.vested, before.released, before.locked) == (0, 3 * UNIT, grant.amount)
    middle = team(start + cliff + 10)
    assert middle.vested == grant.amount * (cliff + 10) // duration and middle.releasable == middle.vested - 3 * UNIT
    assert team(start + duration).locked == 0
    buckets = {b.bucket: b for b in treasury.bucket_progress([middle])}
    assert buckets["team"].vesting and buckets["team"].vested == middle.vested


# --- revenue ---------------------------------------------------------------------------------------


def _brute_gini(values):
    n, total = len(values), sum(values)
    return Fraction(sum(abs(a - b) for a in values for b in values), 2 * n * total)


def test_gini_is_exact_and_matches_the_mean_absolute_difference():
    """0 for equal payouts, 1 - 1/n when one account gets everything, the textbook formula otherwise."""
    assert analytics.gini([5, 5, 5, 5]) == 0
    assert analytics.gini([0, 0, 0, 10**30]) == Fraction(3, 4)
    assert analytics.gini([1, 2, 3, 4]) == Fraction(1, 4)
    assert analytics.gini([]) == 0
    rng = random.Random(8)
    for _ in range(50):
        values = [rng.randrange(0, 10**24) for _ in range(rng.randrange(1, 30))]
        if sum(values):
            assert analytics.gini(values) == _brute_gini(values)
    with pytest.raises(ValueError, match="non-negative"):
        analytics.gini([1, -1])


def test_lorenz_curve_runs_from_nothing_to_everything_below_equality():
    points = analytics.lorenz([30, 10, 60])
    assert points == [(0, 0), (Fraction(1, 3), Fraction(1, 10)), (Fraction(2, 3), Fraction(4, 10)), (1, 1)]
    assert all(y <= x for x, y in points)


@pytest.fixture
def settled(session, log, tmp_path):
    """Two settled epochs of a dataset <- model lineage; epoch 1's root published and activated."""
    assets = {1: AssetShares(1, ((ANA, 6000), (BO, 4000))), 2: AssetShares(2, ((CY, 10_000),), ((1, 2500),))}
    rows, previous = [], {}
    for epoch, (licenses, usage) in enumerate((({1: 1_000 * UNIT, 2: 333 * UNIT}, {2: 7 * UNIT}),
                                               ({2: 100 * UNIT}, {})), start=1):  # fmt: skip
        inputs = EpochInputs(chain_id=CHAIN, epoch=epoch, window_start=epoch * DAY, window_end=(epoch + 1) * DAY,
                             fee_bps=500, treasury=TIMELOCK, license_revenue=licenses, usage_revenue=usage,
                             license_count=len(licenses), usage_count=len(usage), assets=assets,
                             previous_epoch=epoch - 1 or None, previous_balances=previous)  # fmt: skip
        result = compute(inputs)
        path = write_epoch_file(tmp_path / f"epoch-{epoch}.json", result)
        row = record(session, result, path)
        previous = result.claims.balances
        rows.append(row)
    rows[0].status, rows[0].activates_at = "verified", 3 * DAY
    rows[1].status, rows[1].activates_at = "published", 10 * DAY
    session.add(PublishedRoot(chain_id=CHAIN, epoch=1, root=rows[0].root, total=rows[0].total, activates_at=3 * DAY,
                              event_id=log.event("vault", "RootPublished", 2 * DAY)))  # fmt: skip
    session.flush()
    return rows


def test_epoch_flows_sum_exactly_to_what_each_account_earned(settled):
    """Fees in = flows out of the fee nodes; flows into each account = its earnings in the epoch file."""
    document = read_epoch_file(settled[0].epoch_file)
    flows = analytics.epoch_flows(document, {1: "dataset", 2: "model"}, {TIMELOCK: "treasury"})
    assert sum(f.amount for f in flows if f.kind == "fee") == 1_340 * UNIT
    assert [(f.source, f.target) for f in flows if f.kind == "upstream"] == [("model", "dataset")]
    into = {}
    for f in flows:
        if f.kind in ("contributor", "protocol_fee"):
            into[f.target] = into.get(f.target, 0) + f.amount
    earned = {a: int(v) for a, v in document["outputs"]["earned"].items()}
    assert into.pop(analytics.TREASURY_FEE) == earned.pop(TIMELOCK)
    assert into == earned
    by_asset = {r.asset_id: r for r in analytics.asset_revenue(document)}
    assert by_asset[2].revenue == 340 * UNIT and by_asset[2].upstream_paid == by_asset[1].upstream_received > 0


def test_contributor_lookup_gives_a_proof_of_the_active_root(session, settled):
    """Claimable is the leaf under the active root minus claims; the proof verifies against that root."""
    lines = {line.account: line for line in analytics.earned_lines(session=session, chain_ids=[CHAIN]) if line.epoch == 1}
    (position,) = analytics.contributor_positions(session=session, account=ANA.lower(),
                                                  chain_ids=[CHAIN], as_of={CHAIN: 5 * DAY})  # fmt: skip
    assert position.active_epoch == 1 and position.root == settled[0].root
    assert position.claimable == lines[position.account].cumulative
    leaf = standard_leaf_hash(BALANCE_ENCODING, (position.account, position.claimable_cumulative))
    assert process_proof(leaf, position.proof) == settled[0].root
    assert position.pending == position.earned - position.claimable_cumulative > 0  # epoch 2 not active yet
    (early,) = analytics.contributor_positions(session=session, account=ANA, chain_ids=[CHAIN], as_of={CHAIN: DAY})
    assert early.active_epoch is None and early.claimable == 0


def test_unclaimed_per_epoch_counts_claims_against_the_oldest_epochs_first(session, log, settled):
    """A claim of the whole epoch-1 balance plus part of epoch 2 empties epoch 1 first."""
    lines = [line for line in analytics.earned_lines(session=session, chain_ids=[CHAIN]) if line.account == BO]
    first, second = sorted(lines, key=lambda line: line.epoch)
    session.add(Claim(chain_id=CHAIN, account=BO, amount=first.cumulative + 1, cumulative=first.cumulative + 1, epoch=1,
                      claimed_at=4 * DAY, event_id=log.event("vault", "Claimed", 4 * DAY)))  # fmt: skip
    session.flush()
    left = {u.epoch: u for u in settlement_report.unclaimed_by_epoch(session=session, chain_ids=[CHAIN], as_of={CHAIN: 5 * DAY})}
    assert left[1].claimed == first.earned and left[2].claimed == 1
    assert left[1].unclaimed == left[1].earned - first.earned and left[2].unclaimed == left[2].earned - 1
    assert left[1].claimable and not left[2].claimable


def test_alerts_name_late_stuck_and_mismatched_epochs(session, settled):
    """Late when the next window closed a grace ago; a vault root that differs is an error."""
    assert settlement_report.alerts(session=session, chain_ids=[CHAIN], as_of={CHAIN: 3 * DAY}, epoch_seconds=DAY) == []
    late = settlement_report.alerts(session=session, chain_ids=[CHAIN], as_of={CHAIN: 6 * DAY}, epoch_seconds=DAY)
    assert [(a.epoch, a.severity) for a in late] == [(3, "warning")] and "late" in late[0].what
    settled[1].status = "computed"
    root = session.exec(select(PublishedRoot)).one()
    root.root = "0x" + "ee" * 32
    session.add_all([settled[1], root])
    session.flush()
    found = settlement_report.alerts(session=session, chain_ids=[CHAIN], as_of={CHAIN: 2 * DAY + 1}, epoch_seconds=DAY)
    assert {(a.epoch, a.severity, a.what.split(":")[0]) for a in found} == {
        (2, "error", "computed but not published"), (1, "error", f"the vault published {root.root}, the database computed {settled[0].root}"),
    }  # fmt: skip
    reports = settlement_report.epoch_reports(session=session, chain_ids=[CHAIN])
    assert reports[0].root_matches is False and reports[1].root_matches is None
    assert reports[0].verify_command("ethereum") == "sahara verify-epoch --chain ethereum --epoch 1"


def test_recorded_alerts_of_the_chains_newest_first(session, log):
    """The pipelines' alerts of the chains asked for, and those of no chain; others are left out."""
    session.add(Chain(chain_id=31338, ecosystem="bsc", network="local"))
    session.add_all([
        Alert(key="a", source="royalty_settlement", subject="publish late", message="run settle", chain_id=CHAIN, raised_at=10),
        Alert(key="b", source="chain_sync", subject="task failed", message="see the log", chain_id=None, raised_at=20),
        Alert(key="c", source="royalty_settlement", subject="other chain", message="-", chain_id=31338, raised_at=30),
    ])  # fmt: skip
    session.flush()
    found = settlement_report.raised_alerts(session=session, chain_ids=[CHAIN])
    assert [(a.key, a.chain_id, a.notified) for a in found] == [("b", None, False), ("a", CHAIN, False)]


# --- staking -----------------------------------------------------------------------------------------


def test_staking_replay_gives_totals_queue_positions_and_rate(session, log):
    """Stakes, an unstake request into the queue, a withdrawal, rewards; APR from the running rate."""
    stake = lambda who, amount, at: log.event("staking", "Staked", at, account=who, delegatee=who, amount=str(amount))  # noqa: E731
    log.event("staking", "CooldownChanged", 1, oldCooldown=0, newCooldown=14 * DAY)
    stake(ANA, 100 * UNIT, 10)
    stake(BO, 300 * UNIT, 20)
    rate = 4 * UNIT * 10**18 // DAY  # 4 SAHARA a day, scaled by 1e18
    log.event("staking", "RewardAdded", 30, amount=str(28 * UNIT), duration=7 * DAY, rewardRateScaled=str(rate),
              periodFinish=30 + 7 * DAY)  # fmt: skip
    log.event("staking", "UnstakeRequested", 40, account=ANA, amount=str(60 * UNIT), unlockTime=40 + 14 * DAY)
    log.event("staking", "RewardPaid", 50, account=BO, reward=str(2 * UNIT))
    log.event("staking", "UnstakeRequested", 60, account=BO, amount=str(100 * UNIT), unlockTime=60 + 14 * DAY)
    log.event("staking", "Withdrawn", 70 + 14 * DAY, account=BO, amount=str(100 * UNIT))

    state = staking_report.staking_states(session=session, chain_ids=[CHAIN])[CHAIN]
    assert (state.staked, state.unbonding, state.cooldown) == (240 * UNIT, 60 * UNIT, 14 * DAY)
    assert [(p.account, p.unbonding, p.unlock_time) for p in state.queue()] == [(ANA, 60 * UNIT, 40 + 14 * DAY)]
    assert (state.positions[BO].withdrawn, state.positions[BO].rewards_paid, state.positions[BO].unlock_time) == (100 * UNIT, 2 * UNIT, None)
    assert 4 * UNIT - 1 <= state.reward_rate(100).per_day <= 4 * UNIT  # floored
    assert state.apr(100) == Fraction(rate * 365 * DAY, 10**18 * 240 * UNIT)
    assert state.reward_rate(31 + 7 * DAY) is None and state.apr(31 + 7 * DAY) is None
    series = staking_report.staked_over_time([state])
    assert series[0] == (10, 100 * UNIT, 0) and series[-1] == (70 + 14 * DAY, 240 * UNIT, 60 * UNIT)
