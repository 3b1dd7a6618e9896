"""Labeling intake (stored once, refused records quarantined with their reason) and the payout
computation (rate x items x quality factor, integer floors) on SQLite and PostgreSQL."""

import json
from fractions import Fraction

import pytest
from sqlmodel import select

from sahara_dao.core.models import Chain
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.token.labeling import (
    LABELING,
    LABELING_TASK,
    LabelingConfig,
    LabelingConfigError,
    LabelingError,
    accuracy_bps,
    compute_payouts,
    curve_factor_bps,
    ingest_file,
    ingest_labeling,
    labeler_payout,
    load_labeling_config,
    parse_labeling_config,
    period_of,
    period_window,
    quality_bps,
    read_labeling_file,
    upsert_tasks,
)
from sahara_dao.token.models import LabelingResult, LabelingTask, QuarantinedRecord

ANA = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
BO = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
CY = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"
CURVE = ((7000, 5000), (9000, 10_000), (10_000, 11_000))
CONFIG = LabelingConfig(rate_per_item=UNIT // 2, quality_curve=CURVE, default_factor_bps=10_000, batch_size=200)
PERIOD = "2026-11-21"
START, END = period_window(PERIOD)
NOW = END + 3600


def result(key: str, labeler: str = ANA, items=10, gold_total=10, gold_correct=9, submitted_at=START, task="t1"):
    return {"result_key": key, "task_key": task, "labeler": labeler, "items": items, "gold_total": gold_total,
            "gold_correct": gold_correct, "submitted_at": submitted_at}  # fmt: skip


@pytest.fixture
def task(session):
    """Chain 31337 known to the database, with one task t1 on it."""
    session.add(Chain(chain_id=31337, ecosystem="ethereum", network="local"))
    session.commit()
    report = upsert_tasks(session, [{"task_key": "t1", "chain_id": 31337, "title": "street signs",
                                     "created_at": START}], received_at=NOW)  # fmt: skip
    assert report.stored == 1
    return "t1"


def quarantined(session, source=LABELING) -> dict[str, str]:
    rows = session.exec(select(QuarantinedRecord).where(QuarantinedRecord.source == source)).all()
    return {row.record_key: row.reason for row in rows}


# --- parameters --------------------------------------------------------------------------------------


def test_the_shipped_parameters_load():
    """token/labeling.yaml: 0.5 SAHARA an item, the 70/90/100% curve, default 100%, batches of 200."""
    config = load_labeling_config(get_settings().labeling_file)
    assert config == CONFIG


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rate_per_item": 0.5}, "quoted decimal string"),
        ({"rate_per_item": "0"}, "nobody would be paid"),
        ({"rate_per_item": "1e-19"}, "more than 18 decimals"),
        ({"quality_curve": []}, "non-empty list"),
        ({"quality_curve": [{"accuracy_bps": 7000}]}, "exactly accuracy_bps and factor_bps"),
        ({"quality_curve": [{"accuracy_bps": 9000, "factor_bps": 1}, {"accuracy_bps": 9000, "factor_bps": 2}]},
         "strictly increase"),
        ({"quality_curve": [{"accuracy_bps": 7000, "factor_bps": 9000}, {"accuracy_bps": 9000, "factor_bps": 8000}]},
         "must not decrease"),
        ({"quality_curve": [{"accuracy_bps": 10_001, "factor_bps": 1}]}, "from 0 to 10000"),
        ({"quality_curve": [{"accuracy_bps": 7000, "factor_bps": 0.5}]}, "basis points"),
        ({"default_factor_bps": -1}, "default_factor_bps must be basis points"),
        ({"batch_size": 0}, "batch_size must be an integer from 1 to 500"),
        ({"batch_size": 1000}, "from 1 to 500"),
        ({"rates": 1}, "unknown labeling parameters \\['rates'\\]"),
    ],
)
def test_bad_parameters_are_refused_with_the_key_at_fault(change, message):
    """Each invalid value names its key and what to write instead."""
    data = {"rate_per_item": "0.5", "quality_curve": [{"accuracy_bps": 7000, "factor_bps": 5000}]} | change
    with pytest.raises(LabelingConfigError, match=message):
        parse_labeling_config(data)


