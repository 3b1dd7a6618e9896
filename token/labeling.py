"""Labeling payouts, the off-chain half: intake of tasks and results, and what each labeler earns.

Intake. Tasks are created or updated by ``task_key`` (:func:`upsert_tasks`); results are stored once
per ``result_key`` (:func:`ingest_labeling`). Nothing is dropped: a malformed record, a result for an
unknown task, one claiming more right gold answers than gold questions, or a key reused with other
content goes to ``quarantined_record`` with its reason (source ``labeling``, or ``labeling_task``
for tasks), through the helpers of :mod:`sahara_dao.token.intake`. Quarantined results are never
paid: only stored results enter the computation below.

Pay. For one period, a UTC day ``YYYY-MM-DD`` (the window ``[00:00, 24:00)`` on ``submitted_at``),
and one chain (the chain of each result's task), a labeler's results are summed, then::

    accuracy_bps = gold_correct * 10_000 // gold_total          (floor; None without gold answers)
    quality_bps  = the quality curve at accuracy_bps             (floor; the default without gold)
    amount       = items * rate_per_item * quality_bps // 10_000 (floor, in base units)

Integer math only. Each labeler's amount is floored once to a base unit; the dropped remainders
(under one base unit per labeler) are reported, never paid. A labeler whose amount is 0 (accuracy
below the curve, or no items) is reported and left out of the batches: the batcher refuses zero
amounts. The parameters are in ``token/labeling.yaml`` (see :func:`load_labeling_config`).
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from sahara_dao.core.config_files import read_yaml
from sahara_dao.core.errors import ConfigError
from sahara_dao.core.models import Chain
from sahara_dao.core.units import format_tokens, to_base_units
from sahara_dao.token.errors import TokenError
from sahara_dao.token.intake import (
    IntakeReport,
    conflict_key,
    record_key,
    refuse,
    same_content,
    store_once,
    validation_reason,
)
from sahara_dao.token.models import LabelingResult, LabelingResultCreate, LabelingTask, LabelingTaskCreate

BPS = 10_000
LABELING = "labeling"  # quarantine source of results (and of unreadable lines of an intake file)
LABELING_TASK = "labeling_task"  # quarantine source of tasks
INT32_MAX = 2**31 - 1  # items and gold counts are INTEGER columns
ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_BATCH_SIZE = 200
MAX_BATCH_SIZE = 500  # about 30,000 gas per new holder: 500 is ~15M gas, half a 30M block
MAX_FACTOR_BPS = 100_000  # 10x: anything above is a typo


class LabelingError(TokenError, ValueError):
    """Labeling inputs cannot be used as given (a bad period, a file that cannot be read)."""


class LabelingConfigError(LabelingError, ConfigError):
    """The labeling parameters file is invalid; the message names the key at fault."""


# --- parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelingConfig:
    """Rate, quality curve and batching of labeling payouts (``token/labeling.yaml``)."""

    rate_per_item: int  # base units per item labeled
    quality_curve: tuple[tuple[int, int], ...]  # (accuracy_bps, factor_bps), accuracy strictly increasing
    default_factor_bps: int = BPS  # for a labeler without gold answers in the period
    batch_size: int = DEFAULT_BATCH_SIZE  # recipients per PayoutBatcher transaction


_KEYS = ("rate_per_item", "quality_curve", "default_factor_bps", "batch_size")


def parse_labeling_config(data: object) -> LabelingConfig:
    """Validate a parameters mapping (as loaded from YAML); errors name the key and what to write."""
    if not isinstance(data, dict):
        raise LabelingConfigError("labeling parameters must be a mapping with rate_per_item and quality_curve")
    if missing := [key for key in ("rate_per_item", "quality_curve") if key not in data]:
        raise LabelingConfigError(f"labeling parameters miss {', '.join(missing)}: see token/labeling.yaml")
    if unknown := sorted(set(data) - set(_KEYS)):
        raise LabelingConfigError(f"unknown labeling parameters {unknown}: the keys are {', '.join(_KEYS)}")
    try:
        rate = to_base_units(data["rate_per_item"], "labeling rate_per_item")
    except ConfigError as exc:
        raise LabelingConfigError(str(exc)) from None
    if rate == 0:
        raise LabelingConfigError("labeling rate_per_item is 0: nobody would be paid; write SAHARA per item")
    curve = _curve(data["quality_curve"])
    default = _bps(data.get("default_factor_bps", BPS), "default_factor_bps", MAX_FACTOR_BPS)
    batch_size = data.get("batch_size", DEFAULT_BATCH_SIZE)
    if not _is_int(batch_size) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise LabelingConfigError(
            f"labeling batch_size must be an integer from 1 to {MAX_BATCH_SIZE}, not {batch_size!r} "
            "(each recipient costs up to ~30,000 gas; a batch must fit a block)"
        )
    return LabelingConfig(rate, curve, default, batch_size)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bps(value: object, name: str, maximum: int) -> int:
    if not _is_int(value) or not 0 <= value <= maximum:
        raise LabelingConfigError(f"labeling {name} must be basis points from 0 to {maximum}, not {value!r}")
    return value


def _curve(value: object) -> tuple[tuple[int, int], ...]:
    example = "[{accuracy_bps: 7000, factor_bps: 5000}, {accuracy_bps: 9000, factor_bps: 10000}]"
    if not isinstance(value, list) or not value:
        raise LabelingConfigError(f"labeling quality_curve must be a non-empty list of points, e.g. {example}")
    points = []
    for n, point in enumerate(value):
        if not isinstance(point, dict) or set(point) != {"accuracy_bps", "factor_bps"}:
            raise LabelingConfigError(
                f"labeling quality_curve point {n} must have exactly accuracy_bps and factor_bps, not {point!r}"
            )
        points.append((_bps(point["accuracy_bps"], f"quality_curve[{n}].accuracy_bps", BPS),
                       _bps(point["factor_bps"], f"quality_curve[{n}].factor_bps", MAX_FACTOR_BPS)))  # fmt: skip
    for n, ((x0, y0), (x1, y1)) in enumerate(pairwise(points), start=1):
        if x1 <= x0:
            raise LabelingConfigError(
                f"labeling quality_curve accuracies must strictly increase: point {n} has {x1} after {x0}"
            )
        if y1 < y0:
            raise LabelingConfigError(
                f"labeling quality_curve factors must not decrease (a better labeler would earn less): "
                f"point {n} has {y1} after {y0}"
            )
    return tuple(points)


def load_labeling_config(path: Path) -> LabelingConfig:
    """The parameters in ``path`` (``token/labeling.yaml`` by default, see settings.labeling_file)."""
    data = read_yaml(path, "labeling parameters", "pass --config or set SAHARA_LABELING_FILE", LabelingConfigError)
    return parse_labeling_config(data)


# --- the computation ---------------------------------------------------------------------------------


def accuracy_bps(gold_correct: int, gold_total: int) -> int | None:
    """Gold accuracy in basis points, floored; None when no gold question was answered."""
    if gold_total == 0:
        return None
    return gold_correct * BPS // gold_total


def curve_factor_bps(accuracy: int, curve: tuple[tuple[int, int], ...]) -> int:
    """The piecewise-linear curve at ``accuracy`` (bps), floored: 0 below the first point, flat
    after the last one."""
    if accuracy < curve[0][0]:
        return 0
    for (x0, y0), (x1, y1) in pairwise(curve):
        if accuracy <= x1:
            return y0 + (y1 - y0) * (accuracy - x0) // (x1 - x0)
    return curve[-1][1]


def quality_bps(gold_correct: int, gold_total: int, config: LabelingConfig) -> int:
    """The quality factor of a labeler's period (bps): from the curve, or the default without gold."""
    accuracy = accuracy_bps(gold_correct, gold_total)
    return config.default_factor_bps if accuracy is None else curve_factor_bps(accuracy, config.quality_curve)


