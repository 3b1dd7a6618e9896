"""Intake of off-chain records (usage from the inference meter here, labeling tasks and results in
``labeling.py``): each record is stored once under its idempotency key, or quarantined with the
reason it was refused.

Nothing is dropped: a record that fails validation, names an asset the chain does not know, or
reuses a key with different content goes to ``quarantined_record`` (once, however often it is
sent), where settlement counts it and never pays it.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.core.models import Chain
from sahara_dao.token.models import Asset, Epoch, QuarantinedRecord, UsageEvent, UsageEventCreate

USAGE = "usage"


@dataclass
class IntakeReport:
    """What one intake call did with its records."""

    stored: int = 0
    duplicates: int = 0  # already stored with the same content: nothing to do
    updated: int = 0  # already stored, some fields changed and updated (labeling tasks)
    quarantined: dict[str, int] = field(default_factory=dict)  # category -> count

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def count(self, category: str) -> None:
        self.quarantined[category] = self.quarantined.get(category, 0) + 1


def record_key(payload: Mapping[str, Any], key_field: str) -> str:
    """The record's idempotency key, or a digest of its content when the key is missing."""
    key = payload.get(key_field) if isinstance(payload, Mapping) else None
    if isinstance(key, str) and key.strip():
        return key
    return "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def quarantine(
    session: Session, *, source: str, key: str, payload: Any, reason: str, received_at: int,
    chain_id: int | None = None,
) -> bool:
    """Keep a refused record with its reason; returns False when it was already quarantined."""
    existing = session.exec(
        select(QuarantinedRecord).where(QuarantinedRecord.source == source, QuarantinedRecord.record_key == key)
    ).first()
    if existing is not None:
        return False
    document = payload if isinstance(payload, dict) else {"raw": payload}
    session.add(QuarantinedRecord(source=source, record_key=key, chain_id=chain_id, received_at=received_at,
                                  reason=reason, payload=json.loads(json.dumps(document, default=str))))  # fmt: skip
    return True


def validation_reason(error: ValidationError) -> str:
    """One line naming each bad field, e.g. ``invalid account: ...; missing amount``."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "record"
        parts.append(f"missing {where}" if problem["type"] == "missing" else f"invalid {where}: {problem['msg']}")
    return "; ".join(parts)


def ingest_usage(session: Session, records: Iterable[Any], *, received_at: int) -> IntakeReport:
    """Store usage records exactly once; quarantine malformed ones, unknown chains or assets, and
    reused request ids whose content differs. ``received_at`` is the intake's clock (unix seconds)."""
    report = IntakeReport()
    known_chains = set(session.exec(select(Chain.chain_id)))
    assets = _known_assets(session)
    settled_until = _settled_until(session)
    seen: dict[str, UsageEventCreate] = {}
    for payload in records:
        key = record_key(payload, "request_id")
        try:
            record = UsageEventCreate.model_validate(payload)
        except ValidationError as error:
            chain_id = payload.get("chain_id") if isinstance(payload, Mapping) else None
            chain_id = chain_id if isinstance(chain_id, int) and not isinstance(chain_id, bool) else None
            _refuse(session, report, "malformed", key, payload, validation_reason(error), received_at, chain_id)
            continue
        chain_id = record.chain_id
        if chain_id not in known_chains:
            reason = f"unknown chain {chain_id}: index a deployment on it first (sahara index)"
            _refuse(session, report, "unknown chain", key, payload, reason, received_at, chain_id)
            continue
        if (chain_id, record.asset_id) not in assets:
            reason = f"unknown asset {record.asset_id} on chain {chain_id}"
            _refuse(session, report, "unknown asset", key, payload, reason, received_at, chain_id)
            continue
        if record.occurred_at < settled_until.get(chain_id, 0):
            reason = (f"late: occurred at {record.occurred_at}, inside a window chain {chain_id} already settled "
                      f"(up to {settled_until[chain_id]}); settle it by hand if it is owed")  # fmt: skip
            _refuse(session, report, "late", key, payload, reason, received_at, chain_id)
            continue
        store_once(session, report, seen, record, UsageEvent, source=USAGE, key=key, payload=payload,
                   stored=_stored_usage(session, key) if key not in seen else None, received_at=received_at,
                   chain_id=chain_id)  # fmt: skip
    session.flush()
    return report


def refuse(
    session: Session, report: IntakeReport, *, source: str, category: str, key: str, payload: Any, reason: str,
    received_at: int, chain_id: int | None = None,
) -> None:
    """Quarantine a refused record and count it under ``category``; a record already held in
    quarantine (sent again) counts as a duplicate."""
    if quarantine(session, source=source, key=key, payload=payload, reason=reason, received_at=received_at,
                  chain_id=chain_id):  # fmt: skip
        report.count(category)
    else:
        report.duplicates += 1


def _refuse(session, report, category, key, payload, reason, received_at, chain_id=None) -> None:
    refuse(session, report, source=USAGE, category=category, key=key, payload=payload, reason=reason,
           received_at=received_at, chain_id=chain_id)  # fmt: skip


def store_once(
    session: Session, report: IntakeReport, seen: dict, record: Any, table: type, *, source: str, key: str,
    payload: Any, stored: Any, received_at: int, chain_id: int | None,
) -> None:
    """Store the validated ``record`` as a ``table`` row under ``key`` unless this call or an earlier
    one already did (``seen``, ``stored``): the same content is a harmless resend, other content is
    quarantined as a conflicting duplicate (the first record stands)."""
    previous = seen.get(key) or stored
    if previous is None:
        session.add(table.model_validate(record))
        seen[key] = record
        report.stored += 1
    elif same_content(previous, record):
        report.duplicates += 1
    else:
        refuse(session, report, source=source, category="conflicting duplicate", key=conflict_key(key, payload),
               payload=payload, reason=f"{key} was already received with different content",
               received_at=received_at, chain_id=chain_id)  # fmt: skip


def same_content(stored: Any, record: Any) -> bool:
    """Whether a stored row holds exactly the validated ``record``'s fields (a harmless resend)."""
    return all(getattr(stored, name) == getattr(record, name) for name in type(record).model_fields)


def conflict_key(key: str, payload: Any) -> str:
    """The quarantine key of a record that reuses ``key`` with other content (one row per variant)."""
    return f"{key}#conflict:{_digest(payload)}"


def _known_assets(session: Session) -> set[tuple[int, int]]:
    return set(session.exec(select(Asset.chain_id, Asset.asset_id)).all())


def _settled_until(session: Session) -> dict[int, int]:
    """Per chain, the end of the last settled window: usage before it can no longer be paid."""
    return dict(session.exec(select(Epoch.chain_id, func.max(Epoch.window_end)).group_by(Epoch.chain_id)).all())


def _stored_usage(session: Session, key: str) -> UsageEvent | None:
    return session.exec(select(UsageEvent).where(UsageEvent.request_id == key)).first()


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def quarantined_count(session: Session, *, source: str, chain_id: int | None = None) -> int:
    """How many records of ``source`` (on ``chain_id``, if given) are held in quarantine."""
    query = select(func.count()).select_from(QuarantinedRecord).where(QuarantinedRecord.source == source)
    if chain_id is not None:
        query = query.where(QuarantinedRecord.chain_id == chain_id)
    return session.exec(query).one()