def test_defaults_and_a_missing_file(tmp_path):
    """default_factor_bps and batch_size default to 100% and 200; a missing file names the option to use."""
    config = parse_labeling_config({"rate_per_item": 2, "quality_curve": [{"accuracy_bps": 0, "factor_bps": 10_000}]})
    assert (config.rate_per_item, config.default_factor_bps, config.batch_size) == (2 * UNIT, 10_000, 200)
    with pytest.raises(LabelingConfigError, match="SAHARA_LABELING_FILE"):
        load_labeling_config(tmp_path / "nope.yaml")
    with pytest.raises(LabelingConfigError, match="miss quality_curve"):
        parse_labeling_config({"rate_per_item": 1})


# --- the computation ---------------------------------------------------------------------------------


def test_the_quality_curve_is_piecewise_linear_with_a_floor():
    """Below 70%: 0; 70% -> 50%; 80% -> 75%; 90% -> 100%; 95% -> 105%; 100% -> 110%; fractions floor."""
    points = {0: 0, 6999: 0, 7000: 5000, 8000: 7500, 9000: 10_000, 9500: 10_500, 10_000: 11_000}
    assert {a: curve_factor_bps(a, CURVE) for a in points} == points
    assert curve_factor_bps(7001, CURVE) == 5002  # 5000 + 5000 * 1 / 2000 = 5002.5, floored
    assert curve_factor_bps(9999, ((7000, 5000), (9000, 10_000))) == 10_000  # flat after the last point
    factors = [curve_factor_bps(a, CURVE) for a in range(10_001)]
    assert factors == sorted(factors)  # never decreases


def test_accuracy_floors_and_no_gold_answers_take_the_default():
    """2 of 3 right is 6666 bps (floored); no gold answers: accuracy None, the configured default factor."""
    assert accuracy_bps(2, 3) == 6666 and accuracy_bps(0, 5) == 0 and accuracy_bps(7, 7) == 10_000
    assert accuracy_bps(0, 0) is None
    assert quality_bps(0, 0, CONFIG) == 10_000
    assert quality_bps(0, 0, LabelingConfig(UNIT, CURVE, default_factor_bps=8000)) == 8000


def test_amounts_floor_to_a_base_unit_and_report_the_remainder():
    """items x rate x quality // 10,000 in integers; what the floor dropped is kept, in 1/10,000 units."""
    exact = labeler_payout(ANA, results=1, items=10, gold_total=10, gold_correct=9, config=CONFIG)
    assert (exact.quality_bps, exact.amount, exact.remainder) == (10_000, 5 * UNIT, 0)
    odd = LabelingConfig(rate_per_item=7, quality_curve=CURVE)  # 7 base units an item
    payout = labeler_payout(ANA, results=1, items=3, gold_total=4, gold_correct=3, config=odd)  # 75% -> 6250 bps
    assert payout.quality_bps == 6250
    assert (payout.amount, payout.remainder) == divmod(3 * 7 * 6250, 10_000) == (13, 1250)
    huge = labeler_payout(ANA, results=1, items=2**31 - 1, gold_total=3, gold_correct=3,
                          config=LabelingConfig(rate_per_item=10**30, quality_curve=CURVE))  # fmt: skip
    assert huge.amount == (2**31 - 1) * 10**30 * 11_000 // 10_000  # exact far beyond 2**64


def test_zero_items_or_low_accuracy_earn_nothing():
    """No items, or accuracy under the curve's first point: amount 0 (reported, never batched)."""
    assert labeler_payout(ANA, results=1, items=0, gold_total=0, gold_correct=0, config=CONFIG).amount == 0
    low = labeler_payout(ANA, results=1, items=100, gold_total=10, gold_correct=6, config=CONFIG)
    assert (low.accuracy_bps, low.quality_bps, low.amount) == (6000, 0, 0)


@pytest.mark.parametrize("bad", ["2026-11-31", "2026-1-5", "20261121", "2026-11-21T00:00", "", None])
def test_a_period_is_one_utc_day_written_yyyy_mm_dd(bad):
    """Anything but an existing YYYY-MM-DD day is refused with an example."""
    with pytest.raises(LabelingError, match="write it as YYYY-MM-DD"):
        period_window(bad)


def test_a_period_is_the_half_open_utc_day():
    """[00:00, 24:00) UTC: midnight belongs to the day it starts."""
    start, end = period_window("2026-11-21")
    assert end - start == 86_400 and start == 1_795_219_200
    assert period_of(start) == "2026-11-21" and period_of(end - 1) == "2026-11-21" and period_of(end) == "2026-11-22"