@dataclass(frozen=True)
class LabelerPayout:
    """What one labeler earns for one period on one chain, and why."""

    labeler: str
    results: int
    items: int
    gold_total: int
    gold_correct: int
    accuracy_bps: int | None
    quality_bps: int
    amount: int  # base units, floored
    remainder: int  # what the floor dropped, in 1/10,000 of a base unit


def labeler_payout(labeler: str, *, results: int, items: int, gold_total: int, gold_correct: int,
                   config: LabelingConfig) -> LabelerPayout:  # fmt: skip
    """``items * rate * quality // 10_000`` for one labeler's summed results."""
    quality = quality_bps(gold_correct, gold_total, config)
    amount, remainder = divmod(items * config.rate_per_item * quality, BPS)
    return LabelerPayout(labeler, results, items, gold_total, gold_correct, accuracy_bps(gold_correct, gold_total),
                         quality, amount, remainder)  # fmt: skip


@dataclass(frozen=True)
class PeriodPayouts:
    """Every labeler's pay for one period on one chain, ordered by address."""

    chain_id: int
    period: str
    start: int  # unix seconds, inclusive
    end: int  # unix seconds, exclusive
    labelers: tuple[LabelerPayout, ...]

    @property
    def payable(self) -> tuple[LabelerPayout, ...]:
        return tuple(p for p in self.labelers if p.amount > 0)

    @property
    def unpaid(self) -> tuple[LabelerPayout, ...]:
        """Labelers who earned 0 (accuracy below the curve, or no items): reported, never sent."""
        return tuple(p for p in self.labelers if p.amount == 0)

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.labelers)

    @property
    def remainder(self) -> Fraction:
        """Base units dropped by flooring each amount (less than one per labeler)."""
        return Fraction(sum(p.remainder for p in self.labelers), BPS)


