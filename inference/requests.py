"""Taking inference requests into the ``inference_request`` table, once per ``request_id``
(from a JSONL file for offline runs, or from any caller).

A record that cannot be metered (no usable request_id, chain_id, asset_id or account) is not
dropped: it is kept in ``inference_rejected_request`` with the reason, under its request_id (or a
digest of the record when it has none). ``sahara infer rejected`` lists them and ``--export`` writes
them as JSONL, each with its ``rejected_key``; once a corrected record with that request_id or
``rejected_key`` is taken in, its rejection is cleared.

Inference keeps its own rejected rows rather than token's quarantine table: DESIGN.md lets inference
import core only, and token's ``sahara quarantine retry`` routes held records to token's intakes.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import is_address, to_checksum_address
from sqlalchemy import delete, func
from sqlmodel import Session, select

from sahara_dao.inference.errors import InferenceError
from sahara_dao.inference.models import InferenceRequest, RejectedRequest

REJECTED_KEY = "rejected_key"  # a corrected record names the rejection it replaces


@dataclass
class SubmitReport:
    stored: int = 0
    duplicates: int = 0
    invalid: dict[str, int] = field(default_factory=dict)  # reason -> count


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def submit_requests(session: Session, records: Iterable[dict], *, submitted_at: int) -> SubmitReport:
    """Store each request as ``pending`` unless its ``request_id`` is already there. A record without
    a usable request_id, chain_id, asset_id or account cannot be metered: it is kept as rejected with
    the reason (see the module docstring). Bad ``inputs`` are kept, and fail that request alone when
    it runs."""
    report = SubmitReport()
    for record in records:
        reason = _invalid(record)
        if reason:
            report.invalid[reason] = report.invalid.get(reason, 0) + 1
            _reject(session, record, reason, submitted_at)
            continue
        _clear_rejection(session, record)
        existing = session.exec(select(InferenceRequest.id).where(InferenceRequest.request_id == record["request_id"]))
        if existing.first() is not None:
            report.duplicates += 1
            continue
        session.add(InferenceRequest(
            request_id=record["request_id"], chain_id=record["chain_id"], asset_id=record["asset_id"],
            account=to_checksum_address(record["account"]), inputs=record.get("inputs"), submitted_at=submitted_at,
        ))  # fmt: skip
        session.flush()
        report.stored += 1
    return report


def rejection_key(record) -> str:
    """The request_id of a rejected record, or a digest of the record when it has no usable one."""
    request_id = record.get("request_id") if isinstance(record, dict) else None
    if isinstance(request_id, str) and request_id.strip() and len(request_id) <= 128:
        return request_id
    return "sha256:" + hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


def _reject(session: Session, record, reason: str, received_at: int) -> None:
    key = rejection_key(record)
    payload = json.loads(json.dumps(record if isinstance(record, dict) else {"raw": record}, default=str))
    chain_id = record.get("chain_id") if isinstance(record, dict) else None
    chain_id = chain_id if _integer(chain_id) else None
    row = session.exec(select(RejectedRequest).where(RejectedRequest.record_key == key)).first()
    if row is None:
        session.add(RejectedRequest(record_key=key, chain_id=chain_id, reason=reason, payload=payload,
                                    received_at=received_at))  # fmt: skip
    else:  # sent again: the latest version and its reason stand
        row.chain_id, row.reason, row.payload, row.received_at = chain_id, reason, payload, received_at
    session.flush()


def _clear_rejection(session: Session, record: dict) -> None:
    keys = {record["request_id"], record.get(REJECTED_KEY)} - {None}
    session.exec(delete(RejectedRequest).where(RejectedRequest.record_key.in_(keys)))


def rejected_by_reason(session: Session, *, chain_id: int | None = None) -> dict[str, int]:
    """How many request records are held as rejected, by reason."""
    query = select(RejectedRequest.reason, func.count()).group_by(RejectedRequest.reason)
    if chain_id is not None:
        query = query.where(RejectedRequest.chain_id == chain_id)
    return dict(session.exec(query).all())


def rejected_records(session: Session, *, chain_id: int | None = None) -> list[dict]:
    """The held records, each with its ``rejected_key`` and ``rejected_reason`` (for ``--export``)."""
    query = select(RejectedRequest).order_by(RejectedRequest.id)
    if chain_id is not None:
        query = query.where(RejectedRequest.chain_id == chain_id)
    return [row.payload | {REJECTED_KEY: row.record_key, "rejected_reason": row.reason} for row in session.exec(query)]


def _invalid(record) -> str | None:
    if not isinstance(record, dict):
        return "not an object"
    request_id = record.get("request_id")
    if not isinstance(request_id, str) or not request_id.strip():
        return "missing request_id"
    if len(request_id) > 128:
        return "request_id longer than 128 characters"
    for name in ("chain_id", "asset_id"):
        if record.get(name) is None:
            return f"missing {name}"
        if not _integer(record[name]):
            return f"invalid {name} (not a non-negative integer)"
    if record.get("account") is None:
        return "missing account"
    if not isinstance(record["account"], str) or not is_address(record["account"]):
        return "invalid account (not a 20-byte hex address)"
    if record.get("inputs") is not None and not isinstance(record["inputs"], dict):
        record["inputs"] = {"raw": record["inputs"]}  # kept, and refused as malformed when it runs
    return None


def read_jsonl(path: Path) -> list[dict]:
    """The requests of a JSONL file; a line that is not JSON stops with its number."""
    records = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InferenceError(f"{path}:{number} is not JSON ({exc.msg}): fix or remove that line and rerun") from None
    return records
