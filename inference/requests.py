"""Taking inference requests into the ``inference_request`` table, once per ``request_id``
(from a JSONL file for offline runs, or from any caller)."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils import is_address, to_checksum_address
from sqlmodel import Session, select

from sahara_dao.inference.errors import InferenceError
from sahara_dao.inference.models import InferenceRequest


@dataclass
class SubmitReport:
    stored: int = 0
    duplicates: int = 0
    invalid: dict[str, int] = field(default_factory=dict)  # reason -> count


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def submit_requests(session: Session, records: Iterable[dict], *, submitted_at: int) -> SubmitReport:
    """Store each request as ``pending`` unless its ``request_id`` is already there. A record without
    a usable request_id, chain_id, asset_id or account cannot be metered and is counted as invalid;
    bad ``inputs`` are kept, and fail that request alone when it runs."""
    report = SubmitReport()
    for record in records:
        reason = _invalid(record)
        if reason:
            report.invalid[reason] = report.invalid.get(reason, 0) + 1
            continue
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


def _invalid(record) -> str | None:
    if not isinstance(record, dict):
        return "not an object"
    request_id = record.get("request_id")
    if not isinstance(request_id, str) or not request_id.strip() or len(request_id) > 128:
        return "missing request_id"
    for name in ("chain_id", "asset_id"):
        if not _integer(record.get(name)):
            return f"missing {name}"
    if not isinstance(record.get("account"), str) or not is_address(record["account"]):
        return "missing account"
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