def period_window(period: str) -> tuple[int, int]:
    """``[start, end)`` in unix seconds of the UTC day ``period`` (``YYYY-MM-DD``)."""
    try:
        day = date.fromisoformat(period)
    except (TypeError, ValueError):
        day = None
    if day is None or day.isoformat() != period:
        raise LabelingError(f"period {period!r} is not a UTC day: write it as YYYY-MM-DD, e.g. 2026-11-21")
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def period_of(timestamp: int) -> str:
    """The UTC day (``YYYY-MM-DD``) that contains ``timestamp``."""
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def labeler_key(address: str) -> str:
    """The order of labelers in a period and in its batches: the address as a number."""
    return address.lower()


def compute_payouts(session: Session, *, chain_id: int, period: str, config: LabelingConfig) -> PeriodPayouts:
    """What each labeler earned in ``period`` on ``chain_id`` from the stored (never the
    quarantined) results, ordered by address."""
    start, end = period_window(period)
    rows = session.exec(
        select(LabelingResult.labeler, func.count(), func.sum(LabelingResult.items),
               func.sum(LabelingResult.gold_total), func.sum(LabelingResult.gold_correct))  # fmt: skip
        .join(LabelingTask, LabelingTask.task_key == LabelingResult.task_key)
        .where(LabelingTask.chain_id == chain_id)
        .where(LabelingResult.submitted_at >= start, LabelingResult.submitted_at < end)
        .group_by(LabelingResult.labeler)
    ).all()
    payouts = [
        labeler_payout(labeler, results=int(count), items=int(items), gold_total=int(gold_total),
                       gold_correct=int(gold_correct), config=config)  # fmt: skip
        for labeler, count, items, gold_total, gold_correct in rows
    ]
    payouts.sort(key=lambda p: labeler_key(p.labeler))
    return PeriodPayouts(chain_id, period, start, end, tuple(payouts))


