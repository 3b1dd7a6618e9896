"""Labeling payouts on Ape's in-process chain (the DAO deployed as in production) against SQLite and
PostgreSQL: the plan is recorded before sending, a job killed anywhere pays everyone exactly once
when rerun, and the database reconciles with the chain."""

from dataclasses import replace

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from sqlmodel import select

from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.units import UNIT
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.token import payouts
from sahara_dao.token.labeling import LabelingConfig, ingest_labeling, period_window, upsert_tasks
from sahara_dao.token.models import PayoutBatch
from sahara_dao.token.payouts import BatchStatus, PayoutError, batch_id, pay_plan, plan_period, reconcile

PERIOD = "2026-11-21"
START, END = period_window(PERIOD)
CONFIG = LabelingConfig(rate_per_item=UNIT // 2, quality_curve=((7000, 5000), (9000, 10_000), (10_000, 11_000)),
                        default_factor_bps=10_000, batch_size=2)  # fmt: skip
LABELERS = [to_checksum_address(keccak(text=f"payouts-test/labeler/{i}")[12:]) for i in range(5)]


class Crash(Exception):
    """The job dies here (raised from a checkpoint)."""


@pytest.fixture(scope="module")
def payout_dao(accounts, genesis, params, tmp_path_factory, project):
    """The whole DAO on the in-process chain; the operator (dev 9, PAYER_ROLE) gets SAHARA to pay with."""
    record = deploy_dao(sender=accounts[0], genesis=genesis, params=params,
                        store=DeploymentStore(tmp_path_factory.mktemp("deployments")),
                        network="ethereum:local:test")  # fmt: skip
    token = project.SaharaToken.at(record.address("token"))
    batcher = project.PayoutBatcher.at(record.address("payouts"))
    operator = accounts[9]
    assert operator.address == params.economy.operator
    token.transfer(operator, 1_000_000 * UNIT, sender=accounts[2])  # the community bucket funds the operator
    return token, batcher, operator


@pytest.fixture
def chain_id(chain, session):
    payouts.register_chain(session, chain_id=chain.chain_id, ecosystem="ethereum", network="local")
    return chain.chain_id


@pytest.fixture
def results(session, chain_id):
    """Five labelers, one result each on PERIOD, with different items and gold accuracy."""
    upsert_tasks(session, [{"task_key": "t1", "chain_id": chain_id, "title": "signs", "created_at": START}],
                 received_at=START)  # fmt: skip
    rows = [(10, 10, 10), (20, 10, 9), (30, 10, 8), (40, 0, 0), (50, 10, 7)]
    ingest_labeling(session, [
        {"result_key": f"r{i}", "task_key": "t1", "labeler": LABELERS[i], "items": items, "gold_total": total,
         "gold_correct": correct, "submitted_at": START + i}
        for i, (items, total, correct) in enumerate(rows)
    ], received_at=START)  # fmt: skip
    session.commit()
    # 10 x 0.5 x 110%, 20 x 0.5 x 100%, 30 x 0.5 x 75%, 40 x 0.5 x 100% (no gold), 50 x 0.5 x 50%
    return {LABELERS[0]: 55 * UNIT // 10, LABELERS[1]: 10 * UNIT, LABELERS[2]: 1125 * UNIT // 100,
            LABELERS[3]: 20 * UNIT, LABELERS[4]: 125 * UNIT // 10}  # fmt: skip


def balances(token) -> dict[str, int]:
    return {labeler: token.balanceOf(labeler) for labeler in LABELERS}


def paid_events(batcher, chain) -> list:
    return list(batcher.BatchPaid.range(0, chain.blocks.head.number + 1))


def crash_at(stage: str, index: int):
    def checkpoint(at: str, batch: PayoutBatch) -> None:
        if at == stage and batch.batch_index == index:
            raise Crash(f"killed at {stage} of batch {index}")

    return checkpoint


def pay(session, payout_dao, chain_id, **kwargs):
    token, batcher, operator = payout_dao
    plan = plan_period(session, chain_id=chain_id, period=PERIOD, config=CONFIG)
    report = pay_plan(session, plan, batcher=batcher, token=token, payer=operator, **kwargs)
    return plan, report


def statuses(session, chain_id) -> list[str]:
    return [b.status for b in session.exec(select(PayoutBatch).where(PayoutBatch.chain_id == chain_id)
                                           .order_by(PayoutBatch.batch_index))]  # fmt: skip


def test_batch_ids_hash_the_chain_the_period_and_the_index():
    """batch id = keccak256(abi.encode(chainId, period, batchIndex)), distinct per chain, day and slot."""
    expected = "0x" + keccak(abi_encode(["uint256", "string", "uint256"], [31337, PERIOD, 2])).hex()
    assert batch_id(31337, PERIOD, 2) == expected
    ids = {batch_id(c, p, i) for c in (1, 56) for p in (PERIOD, "2026-11-22") for i in range(3)}
    assert len(ids) == 12


def test_the_plan_is_recorded_before_anything_is_sent_and_then_reused(session, payout_dao, chain_id, results, chain):
    """Planning commits `planned` batches ordered by address; planning again returns the same plan."""
    _, batcher, _ = payout_dao
    head = chain.blocks.head.number
    plan = plan_period(session, chain_id=chain_id, period=PERIOD, config=CONFIG)
    assert plan.created and chain.blocks.head.number == head
    assert [len(p.lines) for p in plan.batches] == [2, 2, 1]
    order = [line.labeler for p in plan.batches for line in p.lines]
    assert order == sorted(results, key=str.lower)
    assert {line.labeler: line.amount for p in plan.batches for line in p.lines} == results
    assert [p.batch.batch_id for p in plan.batches] == [batch_id(chain_id, PERIOD, i) for i in range(3)]
    assert statuses(session, chain_id) == ["planned"] * 3
    again = plan_period(session, chain_id=chain_id, period=PERIOD, config=replace(CONFIG, batch_size=200))
    assert not again.created and again.drift == []
    assert [p.batch.batch_id for p in again.batches] == [p.batch.batch_id for p in plan.batches]
    assert not any(batcher.isPaid(bytes.fromhex(p.batch.batch_id[2:])) for p in plan.batches)


def test_a_run_pays_every_labeler_once_and_a_rerun_sends_nothing(session, payout_dao, chain_id, results, chain):
    """Three batches pay five labelers; the database reconciles; a second run only skips."""
    token, batcher, operator = payout_dao
    plan, report = pay(session, payout_dao, chain_id)
    assert report.paid == [0, 1, 2] and balances(token) == results
    assert statuses(session, chain_id) == ["paid"] * 3
    check = reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token)
    assert check.ok and check.paid == 3, check.mismatches
    nonce = operator.nonce
    _, again = pay(session, payout_dao, chain_id)
    assert again.skipped == [0, 1, 2] and again.paid == again.recovered == []
    assert operator.nonce == nonce and balances(token) == results
    assert len(paid_events(batcher, chain)) == 3


