"""Labeling payouts, the on-chain half: a period's plan recorded before anything is sent, batches
paid exactly once through PayoutBatcher, and a reconciliation of the database with the chain.

Plan. :func:`plan_period` splits a period's payable labelers (see :mod:`sahara_dao.token.labeling`),
ordered by address, into batches of at most ``batch_size`` and commits them (``payout_batch`` rows
with status ``planned`` and their ``payout_line`` rows) before any transaction. A batch's id is

    keccak256(abi.encode(uint256 chainId, string period, uint256 batchIndex))

so it names one slot of one period on one chain, whatever the rows. Once a period has a plan, every
later run pays that plan and never computes another: results that arrived or changed afterwards
are reported as drift (settle them by hand or in a later period), never silently paid.

Pay. :func:`pay_plan` takes each batch that is not ``paid``, in order:

1. it asks the chain ``isPaid(batchId)``; if the chain says paid (the job died after sending and
   before recording), it records ``paid`` from the batch's ``BatchPaid`` event and sends nothing;
2. otherwise it checks the payer's balance, approves the batcher for the batch total if needed,
   signs ``payout(batchId, recipients, amounts)``, commits status ``sent`` with the transaction's
   hash, then broadcasts it;
3. once mined, it checks the receipt's ``BatchPaid`` (count, total) and commits ``paid``.

The contract executes a batch id at most once, and a batch that reverted left nothing behind; so a
job killed at any point is resumed by running it again: no labeler is paid twice, none is skipped.
A ``sent`` batch whose transaction is still pending is waited for before anything is resent, and a
resend that loses a race to another copy of the job (``PayoutBatcherBatchAlreadyPaid``) is recorded
as paid.

Reconcile. :func:`reconcile` compares every batch of the period with the chain: ``isPaid``, the
``BatchPaid`` event (exactly one; count and total) and the token transfers of its transaction
(each line's recipient and amount), and reports every mismatch.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sahara_dao.core.accounts import require_funds
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.models import Chain
from sahara_dao.core.units import format_tokens
from sahara_dao.token.errors import TokenError
from sahara_dao.token.labeling import (
    LabelerPayout,
    LabelingConfig,
    PeriodPayouts,
    compute_payouts,
    describe,
    labeler_key,
    period_window,
)
from sahara_dao.token.models import PayoutBatch, PayoutLine

PENDING_TIMEOUT = 600  # seconds to wait for a recorded transaction that is still pending


class PayoutError(TokenError, RuntimeError):
    """A payout cannot proceed (no funds, no role, a receipt that disagrees with the plan)."""


class BatchStatus(StrEnum):
    PLANNED = "planned"  # recorded, nothing sent
    SENT = "sent"  # transaction signed and its hash recorded, then broadcast
    PAID = "paid"  # the chain says paid, and its BatchPaid agrees with the plan


Progress = Callable[[str], None]
Checkpoint = Callable[[str, PayoutBatch], None]
"""Called with ``"sent"`` (hash committed, before broadcasting), ``"mined"`` (receipt in hand, before
recording) and ``"paid"`` (recorded): the places where a crash must be survivable. Tests raise
from it to kill the job there."""


def batch_id(chain_id: int, period: str, index: int) -> str:
    """``keccak256(abi.encode(chainId, period, batchIndex))`` as 0x-hex."""
    return "0x" + keccak(abi_encode(["uint256", "string", "uint256"], [chain_id, period, index])).hex()


def register_chain(session: Session, *, chain_id: int, ecosystem: str, network: str) -> None:
    """Record the chain (a payout batch and a labeling task name it), if it is not known yet."""
    if session.get(Chain, chain_id) is None:
        session.add(Chain(chain_id=chain_id, ecosystem=ecosystem, network=network))
        session.commit()


def register_deployed_chains(session: Session, store: DeploymentStore) -> list[int]:
    """Record every chain that has a deployment record in ``store`` (so its tasks can be ingested
    before anything was paid or indexed there); returns their ids."""
    chain_ids = []
    for path in sorted(store.directory.glob("*.json")) if store.directory.is_dir() else []:
        if path.stem.isdigit() and (record := store.load(int(path.stem))) is not None:
            ecosystem, network = record.network.split(":")[:2]
            register_chain(session, chain_id=record.chain_id, ecosystem=ecosystem, network=network)
            chain_ids.append(record.chain_id)
    return chain_ids


# --- plan --------------------------------------------------------------------------------------------


@dataclass
class PlannedBatch:
    batch: PayoutBatch
    lines: list[PayoutLine]  # ordered by labeler address, as sent


@dataclass
class Plan:
    """The batches of one period on one chain, as recorded."""

    chain_id: int
    period: str
    batches: list[PlannedBatch]
    created: bool  # planned by this call (False: a stored plan, reused as it is)
    computed: PeriodPayouts  # today's computation from the stored results
    drift: list[str] = field(default_factory=list)  # how today's computation differs from the stored plan

    @property
    def total(self) -> int:
        return sum(planned.batch.total for planned in self.batches)

    @property
    def labelers(self) -> int:
        return sum(len(planned.lines) for planned in self.batches)


def split_batches(chain_id: int, period: str, payable: tuple[LabelerPayout, ...], size: int) -> list[PlannedBatch]:
    """Payable labelers, ordered by address, in batches of at most ``size``."""
    ordered = sorted(payable, key=lambda p: labeler_key(p.labeler))
    batches = []
    for index, start in enumerate(range(0, len(ordered), size)):
        rows = ordered[start : start + size]
        bid = batch_id(chain_id, period, index)
        lines = [PayoutLine(batch_id=bid, labeler=p.labeler, items=p.items, quality_bps=p.quality_bps, amount=p.amount)
                 for p in rows]  # fmt: skip
        batch = PayoutBatch(batch_id=bid, chain_id=chain_id, period=period, batch_index=index,
                            status=BatchStatus.PLANNED, count=len(lines), total=sum(p.amount for p in rows))  # fmt: skip
        batches.append(PlannedBatch(batch, lines))
    return batches


def load_plan(session: Session, *, chain_id: int, period: str) -> list[PlannedBatch]:
    """The recorded batches of a period, in order (empty when it was never planned)."""
    batches = session.exec(
        select(PayoutBatch).where(PayoutBatch.chain_id == chain_id, PayoutBatch.period == period)
        .order_by(PayoutBatch.batch_index)
    ).all()  # fmt: skip
    planned = []
    for batch in batches:
        lines = session.exec(select(PayoutLine).where(PayoutLine.batch_id == batch.batch_id)).all()
        planned.append(PlannedBatch(batch, sorted(lines, key=lambda line: labeler_key(line.labeler))))
    return planned


def plan_period(session: Session, *, chain_id: int, period: str, config: LabelingConfig) -> Plan:
    """The period's plan: the stored one if there is one (with any drift reported), else a new one,
    committed before this returns."""
    period_window(period)
    computed = compute_payouts(session, chain_id=chain_id, period=period, config=config)
    stored = load_plan(session, chain_id=chain_id, period=period)
    if not stored and computed.payable:
        batches = split_batches(chain_id, period, computed.payable, config.batch_size)
        for planned in batches:
            session.add(planned.batch)
            session.flush()  # the batch row before its lines (foreign key)
            session.add_all(planned.lines)
        try:
            session.commit()
        except IntegrityError:  # another run planned this period meanwhile: use its plan
            session.rollback()
            stored = load_plan(session, chain_id=chain_id, period=period)
        else:
            return Plan(chain_id, period, batches, True, computed)
    return Plan(chain_id, period, stored, False, computed, _drift(stored, computed))


def _drift(stored: list[PlannedBatch], computed: PeriodPayouts) -> list[str]:
    planned = {line.labeler: line.amount for batch in stored for line in batch.lines}
    now = {p.labeler: p.amount for p in computed.payable}
    changes = []
    for labeler in sorted(planned.keys() | now.keys(), key=labeler_key):
        before, after = planned.get(labeler, 0), now.get(labeler, 0)
        if before != after:
            changes.append(f"{labeler}: planned {format_tokens(before)}, now {format_tokens(after)} SAHARA")
    return changes


# --- pay ---------------------------------------------------------------------------------------------


@dataclass
class PayReport:
    """What :func:`pay_plan` did, batch by batch (by batch index)."""

    paid: list[int] = field(default_factory=list)  # sent and paid by this run
    recovered: list[int] = field(default_factory=list)  # found paid on chain, recorded now, nothing sent
    skipped: list[int] = field(default_factory=list)  # already recorded as paid


def pay_plan(
    session: Session, plan: Plan, *, batcher, token, payer, progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> PayReport:  # fmt: skip
    """Pay every batch of ``plan`` that is not paid yet, each exactly once (see the module's notes).
    Commits after every step; ``payer`` is an Ape account holding PAYER_ROLE on ``batcher``."""
    say = progress or (lambda _text: None)
    mark = checkpoint or (lambda _stage, _batch: None)
    report = PayReport()
    count = len(plan.batches)
    if any(p.batch.status != BatchStatus.PAID for p in plan.batches):
        _check_role(batcher, payer)
        require_funds(payer, "labeling payouts")
    for planned in plan.batches:
        batch = planned.batch
        label = f"batch {batch.batch_index + 1}/{count} {batch.batch_id[:10]}"
        if batch.status == BatchStatus.PAID:
            report.skipped.append(batch.batch_index)
            say(f"{label}: already paid ({_labelers(batch.count)}, tx {batch.tx_hash})")
            continue
        if batch.status == BatchStatus.SENT and batch.tx_hash:
            _wait_if_pending(batch.tx_hash, say, label)
        if _is_paid(batcher, batch):
            _record_paid_from_chain(session, batch, batcher)
            report.recovered.append(batch.batch_index)
            say(f"{label}: found paid on chain (tx {batch.tx_hash}), recorded; nothing sent")
            continue
        _ensure_funds(token, payer, batcher, batch, say, label)
        signed = _sign(batcher, payer, planned)
        if signed is None:  # lost a race: another job paid it between isPaid and now
            _record_paid_from_chain(session, batch, batcher)
            report.recovered.append(batch.batch_index)
            say(f"{label}: paid meanwhile by another run (tx {batch.tx_hash}), recorded; nothing sent")
            continue
        batch.status, batch.tx_hash = BatchStatus.SENT, _hex(signed.txn_hash)
        session.add(batch)
        session.commit()
        mark("sent", batch)
        receipt = _broadcast(payer, signed, batcher, batch)
        mark("mined", batch)
        if receipt is None:
            _record_paid_from_chain(session, batch, batcher)
            report.recovered.append(batch.batch_index)
            say(f"{label}: paid meanwhile by another run (tx {batch.tx_hash}), recorded")
            continue
        _check_batch_paid(batcher, batch, _batch_paid_events(receipt, batcher, batch))
        batch.status = BatchStatus.PAID
        session.add(batch)
        session.commit()
        mark("paid", batch)
        report.paid.append(batch.batch_index)
        say(f"{label}: paid {_labelers(batch.count)} {format_tokens(batch.total)} SAHARA (tx {batch.tx_hash})")
    return report


def _labelers(count: int) -> str:
    return f"{count} labeler{'' if count == 1 else 's'}"


def _hex(value) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text


def _bytes32(batch: PayoutBatch) -> bytes:
    return bytes.fromhex(batch.batch_id[2:])


def _is_paid(batcher, batch: PayoutBatch) -> bool:
    return bool(batcher.isPaid(_bytes32(batch)))


def _check_role(batcher, payer) -> None:
    if not batcher.hasRole(batcher.PAYER_ROLE(), payer.address):
        raise PayoutError(
            f"account {payer.address} does not hold PAYER_ROLE on the payout batcher {batcher.address}: "
            "sign with the Foundation's operator (economy.operator in governance/params.yaml; dev:9 locally)"
        )


def _ensure_funds(token, payer, batcher, batch: PayoutBatch, say: Progress, label: str) -> None:
    balance = token.balanceOf(payer.address)
    if balance < batch.total:
        raise PayoutError(
            f"{label} needs {format_tokens(batch.total)} SAHARA but the payer {payer.address} holds "
            f"{format_tokens(balance)}: transfer SAHARA to it and rerun (paid batches stay paid)"
        )
    if token.allowance(payer.address, batcher.address) < batch.total:
        token.approve(batcher.address, batch.total, sender=payer)
        say(f"{label}: approved the batcher for {format_tokens(batch.total)} SAHARA")


def _sign(batcher, payer, planned: PlannedBatch):
    """The signed payout transaction, or None when the chain says the batch is already paid."""
    from ape.exceptions import ContractLogicError

    batch = planned.batch
    recipients = [line.labeler for line in planned.lines]
    amounts = [line.amount for line in planned.lines]
    try:
        txn = batcher.payout.as_transaction(_bytes32(batch), recipients, amounts, sender=payer)
    except ContractLogicError as exc:
        if _already_paid(exc, batcher):
            return None
        raise PayoutError(f"batch {batch.batch_id} would revert: {exc}") from exc
    signed = payer.sign_transaction(txn)
    if signed is None:
        raise PayoutError(f"account {payer.address} did not sign the payout of batch {batch.batch_id}")
    return signed


def _broadcast(payer, signed, batcher, batch: PayoutBatch):
    """The receipt of the payout, or None when it reverted because the batch was paid meanwhile."""
    from ape.exceptions import ContractLogicError

    try:
        return payer.provider.send_transaction(signed)
    except ContractLogicError as exc:
        if _already_paid(exc, batcher):
            return None
        raise PayoutError(f"the payout of batch {batch.batch_id} reverted: {exc}; rerun to retry it") from exc


def _already_paid(exc, batcher) -> bool:
    selector = keccak(text="PayoutBatcherBatchAlreadyPaid(bytes32)")[:4]
    if getattr(exc, "abi", None) is not None and getattr(exc.abi, "name", "") == "PayoutBatcherBatchAlreadyPaid":
        return True
    message = str(getattr(exc, "revert_message", "") or exc)
    return "PayoutBatcherBatchAlreadyPaid" in message or ("0x" + selector.hex()) in message


def _wait_if_pending(tx_hash: str, say: Progress, label: str) -> None:
    """Wait for a recorded transaction that the node still holds unmined; an unknown one (never
    broadcast, or dropped) needs no wait: the batch is simply sent again."""
    from ape import chain
    from web3.exceptions import TransactionNotFound

    web3 = chain.provider.web3
    try:
        txn = web3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return
    if txn.get("blockNumber") is None:
        say(f"{label}: transaction {tx_hash} is pending, waiting for it")
        web3.eth.wait_for_transaction_receipt(tx_hash, timeout=PENDING_TIMEOUT)


def _record_paid_from_chain(session: Session, batch: PayoutBatch, batcher) -> None:
    """The chain says the batch is paid: take its transaction from the BatchPaid event, check the
    event against the plan, and record ``paid``."""
    events, tx_hash = _find_batch_paid(batcher, batch)
    _check_batch_paid(batcher, batch, events)
    batch.status, batch.tx_hash = BatchStatus.PAID, tx_hash
    session.add(batch)
    session.commit()


def _find_batch_paid(batcher, batch: PayoutBatch) -> tuple[list, str | None]:
    """The BatchPaid events of the batch, from its recorded transaction when that one paid it, else
    from the batcher's logs (searched from block 0)."""
    from ape import chain

    if batch.tx_hash:
        try:
            receipt = chain.get_receipt(batch.tx_hash)
        except Exception:  # noqa: BLE001 - unknown or dropped transaction: search the logs instead
            receipt = None
        if receipt is not None and (events := _batch_paid_events(receipt, batcher, batch)):
            return events, batch.tx_hash
    events = list(batcher.BatchPaid.range(0, chain.blocks.head.number + 1, search_topics={"batchId": _bytes32(batch)}))
    return events, (_hex(events[0].transaction_hash) if events else None)


def _batch_paid_events(receipt, batcher, batch: PayoutBatch) -> list:
    wanted = _bytes32(batch)
    return [log for log in receipt.events.filter(batcher.BatchPaid) if bytes(log.batchId) == wanted]


def _check_batch_paid(batcher, batch: PayoutBatch, events: list) -> None:
    if len(events) != 1:
        raise PayoutError(f"batch {batch.batch_id}: expected one BatchPaid event on {batcher.address}, "
                          f"found {len(events)}; run `sahara labeling status` and check the chain")  # fmt: skip
    event = events[0]
    if (event.count, event.total) != (batch.count, batch.total):
        raise PayoutError(
            f"batch {batch.batch_id}: the chain paid {event.count} labelers {format_tokens(event.total)} SAHARA, "
            f"the plan says {batch.count} and {format_tokens(batch.total)}: investigate before paying more"
        )


# --- reconcile ---------------------------------------------------------------------------------------


@dataclass
class Reconciliation:
    """How the database and the chain agree on a period's batches."""

    checked: int = 0
    paid: int = 0  # batches paid on chain and in the database, in full agreement
    unpaid: int = 0  # batches paid nowhere yet
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconcile(session: Session, *, chain_id: int, period: str, batcher, token) -> Reconciliation:
    """Check every recorded batch of the period against the chain; nothing is written."""
    from ape import chain

    result = Reconciliation()
    for planned in load_plan(session, chain_id=chain_id, period=period):
        batch, lines = planned.batch, planned.lines
        result.checked += 1
        where = f"batch {batch.batch_index} {batch.batch_id[:10]}"
        problems = []
        if (batch.count, batch.total) != (len(lines), sum(line.amount for line in lines)):
            problems.append(f"{where}: its lines ({len(lines)}, {format_tokens(sum(line.amount for line in lines))})"
                            f" differ from the batch ({batch.count}, {format_tokens(batch.total)})")  # fmt: skip
        on_chain = _is_paid(batcher, batch)
        if not on_chain:
            if batch.status == BatchStatus.PAID:
                problems.append(f"{where}: recorded paid, but the chain says unpaid (wrong chain or batcher?)")
            else:
                result.unpaid += 1
            result.mismatches += problems
            continue
        if batch.status != BatchStatus.PAID:
            problems.append(f"{where}: paid on chain, recorded {batch.status}: rerun `sahara labeling pay` to record it")
        events, tx_hash = _find_batch_paid(batcher, batch)
        if len(events) != 1:
            problems.append(f"{where}: {len(events)} BatchPaid events on chain, expected 1")
        else:
            event = events[0]
            if (event.count, event.total) != (batch.count, batch.total):
                problems.append(f"{where}: BatchPaid says {event.count} labelers, {format_tokens(event.total)}; "
                                f"recorded {batch.count}, {format_tokens(batch.total)}")  # fmt: skip
            if tx_hash != batch.tx_hash:
                problems.append(f"{where}: paid in tx {tx_hash}, recorded tx {batch.tx_hash}")
            transfers = _transfers(chain.get_receipt(tx_hash), token, batcher)
            expected = sorted((line.labeler, line.amount) for line in lines)
            if sorted(transfers) != expected:
                problems.append(f"{where}: the transaction's transfers differ from the recorded lines")
        if not problems:
            result.paid += 1
        result.mismatches += problems
    return result


def _transfers(receipt, token, batcher) -> list[tuple[str, int]]:
    found = []
    for log in receipt.events.filter(token.Transfer):
        arguments = log.event_arguments
        if to_checksum_address(arguments["from"]) == to_checksum_address(batcher.address):
            found.append((to_checksum_address(arguments["to"]), int(arguments["value"])))
    return found


# --- the whole job -----------------------------------------------------------------------------------


@dataclass
class PayoutRun:
    plan: Plan
    report: PayReport
    reconciliation: Reconciliation


def describe_plan(plan: Plan) -> list[str]:
    """What is about to be paid: the plan's totals, today's computation, and any drift since it was recorded."""
    state = "recorded now" if plan.created else "recorded earlier, reused" if plan.batches else "nothing to pay"
    lines = [f"plan ({state}): {len(plan.batches)} batches, {plan.labelers} labelers, "
             f"{format_tokens(plan.total)} SAHARA; today's computation: {describe(plan.computed)}"]  # fmt: skip
    if plan.drift:
        lines.append(f"warning: results changed since the plan was recorded ({len(plan.drift)} labelers); the "
                     "recorded plan is paid as it is, settle these by hand:")  # fmt: skip
        lines += [f"  {line}" for line in plan.drift]
    return lines


def run_payouts(
    session: Session, *, chain_id: int, period: str, config: LabelingConfig, batcher, token, payer,
    progress: Progress | None = None, checkpoint: Checkpoint | None = None,
) -> PayoutRun:  # fmt: skip
    """Plan (or reload the plan of) ``period`` on the connected chain, pay what is unpaid, reconcile."""
    plan = plan_period(session, chain_id=chain_id, period=period, config=config)
    if progress is not None:
        for line in describe_plan(plan):
            progress(line)
    report = pay_plan(session, plan, batcher=batcher, token=token, payer=payer, progress=progress,
                      checkpoint=checkpoint)  # fmt: skip
    return PayoutRun(plan, report, reconcile(session, chain_id=chain_id, period=period, batcher=batcher, token=token))


@contextmanager
def _payout_contracts(network: str) -> Iterator[tuple[int, Any, Any]]:
    """Connected to ``network``: its chain id, SaharaToken and PayoutBatcher (of a complete deployment)."""
    from ape import chain

    from sahara_dao.core.chain import connect
    from sahara_dao.core.contracts import project
    from sahara_dao.core.deployments import COMPLETE
    from sahara_dao.core.settings import get_settings

    with connect(network):
        record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
        if record is None or record.status != COMPLETE:
            raise PayoutError(f"no complete deployment on chain {chain.chain_id}: run `sahara deploy --network {network}`")
        contracts = project()
        yield (chain.chain_id, contracts.SaharaToken.at(record.address("token")),
               contracts.PayoutBatcher.at(record.address("payouts")))  # fmt: skip


def _labeling_config(config_file, period: str) -> LabelingConfig:
    from sahara_dao.core.settings import get_settings
    from sahara_dao.token.labeling import load_labeling_config

    period_window(period)  # a malformed day is refused before connecting
    return load_labeling_config(config_file or get_settings().labeling_file)


def _register(session: Session, network: str, chain_id: int) -> None:
    ecosystem, network_name, _ = network.split(":")
    register_chain(session, chain_id=chain_id, ecosystem=ecosystem, network=network_name)


def pay_on_network(
    network: str, period: str, *, account: str | None = None, config_file=None, progress: Progress | None = None,
) -> PayoutRun:  # fmt: skip
    """Connect to ``network``, pick the payer (``account``, or on local chains the development
    account holding PAYER_ROLE) and :func:`run_payouts` the period there."""
    from sahara_dao.core.accounts import load_signer
    from sahara_dao.core.chain import is_local
    from sahara_dao.core.db import session_scope

    config = _labeling_config(config_file, period)
    with _payout_contracts(network) as (chain_id, token, batcher):
        role = batcher.PAYER_ROLE()
        payer = load_signer(account, local=is_local(network), what=f"a holder of PAYER_ROLE on {batcher.address}",
                            qualifies=lambda address: batcher.hasRole(role, address))  # fmt: skip
        if progress is not None:
            progress(f"paying labelers of {period} on chain {chain_id} ({network}) from {payer.address}")
        with session_scope() as session:
            _register(session, network, chain_id)
            return run_payouts(session, chain_id=chain_id, period=period, config=config, batcher=batcher,
                               token=token, payer=payer, progress=progress)  # fmt: skip


# --- for schedulers (Airflow's labeling_payouts): plain values in and out ------------------------------


def plan_on_network(network: str, period: str) -> dict:
    """Plan the period on ``network``'s chain (or load its recorded plan); sends nothing."""
    from sahara_dao.core.db import session_scope

    config = _labeling_config(None, period)
    with _payout_contracts(network) as (chain_id, _token, _batcher), session_scope() as session:
        _register(session, network, chain_id)
        plan = plan_period(session, chain_id=chain_id, period=period, config=config)
        return {"network": network, "period": period, "chain_id": chain_id, "planned_now": plan.created,
                "batches": len(plan.batches), "labelers": plan.labelers, "total": str(plan.total),
                "drift": list(plan.drift)}  # fmt: skip


def pay_period(network: str, period: str, *, account: str | None = None) -> dict:
    """Pay the period's planned batches on ``network`` (see :func:`pay_on_network`). Rerun after
    any failure: nobody is paid twice, nobody is skipped."""
    run = pay_on_network(network, period, account=account)
    plan, report = run.plan, run.report
    return {"network": network, "period": period, "labelers": plan.labelers, "total": str(plan.total),
            "batches": len(plan.batches), "paid_now": len(report.paid), "recovered": len(report.recovered),
            "skipped": len(report.skipped), "drift": list(plan.drift)}  # fmt: skip


def reconcile_on_network(network: str, period: str) -> dict:
    """Compare every batch of the period with the chain; raises on any mismatch."""
    from sahara_dao.core.db import session_scope

    with _payout_contracts(network) as (chain_id, token, batcher), session_scope() as session:
        check = reconcile(session, chain_id=chain_id, period=period, batcher=batcher, token=token)
    if not check.ok:
        raise PayoutError(f"reconciliation of {period} on {network} found {len(check.mismatches)} mismatches: "
                          + "; ".join(check.mismatches) + ". Investigate before paying more")  # fmt: skip
    return {"network": network, "period": period, "chain_id": chain_id, "reconciled": check.paid}


# --- status ------------------------------------------------------------------------------------------


@dataclass
class ChainPeriod:
    """One chain's view of a period: its recorded batches, or what it would pay when unplanned."""

    chain_id: int
    batches: list[PlannedBatch]
    computed: PeriodPayouts
    drift: list[str]


def period_status(session: Session, *, period: str, config: LabelingConfig) -> list[ChainPeriod]:
    """Every chain with batches or results in ``period``: recorded batches, computation and drift."""
    from sahara_dao.token.models import LabelingResult, LabelingTask

    start, end = period_window(period)
    planned_chains = set(session.exec(select(PayoutBatch.chain_id).where(PayoutBatch.period == period)))
    result_chains = set(session.exec(
        select(LabelingTask.chain_id).join(LabelingResult, LabelingResult.task_key == LabelingTask.task_key)
        .where(LabelingResult.submitted_at >= start, LabelingResult.submitted_at < end)
    ))  # fmt: skip
    views = []
    for chain_id in sorted(planned_chains | result_chains):
        computed = compute_payouts(session, chain_id=chain_id, period=period, config=config)
        batches = load_plan(session, chain_id=chain_id, period=period)
        views.append(ChainPeriod(chain_id, batches, computed, _drift(batches, computed) if batches else []))
    return views
