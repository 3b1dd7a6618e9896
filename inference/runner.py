"""The batch runner: pending requests of one chain, gated, grouped per model, run in dynamic
batches, metered exactly once.

Each step commits on its own, so a crash anywhere loses nothing and repeats nothing on the rerun:
1. quota charges left ``pending`` by a crashed run are settled from the chain (sent again only if
   the license's ``used`` counter shows they never landed);
2. pending requests pass the license gate (rejected with the reason) and input validation (failed
   with the reason), the rest run in dynamic batches bounded by ``max_batch`` rows (or texts) and by
   ``max_batch_bytes``, the model's estimate of the tensors one call holds (a request that alone
   exceeds it fails with the reason); results are written and the requests become ``ran``, with the
   unit price of the price configuration (``prices.py``) and their amount;
3. API calls of ``ran`` requests are charged with one ``consumeMany`` per run, recorded first;
4. ``ran`` requests whose calls are charged (or whose license needs no quota) are handed to the usage
   sinks and marked ``metered`` in the same transaction; the sinks keep one record per request_id.
"""

import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlmodel import select

from sahara_dao.core.db import session_scope
from sahara_dao.core.settings import get_settings
from sahara_dao.inference.engine import TEXT_KIND, Malformed, load_model
from sahara_dao.inference.errors import InferenceError
from sahara_dao.inference.gate import API, KIND_NAMES, choose_license
from sahara_dao.inference.models import (
    FAILED,
    METERED,
    PENDING,
    RAN,
    REJECTED,
    InferenceBatch,
    InferenceRequest,
    QuotaCharge,
)  # fmt: skip
from sahara_dao.inference.prices import PriceBook, load_prices
from sahara_dao.inference.store import model_path

log = logging.getLogger(__name__)
SENT = "sent"


@dataclass
class RunSummary:
    requests: int = 0
    batches: int = 0
    rows: int = 0  # units run: feature rows or texts
    memory_splits: int = 0  # batches closed early because the next request would pass max_batch_bytes
    ran: int = 0
    metered: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> requests
    failed: Counter = field(default_factory=Counter)
    providers: set[str] = field(default_factory=set)
    quota_calls: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        """Requests run per second of the whole run."""
        return self.ran / self.seconds if self.seconds else 0.0


def run_pending(
    *, ledger, providers: list[str], sinks: list, prices: PriceBook | dict[int, int] | None = None,
    max_batch: int | None = None, max_batch_bytes: int | None = None, url: str | None = None,
    clock: Callable[[], int] = lambda: int(time.time()), progress: Callable[[int], None] = lambda n: None,
) -> RunSummary:
    """Run every pending request of ``ledger``'s chain. ``prices``: a price book, or base units per
    unit by asset id on this chain over the configured book (default: the configured book only);
    ``max_batch`` and ``max_batch_bytes`` default to the settings (SAHARA_INFERENCE_MAX_BATCH_*)."""
    settings = get_settings()
    max_batch = settings.inference_max_batch_rows if max_batch is None else max_batch
    max_batch_bytes = settings.inference_max_batch_bytes if max_batch_bytes is None else max_batch_bytes
    if max_batch < 1 or max_batch_bytes < 1:
        raise InferenceError(f"max batch size and bytes must be at least 1, not {max_batch} and {max_batch_bytes}")
    if not isinstance(prices, PriceBook):
        prices = load_prices(settings.inference_prices_file).with_assets(ledger.chain_id, prices or {})
    started, summary = time.perf_counter(), RunSummary()
    settle_quota(ledger, url)
    limits = (max_batch, max_batch_bytes)
    run_requests(ledger, providers, prices, limits, url, clock, progress, summary)
    summary.quota_calls = charge_quota(ledger, url)
    settle_quota(ledger, url)
    summary.metered = meter(ledger.chain_id, sinks, url, clock)
    summary.seconds = time.perf_counter() - started
    return summary