def describe(payouts: PeriodPayouts) -> str:
    """One line: labelers, total in SAHARA, labelers who earn nothing, the floor's remainder."""
    text = f"{len(payouts.payable)} labelers earn {format_tokens(payouts.total)} SAHARA"
    if payouts.unpaid:
        text += f", {len(payouts.unpaid)} earn nothing (accuracy below the curve or no items)"
    if payouts.remainder:
        text += f"; rounding down kept back {_fraction(payouts.remainder)} base units"
    return text


def _fraction(value: Fraction) -> str:
    whole, part = divmod(value.numerator, value.denominator)
    return f"{whole}" + (f" {part}/{value.denominator}" if part else "")


# --- intake ------------------------------------------------------------------------------------------


def upsert_tasks(session: Session, records: Iterable[Any], *, received_at: int) -> IntakeReport:
    """Create tasks, or update the title and creation time of known ones; quarantine malformed
    tasks, tasks on a chain the database does not know, and tasks that would move to another chain
    (their results may already be paid on the first one)."""
    report = IntakeReport()
    known_chains = set(session.exec(select(Chain.chain_id)))
    tasks = {task.task_key: task for task in session.exec(select(LabelingTask))}
    for payload in records:
        key = record_key(payload, "task_key")
        try:
            task = LabelingTaskCreate.model_validate(payload)
        except ValidationError as error:
            _refuse_task(session, report, "malformed", key, payload, validation_reason(error), received_at)
            continue
        if task.chain_id not in known_chains:
            reason = (f"unknown chain {task.chain_id}: deploy there first (sahara deploy), then send the "
                      "task again")  # fmt: skip
            _refuse_task(session, report, "unknown chain", key, payload, reason, received_at)
            continue
        stored = tasks.get(task.task_key)
        if stored is None:
            stored = tasks[task.task_key] = LabelingTask.model_validate(task)
            session.add(stored)
            report.stored += 1
        elif stored.chain_id != task.chain_id:
            reason = f"task {key} pays on chain {stored.chain_id}; a task never moves to chain {task.chain_id}"
            _refuse_task(session, report, "conflicting duplicate", conflict_key(key, payload), payload, reason,
                         received_at, task.chain_id)  # fmt: skip
        elif same_content(stored, task):
            report.duplicates += 1
        else:
            stored.title, stored.created_at = task.title, task.created_at
            session.add(stored)
            report.updated += 1
    session.flush()
    return report


def ingest_labeling(session: Session, records: Iterable[Any], *, received_at: int) -> IntakeReport:
    """Store labeling results exactly once per ``result_key``; quarantine malformed ones, results for
    unknown tasks, ``gold_correct > gold_total`` and reused keys whose content differs.
    ``received_at`` is the intake's clock (unix seconds)."""
    report = IntakeReport()
    task_chains = dict(session.exec(select(LabelingTask.task_key, LabelingTask.chain_id)).all())
    seen: dict[str, LabelingResultCreate] = {}
    for payload in records:
        key = record_key(payload, "result_key")
        try:
            record = LabelingResultCreate.model_validate(payload)
        except ValidationError as error:
            _refuse(session, report, "malformed", key, payload, validation_reason(error), received_at)
            continue
        if problem := _out_of_range(record):
            _refuse(session, report, "malformed", key, payload, problem, received_at)
            continue
        chain_id = task_chains.get(record.task_key)
        if chain_id is None:
            reason = f"unknown task {record.task_key!r}: send the task before its results"
            _refuse(session, report, "unknown task", key, payload, reason, received_at)
            continue
        if record.gold_correct > record.gold_total:
            reason = f"gold_correct {record.gold_correct} exceeds gold_total {record.gold_total}"
            _refuse(session, report, "gold_correct > gold_total", key, payload, reason, received_at, chain_id)
            continue
        store_once(session, report, seen, record, LabelingResult, source=LABELING, key=key, payload=payload,
                   stored=_stored_result(session, key) if key not in seen else None, received_at=received_at,
                   chain_id=chain_id)  # fmt: skip
    session.flush()
    return report


