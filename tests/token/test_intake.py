"""Usage intake: each request is metered once; refused records are quarantined with their reason."""

from conftest import ANA, CHAIN_ID
from sqlmodel import select

from sahara_dao.token.intake import ingest_usage, quarantined_count
from sahara_dao.token.models import Epoch, QuarantinedRecord, UsageEvent


def _usage(request_id: str, **overrides) -> dict:
    return {"request_id": request_id, "chain_id": CHAIN_ID, "asset_id": 1, "license_id": 3, "account": ANA,
            "units": 1, "amount": 10**18, "occurred_at": 100} | overrides  # fmt: skip


def _seeded(seed):
    seed.asset(1, [(ANA, 10_000)])
    return seed.session


def test_each_request_is_stored_once_however_often_it_is_sent(seed):
    """A resent batch stores nothing new; amounts beyond 64 bits arrive as decimal strings."""
    session = _seeded(seed)
    batch = [_usage("r1"), _usage("r2", amount=str(10**30))]
    first = ingest_usage(session, batch, received_at=1)
    again = ingest_usage(session, batch + [_usage("r1")], received_at=2)
    assert (first.stored, first.duplicates, again.stored, again.duplicates) == (2, 0, 0, 3)
    assert sorted(e.amount for e in session.exec(select(UsageEvent))) == [10**18, 10**30]


def test_malformed_and_unknown_records_are_quarantined_with_their_reason(seed):
    """Bad fields, unknown chains and unknown assets are kept with a reason, counted, never stored."""
    session = _seeded(seed)
    bad = [
        _usage("float", amount=1.5),
        _usage("neg", units=-1),
        _usage("addr", account="0x1234"),
        {"chain_id": CHAIN_ID, "asset_id": 1},  # no request id, no account, ...
        _usage("chain", chain_id=999),
        _usage("asset", asset_id=42),
        "not even an object",
    ]
    report = ingest_usage(session, bad, received_at=5)
    assert report.stored == 0
    assert report.quarantined == {"malformed": 5, "unknown chain": 1, "unknown asset": 1}
    reasons = {q.record_key: q.reason for q in session.exec(select(QuarantinedRecord))}
    assert "must be an integer (base units), not 1.5" in reasons["float"]
    assert "invalid account" in reasons["addr"] and "unknown asset 42" in reasons["asset"]
    assert any("missing request_id" in r for r in reasons.values())
    assert quarantined_count(session, source="usage") == 7
    assert ingest_usage(session, bad, received_at=6).quarantined_total == 0  # quarantined once


def test_a_reused_request_id_with_other_content_is_quarantined_not_paid(seed):
    """The first record of a request id stands; a different one under the same id is held back."""
    session = _seeded(seed)
    ingest_usage(session, [_usage("r1")], received_at=1)
    report = ingest_usage(session, [_usage("r1", amount=5 * 10**18)], received_at=2)
    assert report.quarantined == {"conflicting duplicate": 1}
    assert [e.amount for e in session.exec(select(UsageEvent))] == [10**18]


def test_usage_inside_a_settled_window_is_quarantined_as_late(seed):
    """Once a window is settled, a record dated inside it cannot be paid silently: it is held as late."""
    session = _seeded(seed)
    session.add(Epoch(chain_id=CHAIN_ID, epoch=1, window_start=0, window_end=200, root="0x", total=0, earned=0,
                      protocol_fee=0, license_revenue=0, usage_revenue=0, usage_events=0, quarantined=0,
                      epoch_file="x", status="published"))  # fmt: skip
    report = ingest_usage(session, [_usage("old", occurred_at=150), _usage("new", occurred_at=200)], received_at=9)
    assert (report.stored, report.quarantined) == (1, {"late": 1})