def test_payouts_sum_a_labelers_results_of_the_day_on_the_tasks_chain(session, task):
    """Results in [start, end) on the chain's tasks, summed per labeler; other days and chains are left out."""
    session.add(Chain(chain_id=56, ecosystem="bsc", network="mainnet"))
    session.commit()
    upsert_tasks(session, [{"task_key": "bsc", "chain_id": 56, "title": "x", "created_at": 0}], received_at=NOW)
    ingest_labeling(session, [
        result("a1", ANA, items=10, gold_total=6, gold_correct=6, submitted_at=START),
        result("a2", ANA, items=20, gold_total=4, gold_correct=3, submitted_at=END - 1),  # 9 of 10: 100%
        result("b1", BO, items=8, gold_total=0, gold_correct=0),  # no gold: default 100%
        result("c1", CY, items=50, gold_total=10, gold_correct=5),  # 50%: nothing
        result("early", ANA, submitted_at=START - 1),
        result("late", ANA, submitted_at=END),
        result("other-chain", ANA, task="bsc"),
    ], received_at=NOW)  # fmt: skip
    payouts = compute_payouts(session, chain_id=31337, period=PERIOD, config=CONFIG)
    rows = {p.labeler: (p.results, p.items, p.accuracy_bps, p.quality_bps, p.amount) for p in payouts.labelers}
    assert rows == {ANA: (2, 30, 9000, 10_000, 15 * UNIT), BO: (1, 8, None, 10_000, 4 * UNIT),
                    CY: (1, 50, 5000, 0, 0)}  # fmt: skip
    assert [p.labeler for p in payouts.labelers] == sorted(rows, key=str.lower)
    assert [p.labeler for p in payouts.payable] == sorted([ANA, BO], key=str.lower)
    assert [p.labeler for p in payouts.unpaid] == [CY]
    assert payouts.total == 19 * UNIT and payouts.remainder == Fraction(0)
    assert compute_payouts(session, chain_id=56, period=PERIOD, config=CONFIG).total == 5 * UNIT
    assert compute_payouts(session, chain_id=31337, period="2026-11-20", config=CONFIG).total == 5 * UNIT


# --- intake ------------------------------------------------------------------------------------------


def test_results_are_stored_once_per_key(session, task):
    """The same record sent twice (in one call or two) is stored once; the rest count as duplicates."""
    first = ingest_labeling(session, [result("r1"), result("r1"), result("r2", BO)], received_at=NOW)
    again = ingest_labeling(session, [result("r1"), result("r2", BO.lower())], received_at=NOW)
    assert (first.stored, first.duplicates, again.stored, again.duplicates) == (2, 1, 0, 2)
    assert len(session.exec(select(LabelingResult)).all()) == 2


def test_refused_results_are_quarantined_with_their_reason(session, task):
    """Malformed, unknown task, gold_correct > gold_total, conflicting duplicate: quarantined once each."""
    records = [
        result("ok"),
        result("bad-address", labeler="0x1234"),
        result("float-items", items=1.5),
        result("negative", gold_total=-1),
        result("zero-labeler", labeler="0x" + "00" * 20),
        result("too-many", items=2**31),
        {"task_key": "t1", "labeler": ANA},  # no result_key: keyed by a digest of its content
        "not a mapping",
        result("orphan", task="nope"),
        result("impossible", gold_total=3, gold_correct=4),
        result("ok", items=11),  # the key again, other content
    ]
    report = ingest_labeling(session, records, received_at=NOW)
    assert report.stored == 1
    assert report.quarantined == {"malformed": 7, "unknown task": 1, "gold_correct > gold_total": 1,
                                  "conflicting duplicate": 1}  # fmt: skip
    reasons = quarantined(session)
    assert "invalid labeler" in reasons["bad-address"] and "not an address" in reasons["bad-address"]
    assert "must be an integer" in reasons["float-items"]
    assert "must not be negative" in reasons["negative"]
    assert "zero address" in reasons["zero-labeler"]
    assert "above 2,147,483,647" in reasons["too-many"]
    assert reasons["orphan"] == "unknown task 'nope': send the task before its results"
    assert reasons["impossible"] == "gold_correct 4 exceeds gold_total 3"
    conflict = next(key for key in reasons if key.startswith("ok#conflict:"))
    assert "already received with different content" in reasons[conflict]
    assert sum(1 for key in reasons if key.startswith("sha256:")) == 2
    stored = session.exec(select(LabelingResult)).one()
    assert (stored.result_key, stored.items) == ("ok", 10)  # the first version stands

    resent = ingest_labeling(session, records, received_at=NOW + 1)
    assert resent.stored == 0 and resent.quarantined == {} and resent.duplicates == len(records)
    assert len(quarantined(session)) == 10


