"""Usage intake after its helpers were shared with labeling intake: stored once per request id, refused
records quarantined once with their reason (SQLite and PostgreSQL)."""

from sqlmodel import select

from sahara_dao.core.models import Chain, ChainEvent
from sahara_dao.token.intake import USAGE, conflict_key, ingest_usage, quarantined_count
from sahara_dao.token.models import Asset, QuarantinedRecord, UsageEvent

ACCOUNT = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def usage(request_id: str, **overrides) -> dict:
    return {"request_id": request_id, "chain_id": 31337, "asset_id": 1, "account": ACCOUNT, "units": 3,
            "amount": "1000000000000000000", "occurred_at": 100} | overrides  # fmt: skip


def test_usage_is_stored_once_and_refusals_are_quarantined_once(session):
    """Duplicates count once; malformed, unknown chain or asset and conflicting reuse are quarantined once."""
    session.add(Chain(chain_id=31337, ecosystem="ethereum", network="local"))
    event = ChainEvent(chain_id=31337, contract="registry", address="0x" + "11" * 20, event="AssetRegistered",
                       block_number=1, block_hash="0x" + "ab" * 32, block_timestamp=1, tx_hash="0x" + "cd" * 32,
                       log_index=0, args={})  # fmt: skip
    session.add(event)
    session.flush()
    session.add(Asset(chain_id=31337, asset_id=1, kind="model", owner=ACCOUNT, content_hash="0x" + "00" * 32,
                      metadata_uri="ipfs://x", registered_at=1, event_id=event.id))  # fmt: skip
    session.commit()
    records = [usage("a"), usage("a"), usage("b", units=1.5), usage("c", chain_id=5), usage("d", asset_id=9),
               usage("a", units=4)]  # fmt: skip
    report = ingest_usage(session, records, received_at=200)
    assert (report.stored, report.duplicates) == (1, 1)
    assert report.quarantined == {"malformed": 1, "unknown chain": 1, "unknown asset": 1, "conflicting duplicate": 1}
    assert session.exec(select(UsageEvent)).one().units == 3
    keys = set(session.exec(select(QuarantinedRecord.record_key).where(QuarantinedRecord.source == USAGE)))
    assert keys == {"b", "c", "d", conflict_key("a", usage("a", units=4))}

    again = ingest_usage(session, records, received_at=300)
    assert again.stored == 0 and again.quarantined == {} and again.duplicates == len(records)
    assert quarantined_count(session, source=USAGE) == 4