def run_requests(ledger, providers, prices, limits, url, clock, progress, summary) -> None:
    with session_scope(url) as session:
        pending = session.exec(select(InferenceRequest).where(
            InferenceRequest.chain_id == ledger.chain_id, InferenceRequest.status == PENDING,
        ).order_by(InferenceRequest.id)).all()  # fmt: skip
        summary.requests = len(pending)
        granted = _ungranted_calls(session, ledger.chain_id)
        now, books = ledger.now(), {}
        groups: dict[int, list] = defaultdict(list)
        for request in pending:
            try:
                runner = _runner(session, request, providers)
                item = runner.validate(request.inputs)
            except (Malformed, InferenceError) as exc:
                _finish(request, FAILED, str(exc), summary.failed, progress)
                continue
            key = (request.asset_id, request.account)
            if key not in books:
                books[key] = ledger.licenses_of(request.asset_id, request.account)
            chosen, reason = choose_license(books[key], now=now, units=len(item), granted=granted)
            if chosen is None:
                _finish(request, REJECTED, reason, summary.rejected, progress)
                continue
            request.license_id, request.license_kind, request.units = chosen.license_id, KIND_NAMES[chosen.kind], len(item)
            request.unit_price = prices.unit_price(chain_id=request.chain_id, asset_id=request.asset_id,
                                                   model=runner.name)  # fmt: skip
            request.amount = 0 if chosen.kind == API else len(item) * request.unit_price
            groups[request.asset_id].append((request, item, runner))
        max_rows, max_bytes = limits
        for asset_id, items in groups.items():
            fitting = []
            for entry in items:
                needs = entry[2].batch_bytes([entry[1]])
                if needs > max_bytes:  # alone over the memory bound: it can never run
                    _finish(entry[0], FAILED, _too_large(needs, max_bytes), summary.failed, progress)
                else:
                    fitting.append(entry)
            for batch in _batches(fitting, max_rows, max_bytes, summary):
                _run_batch(session, ledger.chain_id, asset_id, batch, clock(), summary)
                progress(len(batch))


def _runner(session, request, providers):
    path, sha256 = model_path(session, chain_id=request.chain_id, asset_id=request.asset_id)
    return load_model(str(path), sha256, tuple(providers), get_settings().inference_threads)


def _finish(request, status, reason, counter, progress) -> None:
    request.status, request.reason = status, reason
    counter[reason.split(":")[0]] += 1
    progress(1)


def _batches(items, max_rows: int, max_bytes: int, summary: RunSummary):
    """Batches of consecutive requests, at most ``max_rows`` rows (a larger request runs alone) and
    at most ``max_bytes`` by the model's estimate of one call. Texts go shortest first, so that a
    batch pads its texts to similar lengths."""
    if items and items[0][2].kind == TEXT_KIND:
        items = sorted(items, key=lambda entry: max(map(len, entry[1])))
    batch, rows = [], 0
    for item in items:
        over_rows = rows + len(item[1]) > max_rows
        over_bytes = not over_rows and item[2].batch_bytes([entry[1] for entry in batch] + [item[1]]) > max_bytes
        if batch and (over_rows or over_bytes):
            summary.memory_splits += over_bytes
            yield batch
            batch, rows = [], 0
        batch.append(item)
        rows += len(item[1])
    if batch:
        yield batch


def _too_large(needs: int, max_bytes: int) -> str:
    return (f"too large: needs about {needs:,} bytes in one call, the limit is {max_bytes:,} "
            "(SAHARA_INFERENCE_MAX_BATCH_BYTES): split the request or raise the limit")


def _run_batch(session, chain_id, asset_id, batch, now, summary) -> None:
    runner = batch[0][2]
    outputs, elapsed_us = runner.run_batch([item for _, item, _ in batch])
    units = sum(len(item) for _, item, _ in batch)
    batch_id = uuid.uuid4().hex
    session.add(InferenceBatch(batch_id=batch_id, chain_id=chain_id, asset_id=asset_id,
                               model_sha256=runner.sha256, provider=runner.provider, requests=len(batch),
                               rows=units, elapsed_us=elapsed_us, started_at=now))  # fmt: skip
    log.info("batch %s: %d requests, %d units on %s", batch_id[:8], len(batch), units, runner.provider)
    for (request, _, _), output in zip(batch, outputs, strict=True):
        request.result = output | {"provider": runner.provider}
        request.status, request.batch_id, request.ran_at = RAN, batch_id, now
    summary.batches += 1
    summary.rows += units
    summary.ran += len(batch)
    summary.providers.add(runner.provider)


def _ungranted_calls(session, chain_id) -> dict[int, int]:
    """API calls of requests that ran but are not charged on chain yet, per license."""
    granted: dict[int, int] = defaultdict(int)
    for request in session.exec(select(InferenceRequest).where(
        InferenceRequest.chain_id == chain_id, InferenceRequest.status == RAN,
        InferenceRequest.license_kind == KIND_NAMES[API], InferenceRequest.quota_charge_id.is_(None),
    )):  # fmt: skip
        granted[request.license_id] += request.units
    return granted


def charge_quota(ledger, url) -> int:
    """Record one pending charge per license for the uncharged API calls, then send one consumeMany."""
    with session_scope(url) as session:
        for license_id, calls in _ungranted_calls(session, ledger.chain_id).items():
            charge = QuotaCharge(chain_id=ledger.chain_id, license_id=license_id, calls=calls,
                                 used_before=ledger.used(license_id))  # fmt: skip
            session.add(charge)
            session.flush()
            for request in session.exec(select(InferenceRequest).where(
                InferenceRequest.chain_id == ledger.chain_id, InferenceRequest.status == RAN,
                InferenceRequest.license_id == license_id, InferenceRequest.quota_charge_id.is_(None),
            )):  # fmt: skip
                request.quota_charge_id = charge.id
    with session_scope(url) as session:
        charges = _pending_charges(session, ledger.chain_id)
        if not charges:
            return 0
        tx_hash = ledger.consume_many([c.license_id for c in charges], [c.calls for c in charges])
        for charge in charges:
            charge.status, charge.tx_hash = SENT, tx_hash
        return sum(c.calls for c in charges)


