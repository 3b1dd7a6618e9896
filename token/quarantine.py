"""The quarantine seen from an operator: what is held and why, and a retry once the cause is fixed.

A record refused because the database did not know its chain, asset or task yet (the indexer had not
run, the task arrived after its results) is not wrong: once the cause is fixed, ``retry`` takes the
held records of a source out of quarantine and through their intake again. Those accepted now are
stored (and paid in a later settlement); those refused again go back with their new reason.
Conflicting duplicates stay: the first record under a key stands.
"""

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.token.errors import TokenError
from sahara_dao.token.intake import USAGE, IntakeReport, ingest_usage
from sahara_dao.token.labeling import LABELING, LABELING_TASK, ingest_labeling, upsert_tasks
from sahara_dao.token.models import QuarantinedRecord

INTAKES: dict[str, Callable[..., IntakeReport]] = {
    LABELING_TASK: upsert_tasks,  # tasks first: held results may be waiting for them
    LABELING: ingest_labeling,
    USAGE: ingest_usage,
}
CONFLICT = "#conflict:"


def held(session: Session, *, source: str | None = None, chain_id: int | None = None) -> Counter:
    """How many records are held, by (source, reason)."""
    query = select(QuarantinedRecord.source, QuarantinedRecord.reason, func.count()).group_by(
        QuarantinedRecord.source, QuarantinedRecord.reason
    )
    if source is not None:
        query = query.where(QuarantinedRecord.source == source)
    if chain_id is not None:
        query = query.where(QuarantinedRecord.chain_id == chain_id)
    return Counter({(s, reason): n for s, reason, n in session.exec(query)})


def retry(session: Session, *, received_at: int, sources: tuple[str, ...] = tuple(INTAKES)) -> dict[str, IntakeReport]:
    """Take the held records of ``sources`` through their intake again (see the module docstring)."""
    if unknown := set(sources) - set(INTAKES):
        raise TokenError(f"unknown quarantine sources {sorted(unknown)}: choose from {', '.join(INTAKES)}")
    reports = {}
    for source in (s for s in INTAKES if s in sources):
        rows = session.exec(
            select(QuarantinedRecord)
            .where(QuarantinedRecord.source == source, QuarantinedRecord.record_key.not_like(f"%{CONFLICT}%"))
            .order_by(QuarantinedRecord.id)
        ).all()
        payloads: list[Any] = [row.payload for row in rows]
        for row in rows:
            session.delete(row)
        session.flush()
        reports[source] = INTAKES[source](session, payloads, received_at=received_at)
    return reports