def _out_of_range(record: LabelingResultCreate) -> str | None:
    if record.labeler == ZERO_ADDRESS:
        return "invalid labeler: the zero address cannot be paid"
    for name in ("items", "gold_total", "gold_correct"):
        if getattr(record, name) > INT32_MAX:
            return f"invalid {name}: {getattr(record, name)} is above {INT32_MAX:,}"
    if record.submitted_at >= 2**63:
        return f"invalid submitted_at: {record.submitted_at} is not a unix time"
    return None


def _refuse(session, report, category, key, payload, reason, received_at, chain_id=None) -> None:
    refuse(session, report, source=LABELING, category=category, key=key, payload=payload, reason=reason,
           received_at=received_at, chain_id=chain_id)  # fmt: skip


def _refuse_task(session, report, category, key, payload, reason, received_at, chain_id=None) -> None:
    refuse(session, report, source=LABELING_TASK, category=category, key=key, payload=payload, reason=reason,
           received_at=received_at, chain_id=chain_id)  # fmt: skip


def _stored_result(session: Session, key: str) -> LabelingResult | None:
    return session.exec(select(LabelingResult).where(LabelingResult.result_key == key)).first()


# --- intake files ------------------------------------------------------------------------------------


@dataclass
class LabelingFile:
    """The records of an intake file, split by kind; ``unreadable`` holds what was neither."""

    tasks: list[Any] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)


def read_labeling_file(path: Path) -> LabelingFile:
    """Tasks and results from a JSON file (``{"tasks": [...], "results": [...]}``, or a list of
    records) or a JSON-lines file, one record a line; a record says ``"kind": "task"`` or
    ``"kind": "result"``. Lines that are not JSON, and records of no known kind, are kept in
    ``unreadable`` (quarantined by :func:`ingest_file`), never dropped."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise LabelingError(f"cannot read the labeling file {path}: {exc.strerror or exc}") from None
    found = LabelingFile()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and ({"tasks", "results"} & set(document)) and "kind" not in document:
        for kind, records in (("task", document.get("tasks", [])), ("result", document.get("results", []))):
            if not isinstance(records, list):
                found.unreadable.append({"error": f"'{kind}s' must be a list", "raw": records})
                continue
            for record in records:
                _sort(found, {"kind": kind, **record} if isinstance(record, dict) else record, None)
        return found
    if isinstance(document, list):
        for n, record in enumerate(document, start=1):
            _sort(found, record, n)
        return found
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            found.unreadable.append({"line": n, "error": f"not JSON: {exc.msg}", "raw": line})
            continue
        _sort(found, record, n)
    return found


def _sort(found: LabelingFile, record: Any, where: int | None) -> None:
    kind = record.get("kind") if isinstance(record, Mapping) else None
    if kind in ("task", "result"):
        body = {name: value for name, value in record.items() if name != "kind"}
        (found.tasks if kind == "task" else found.results).append(body)
        return
    problem = {"error": "a record needs \"kind\": \"task\" or \"result\"", "raw": record}
    found.unreadable.append(problem | ({"line": where} if where is not None else {}))


@dataclass(frozen=True)
class FileIntake:
    """What :func:`ingest_file` did with the tasks and with the results (unreadable records are
    counted with the results, as ``unreadable``)."""

    tasks: IntakeReport
    results: IntakeReport


def ingest_file(session: Session, path: Path, *, received_at: int) -> FileIntake:
    """Upsert the tasks of ``path``, then ingest its results; quarantine its unreadable records."""
    content = read_labeling_file(path)
    tasks = upsert_tasks(session, content.tasks, received_at=received_at)
    results = ingest_labeling(session, content.results, received_at=received_at)
    for problem in content.unreadable:
        key = record_key(problem, "")
        _refuse(session, results, "unreadable", key, problem, f"unreadable record: {problem['error']}", received_at)
    session.flush()
    return FileIntake(tasks, results)