def test_quarantined_results_are_never_paid(session, task):
    """Only stored results count: the conflicting and impossible versions add nothing."""
    ingest_labeling(session, [result("r", items=10, gold_total=10, gold_correct=10),
                              result("r", items=1000), result("x", gold_total=1, gold_correct=2, items=500)],
                    received_at=NOW)  # fmt: skip
    assert compute_payouts(session, chain_id=31337, period=PERIOD, config=CONFIG).total == 55 * UNIT // 10


def test_tasks_are_created_updated_and_never_moved(session, task):
    """A known task's title updates; an unknown chain, a malformed task or a move to another chain is quarantined."""
    report = upsert_tasks(session, [
        {"task_key": "t1", "chain_id": 31337, "title": "street signs", "created_at": START},  # unchanged
        {"task_key": "t1", "chain_id": 31337, "title": "street signs v2", "created_at": START},
        {"task_key": "t2", "chain_id": "31337", "title": "faces", "created_at": START},
        {"task_key": "t3", "chain_id": 999, "title": "x", "created_at": 0},
        {"task_key": "t1", "chain_id": 56, "title": "moved", "created_at": 0},
        {"task_key": " ", "chain_id": 31337, "title": "blank", "created_at": 0},
        {"task_key": "t4", "chain_id": 31337, "created_at": 0},
    ], received_at=NOW)  # fmt: skip
    assert (report.stored, report.updated, report.duplicates) == (1, 1, 1)
    assert report.quarantined == {"unknown chain": 2, "malformed": 2}
    session.add(Chain(chain_id=56, ecosystem="bsc", network="mainnet"))
    session.commit()
    moved = upsert_tasks(session, [{"task_key": "t1", "chain_id": 56, "title": "moved", "created_at": 0}],
                         received_at=NOW)  # fmt: skip
    assert moved.quarantined == {"conflicting duplicate": 1}
    assert session.get(LabelingTask, "t1").title == "street signs v2" and session.get(LabelingTask, "t1").chain_id == 31337
    reasons = quarantined(session, LABELING_TASK)
    assert reasons["t3"].startswith("unknown chain 999")
    assert "missing title" in reasons["t4"]
    assert any("never moves to chain 56" in reason for reason in reasons.values())


# --- intake files ------------------------------------------------------------------------------------


def test_json_lines_and_json_files_are_read_alike(tmp_path):
    """JSON lines with a kind per record, a JSON list of such records, or {"tasks": [...], "results": [...]}."""
    task = {"task_key": "t1", "chain_id": 31337, "title": "x", "created_at": 0}
    row = result("r1")
    lines = tmp_path / "in.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in [{"kind": "task", **task}, {"kind": "result", **row}]) + "\n\n")
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([{"kind": "task", **task}, {"kind": "result", **row}]))
    grouped = tmp_path / "grouped.json"
    grouped.write_text(json.dumps({"tasks": [task], "results": [row]}))
    for path in (lines, listed, grouped):
        content = read_labeling_file(path)
        assert (content.tasks, content.results, content.unreadable) == ([task], [row], []), path


def test_a_file_with_unreadable_lines_quarantines_them(session, task, tmp_path):
    """A line that is not JSON or has no kind is quarantined as unreadable, never dropped; the rest is stored."""
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([json.dumps({"kind": "result", **result("r1")}), "{oops", json.dumps(result("r2")),
                               json.dumps({"kind": "task", "task_key": "t9", "chain_id": 31337, "title": "new",
                                           "created_at": 0})]))  # fmt: skip
    intake = ingest_file(session, path, received_at=NOW)
    assert (intake.tasks.stored, intake.results.stored) == (1, 1)
    assert intake.results.quarantined == {"unreadable": 2}
    reasons = sorted(quarantined(session).values())
    assert reasons == ['unreadable record: a record needs "kind": "task" or "result"',
                       "unreadable record: not JSON: Expecting property name enclosed in double quotes"]  # fmt: skip
    again = ingest_file(session, path, received_at=NOW + 1)
    assert again.results.quarantined == {} and again.results.duplicates == 3
    with pytest.raises(LabelingError, match="cannot read the labeling file"):
        read_labeling_file(tmp_path / "missing.jsonl")
