"""Settlements seen from an operator: each epoch's state and root against the vault's, what is late or
stuck (alerts that say what to run, and those the pipelines recorded), what is still unclaimed per epoch and chain, the quarantine,
and the labeling payout batches.

Read-only, from the ``epoch``, ``published_root``, ``claim``, ``settlement_line``,
``quarantined_record`` and ``payout_*`` tables. Times are unix seconds; ``as_of`` maps each chain to
the caller's "now" on it (the dashboards take the later of the wall clock and the chain's last indexed
block, since local chains run ahead of the wall clock).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.core.models import Alert as AlertRow
from sahara_dao.token.analytics import LIVE, claimed_by_account, epochs
from sahara_dao.token.models import (
    EpochStatus,
    PayoutBatch,
    PayoutLine,
    PublishedRoot,
    QuarantinedRecord,
    SettlementLine,
)

LATE_GRACE = 86_400  # a settlement is late this long after its next window closed


@dataclass(frozen=True)
class EpochReport:
    chain_id: int
    epoch: int
    window_start: int
    window_end: int
    status: str
    root: str
    vault_root: str | None  # the root the indexer saw the vault publish for this epoch
    total: int
    earned: int
    protocol_fee: int
    license_revenue: int
    usage_revenue: int
    usage_events: int
    quarantined: int
    publish_tx: str | None
    activates_at: int | None
    epoch_file: str

    @property
    def root_matches(self) -> bool | None:
        """Whether the vault's root is the computed one (None: not indexed as published yet)."""
        return None if self.vault_root is None else self.vault_root.lower() == self.root.lower()

    def verify_command(self, chain: str) -> str:
        return f"sahara verify-epoch --chain {chain} --epoch {self.epoch}"


def epoch_reports(*, session: Session, chain_ids: Iterable[int]) -> list[EpochReport]:
    chain_ids = list(chain_ids)
    roots = {(r.chain_id, r.epoch): r.root for r in session.exec(select(PublishedRoot).where(PublishedRoot.chain_id.in_(chain_ids)))}
    return [
        EpochReport(e.chain_id, e.epoch, e.window_start, e.window_end, e.status, e.root, roots.get((e.chain_id, e.epoch)),
                    e.total, e.earned, e.protocol_fee, e.license_revenue, e.usage_revenue, e.usage_events,
                    e.quarantined, e.publish_tx, e.activates_at, e.epoch_file)
        for e in epochs(session=session, chain_ids=chain_ids)
    ]  # fmt: skip


# --- alerts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    chain_id: int
    epoch: int | None
    severity: str  # error, warning
    what: str
    todo: str


@dataclass(frozen=True)
class RaisedAlert:
    key: str
    source: str
    subject: str
    message: str
    chain_id: int | None
    raised_at: int
    notified: bool


def _utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def alerts(
    *, session: Session, chain_ids: Iterable[int], as_of: Mapping[int, int], epoch_seconds: int, first_revenue: dict[int, int] | None = None,
    grace: int = LATE_GRACE,
) -> list[Alert]:  # fmt: skip
    """Late and stuck settlements at ``as_of``: a chain whose next epoch's window closed more than
    ``grace`` ago without being settled, an epoch computed but never published, a published root
    that differs from the computed one, a root that activated but was never verified. ``first_revenue``
    (chain -> first fee time) flags chains that earned but never settled."""
    found = []
    reports = epoch_reports(session=session, chain_ids=chain_ids)
    by_chain: dict[int, list[EpochReport]] = defaultdict(list)
    for report in reports:
        by_chain[report.chain_id].append(report)
    for chain_id in chain_ids:
        mine, now = by_chain.get(chain_id, []), as_of[chain_id]
        if not mine:
            since = (first_revenue or {}).get(chain_id)
            if since is not None and now > since + epoch_seconds + grace:
                found.append(Alert(chain_id, None, "warning", f"revenue since {_utc(since)} and no epoch settled yet",
                                   "run `sahara settle` for this chain or trigger the royalty_settlement DAG"))  # fmt: skip
            continue
        last = mine[-1]
        due = last.window_end + epoch_seconds
        if last.status != EpochStatus.COMPUTED and now > due + grace:
            found.append(Alert(chain_id, last.epoch + 1, "warning",
                               f"epoch {last.epoch + 1} is late: its window closed {_utc(due)}, {(now - due) // 3600} h ago",
                               "run `sahara settle` for this chain or check the royalty_settlement DAG's runs"))  # fmt: skip
        for report in mine:
            if report.status == EpochStatus.COMPUTED:
                found.append(Alert(chain_id, report.epoch, "error", "computed but not published",
                                   f"publish it: sahara settle --chain <chain> --epoch {report.epoch}"))  # fmt: skip
            if report.root_matches is False:
                found.append(Alert(chain_id, report.epoch, "error",
                                   f"the vault published {report.vault_root}, the database computed {report.root}",
                                   "do not claim against it: run sahara verify-epoch and revoke the root if it differs"))  # fmt: skip
            if report.status in (EpochStatus.PUBLISHED, EpochStatus.ACTIVATED) and report.activates_at and now > report.activates_at + grace:
                found.append(Alert(chain_id, report.epoch, "warning", "active but never verified from its epoch file",
                                   f"run sahara verify-epoch --chain <chain> --epoch {report.epoch}"))  # fmt: skip
    return found