@pytest.mark.parametrize("killed_after", [0, 1])
def test_a_job_killed_between_batches_pays_the_rest_on_rerun(session, payout_dao, chain_id, results, chain, killed_after):
    """Killed right after recording batch k: the rerun skips 0..k, pays the others, each labeler once."""
    token, batcher, _ = payout_dao
    with pytest.raises(Crash):
        pay(session, payout_dao, chain_id, checkpoint=crash_at("paid", killed_after))
    paid_so_far = statuses(session, chain_id)
    assert paid_so_far == ["paid"] * (killed_after + 1) + ["planned"] * (2 - killed_after)
    first = [line.labeler for line in plan_period(session, chain_id=chain_id, period=PERIOD, config=CONFIG)
             .batches[0].lines]  # fmt: skip
    assert all(balances(token)[labeler] == results[labeler] for labeler in first)

    _, report = pay(session, payout_dao, chain_id)
    assert report.skipped == list(range(killed_after + 1))
    assert report.paid == list(range(killed_after + 1, 3)) and report.recovered == []
    assert balances(token) == results  # everyone once: nobody skipped, nobody twice
    assert len(paid_events(batcher, chain)) == 3
    assert reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token).ok


def test_a_job_killed_after_mining_and_before_recording_does_not_pay_again(session, payout_dao, chain_id, results, chain):
    """Killed once batch 1's payout is mined but not recorded: the rerun finds it paid and sends nothing for it."""
    token, batcher, operator = payout_dao
    with pytest.raises(Crash):
        pay(session, payout_dao, chain_id, checkpoint=crash_at("mined", 1))
    assert statuses(session, chain_id) == ["paid", "sent", "planned"]
    mined = session.exec(select(PayoutBatch).where(PayoutBatch.batch_index == 1)).one().tx_hash
    nonce = operator.nonce

    _, report = pay(session, payout_dao, chain_id)
    assert report.skipped == [0] and report.recovered == [1] and report.paid == [2]
    assert operator.nonce == nonce + 2  # approve and payout of batch 2; nothing for batch 1
    assert balances(token) == results
    assert [bytes(e.batchId).hex() for e in paid_events(batcher, chain)].count(batch_id(chain_id, PERIOD, 1)[2:]) == 1
    batch = session.exec(select(PayoutBatch).where(PayoutBatch.batch_index == 1)).one()
    assert batch.status == BatchStatus.PAID and batch.tx_hash == mined
    assert reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token).ok


def test_a_lost_record_of_the_sent_transaction_is_recovered_from_the_chain(session, payout_dao, chain_id, results):
    """Even when the database lost the `sent` record, isPaid stops a resend and BatchPaid gives the tx."""
    token, batcher, _ = payout_dao
    with pytest.raises(Crash):
        pay(session, payout_dao, chain_id, checkpoint=crash_at("mined", 0))
    batch = session.exec(select(PayoutBatch).where(PayoutBatch.batch_index == 0)).one()
    mined = batch.tx_hash
    batch.status, batch.tx_hash = BatchStatus.PLANNED, None  # as if that write had never happened
    session.add(batch)
    session.commit()

    _, report = pay(session, payout_dao, chain_id)
    assert report.recovered == [0] and report.paid == [1, 2]
    assert balances(token) == results
    assert session.get(PayoutBatch, batch.batch_id).tx_hash == mined
    assert reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token).ok