def settle_quota(ledger, url) -> None:
    """Charges still ``pending`` (a run crashed around its consumeMany): mark those the chain shows
    as landed, send the others again."""
    with session_scope(url) as session:
        resend = []
        for charge in _pending_charges(session, ledger.chain_id):
            used = ledger.used(charge.license_id)
            if used >= charge.used_before + charge.calls:
                charge.status = SENT
            elif used == charge.used_before:
                resend.append(charge)
            else:
                raise InferenceError(
                    f"license {charge.license_id} shows {used} calls used, neither {charge.used_before} nor "
                    f"{charge.used_before + charge.calls}: another meter charged it; reconcile the charge "
                    f"{charge.id} by hand"
                )
        if resend:
            tx_hash = ledger.consume_many([c.license_id for c in resend], [c.calls for c in resend])
            for charge in resend:
                charge.status, charge.tx_hash = SENT, tx_hash


def _pending_charges(session, chain_id) -> list[QuotaCharge]:
    return list(session.exec(select(QuotaCharge).where(
        QuotaCharge.chain_id == chain_id, QuotaCharge.status == PENDING,
    ).order_by(QuotaCharge.id)))  # fmt: skip


def meter(chain_id: int, sinks: list, url, clock) -> int:
    """Hand ``ran`` requests whose calls are paid for to the sinks and mark them ``metered``, in one
    transaction (the sinks write into the same session)."""
    with session_scope(url) as session:
        sent = select(QuotaCharge.id).where(QuotaCharge.status == SENT)
        ready = list(session.exec(select(InferenceRequest).where(
            InferenceRequest.chain_id == chain_id, InferenceRequest.status == RAN,
            (InferenceRequest.license_kind != KIND_NAMES[API]) | InferenceRequest.quota_charge_id.in_(sent),
        ).order_by(InferenceRequest.id)))  # fmt: skip
        if not ready:
            return 0
        records = [usage_record(request) for request in ready]
        for sink in sinks:
            sink(session, records, received_at=clock())
        for request in ready:
            request.status = METERED
        return len(ready)


def usage_record(request: InferenceRequest) -> dict:
    """The usage record of a request that ran, keyed by its request_id."""
    return {"request_id": request.request_id, "chain_id": request.chain_id, "asset_id": request.asset_id,
            "license_id": request.license_id, "account": request.account, "units": request.units,
            "unit_price": request.unit_price, "amount": request.amount, "occurred_at": request.ran_at}  # fmt: skip


# --- for schedulers (Airflow's inference_batches): plain values in and out -------------------------------


@contextmanager
def _network_ledger(network: str, meter_account: str | None):
    from sahara_dao.core.accounts import load_account
    from sahara_dao.core.chain import connect, is_local
    from sahara_dao.core.settings import get_settings
    from sahara_dao.inference.ledger import ChainLedger

    with connect(network):
        yield ChainLedger(load_account(meter_account or get_settings().meter_account, local=is_local(network)))


def run_network(network: str, *, meter_account: str | None = None) -> dict:
    """Run the pending requests of ``network``'s chain at the configured prices
    (``SAHARA_INFERENCE_PRICES_FILE``) and batch limits, on the chain's clock; rerunning after a
    crash repeats nothing."""
    from sahara_dao.inference.providers import default_providers
    from sahara_dao.inference.sinks import load_usage_sinks

    with _network_ledger(network, meter_account) as ledger:
        summary = run_pending(ledger=ledger, providers=default_providers(), sinks=load_usage_sinks(),
                              clock=ledger.now)  # fmt: skip
    return {"network": network, "chain_id": ledger.chain_id, "requests": summary.requests, "ran": summary.ran,
            "batches": summary.batches, "metered": summary.metered, "quota_calls": summary.quota_calls,
            "rejected": dict(summary.rejected), "failed": dict(summary.failed),
            "providers": sorted(summary.providers)}  # fmt: skip


def record_usage(network: str, *, meter_account: str | None = None) -> dict:
    """Settle quota charges and meter what ran but is not yet recorded as usage (a run cut short
    between running and metering); idempotent: each request is metered once."""
    from sahara_dao.inference.sinks import load_usage_sinks

    with _network_ledger(network, meter_account) as ledger:
        settle_quota(ledger, None)
        metered = meter(ledger.chain_id, load_usage_sinks(), None, ledger.now)
    return {"network": network, "chain_id": ledger.chain_id, "metered": metered}