def raised_alerts(*, session: Session, chain_ids: Iterable[int], limit: int = 200) -> list[RaisedAlert]:
    """The alerts the pipelines recorded (``alert`` table: missed settlement deadlines, failed tasks)
    for ``chain_ids`` or for no chain, newest first."""
    query = (
        select(AlertRow)
        .where(AlertRow.chain_id.in_(list(chain_ids)) | AlertRow.chain_id.is_(None))
        .order_by(AlertRow.raised_at.desc(), AlertRow.id.desc())
        .limit(limit)
    )
    return [RaisedAlert(a.key, a.source, a.subject, a.message, a.chain_id, a.raised_at, a.notified)
            for a in session.exec(query)]  # fmt: skip


# --- unclaimed ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unclaimed:
    chain_id: int
    epoch: int
    earned: int
    claimed: int
    claimable: bool  # the epoch's earnings are under an active (published, activated) root

    @property
    def unclaimed(self) -> int:
        return self.earned - self.claimed


def unclaimed_by_epoch(*, session: Session, chain_ids: Iterable[int], as_of: Mapping[int, int]) -> list[Unclaimed]:
    """Per chain and epoch: what was earned and how much of it was claimed. Claims are cumulative, so
    an account's claims pay its oldest earnings first: an epoch's part of them is what the claimed
    total covers beyond the account's balance before that epoch."""
    chain_ids = list(chain_ids)
    claimed = claimed_by_account(session=session, chain_ids=chain_ids)
    lines = session.exec(select(SettlementLine).where(SettlementLine.chain_id.in_(chain_ids)))
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        before = line.cumulative - line.earned
        took = claimed.get((line.chain_id, line.account), 0)
        row = totals[(line.chain_id, line.epoch)]
        row[0] += line.earned
        row[1] += min(max(took - before, 0), line.earned)
    active = {}
    for e in epochs(session=session, chain_ids=chain_ids):
        if e.status in LIVE and e.activates_at is not None and e.activates_at <= as_of[e.chain_id]:
            active[e.chain_id] = max(active.get(e.chain_id, 0), e.epoch)
    return [Unclaimed(chain_id, epoch, earned, took, epoch <= active.get(chain_id, 0))
            for (chain_id, epoch), (earned, took) in sorted(totals.items())]  # fmt: skip


# --- quarantine and payouts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineGroup:
    source: str
    chain_id: int | None
    reason: str
    count: int
    last_received: int


def quarantine_groups(*, session: Session, chain_ids: Iterable[int]) -> list[QuarantineGroup]:
    """Held records by source, chain and reason (records without a chain are always shown)."""
    chain_ids = list(chain_ids)
    query = (
        select(QuarantinedRecord.source, QuarantinedRecord.chain_id, QuarantinedRecord.reason, func.count(),
               func.max(QuarantinedRecord.received_at))
        .where(QuarantinedRecord.chain_id.in_(chain_ids) | QuarantinedRecord.chain_id.is_(None))
        .group_by(QuarantinedRecord.source, QuarantinedRecord.chain_id, QuarantinedRecord.reason)
        .order_by(QuarantinedRecord.source, QuarantinedRecord.chain_id)
    )  # fmt: skip
    return [QuarantineGroup(*row) for row in session.exec(query)]


def payout_batches(*, session: Session, chain_ids: Iterable[int]) -> list[PayoutBatch]:
    query = select(PayoutBatch).where(PayoutBatch.chain_id.in_(list(chain_ids)))
    return list(session.exec(query.order_by(PayoutBatch.chain_id, PayoutBatch.period.desc(), PayoutBatch.batch_index)))


def payout_lines(*, session: Session, batch_id: str) -> list[PayoutLine]:
    query = select(PayoutLine).where(PayoutLine.batch_id == batch_id)  # amounts are text on SQLite: sorted here
    return sorted(session.exec(query), key=lambda line: (-line.amount, line.labeler))


def last_epoch_of(reports: Iterable[EpochReport]) -> dict[int, EpochReport]:
    """The latest epoch per chain."""
    latest: dict[int, EpochReport] = {}
    for report in reports:
        if report.chain_id not in latest or report.epoch > latest[report.chain_id].epoch:
            latest[report.chain_id] = report
    return latest