def test_a_job_killed_after_signing_and_before_broadcasting_sends_the_batch_again(session, payout_dao, chain_id, results):
    """A `sent` batch whose transaction never reached the chain is unpaid there, so it is sent again, once."""
    token, batcher, _ = payout_dao
    with pytest.raises(Crash):
        pay(session, payout_dao, chain_id, checkpoint=crash_at("sent", 0))
    assert statuses(session, chain_id) == ["sent", "planned", "planned"]
    assert balances(token) == dict.fromkeys(LABELERS, 0)
    _, report = pay(session, payout_dao, chain_id)
    assert report.paid == [0, 1, 2] and balances(token) == results
    assert reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token).ok


def test_a_batch_paid_by_a_racing_run_is_recorded_not_repaid(session, payout_dao, chain_id, results, monkeypatch):
    """If isPaid said no but the batch got paid before our send, the AlreadyPaid revert is recorded as paid."""
    token, batcher, operator = payout_dao
    plan = plan_period(session, chain_id=chain_id, period=PERIOD, config=CONFIG)
    first = plan.batches[0]
    token.approve(batcher, first.batch.total, sender=operator)
    batcher.payout(bytes.fromhex(first.batch.batch_id[2:]), [line.labeler for line in first.lines],
                   [line.amount for line in first.lines], sender=operator)  # the other run  # fmt: skip
    real, asked = payouts._is_paid, []

    def stale_is_paid(contract, batch):  # the answer our run got just before the other run's payout
        if batch.batch_index == 0 and not asked:
            asked.append(batch.batch_id)
            return False
        return real(contract, batch)

    monkeypatch.setattr(payouts, "_is_paid", stale_is_paid)
    report = pay_plan(session, plan, batcher=batcher, token=token, payer=operator)
    assert report.recovered == [0] and report.paid == [1, 2]
    assert balances(token) == results
    assert reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token).ok


def test_results_changed_after_planning_are_reported_not_paid(session, payout_dao, chain_id, results):
    """A late result changes today's computation; the stored plan is paid as it was and the drift is named."""
    token, _, _ = payout_dao
    plan_period(session, chain_id=chain_id, period=PERIOD, config=CONFIG)
    ingest_labeling(session, [{"result_key": "late", "task_key": "t1", "labeler": LABELERS[3], "items": 2,
                               "gold_total": 0, "gold_correct": 0, "submitted_at": END - 1}], received_at=END)  # fmt: skip
    session.commit()
    plan, report = pay(session, payout_dao, chain_id)
    assert not plan.created and report.paid == [0, 1, 2]
    assert plan.drift == [f"{LABELERS[3]}: planned 20, now 21 SAHARA"]
    assert balances(token) == results


def test_a_payer_without_funds_or_role_is_refused_before_sending(session, payout_dao, chain_id, results, accounts, chain):
    """No PAYER_ROLE, or too few SAHARA: a clear error, no transaction, the plan kept for the rerun."""
    token, batcher, operator = payout_dao
    plan = plan_period(session, chain_id=chain_id, period=PERIOD, config=CONFIG)
    with pytest.raises(PayoutError, match="does not hold PAYER_ROLE"):
        pay_plan(session, plan, batcher=batcher, token=token, payer=accounts[2])
    token.transfer(accounts[2], token.balanceOf(operator) - 1, sender=operator)
    with pytest.raises(PayoutError, match="needs .* SAHARA but the payer .* holds 0.000000000000000001: transfer"):
        pay_plan(session, plan, batcher=batcher, token=token, payer=operator)
    assert statuses(session, chain_id) == ["planned"] * 3 and balances(token) == dict.fromkeys(LABELERS, 0)


def test_reconcile_names_every_disagreement(session, payout_dao, chain_id, results):
    """A total changed in the database, and a batch recorded paid that the chain never paid, are reported."""
    token, batcher, _ = payout_dao
    with pytest.raises(Crash):
        pay(session, payout_dao, chain_id, checkpoint=crash_at("paid", 0))
    batches = session.exec(select(PayoutBatch).order_by(PayoutBatch.batch_index)).all()
    batches[0].total += 1
    batches[2].status = BatchStatus.PAID
    session.add_all(batches)
    session.commit()
    check = reconcile(session, chain_id=chain_id, period=PERIOD, batcher=batcher, token=token)
    assert check.checked == 3 and check.unpaid == 1 and check.paid == 0
    text = "\n".join(check.mismatches)
    assert "its lines" in text and "BatchPaid says 2 labelers" in text
    assert "recorded paid, but the chain says unpaid" in text
