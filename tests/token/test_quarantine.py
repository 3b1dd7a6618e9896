"""Held records are listed by reason, and retried once their cause is fixed; nothing is lost."""

from click.testing import CliRunner
from conftest import ANA, CHAIN_ID
from sqlmodel import func, select

from sahara_dao.core.cli import cli
from sahara_dao.token.intake import USAGE, ingest_usage
from sahara_dao.token.models import QuarantinedRecord, UsageEvent
from sahara_dao.token.quarantine import held, retry


def _usage(request_id: str, **overrides) -> dict:
    return {"request_id": request_id, "chain_id": CHAIN_ID, "asset_id": 7, "account": ANA, "units": 1,
            "amount": 10, "occurred_at": 5} | overrides  # fmt: skip


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_records_for_an_asset_indexed_later_are_stored_on_retry(seed):
    """Usage for an asset the indexer had not seen is held; after the asset is known, a retry stores it,
    while malformed records and conflicting duplicates stay held with their reason."""
    session = seed.session
    seed.asset(1, [(ANA, 10_000)])
    ingest_usage(session, [_usage("a", asset_id=1)], received_at=1)
    ingest_usage(session, [_usage("early-1"), _usage("early-2"), _usage("bad", amount=1.5),
                           _usage("a", asset_id=1, amount=11)], received_at=1)  # fmt: skip
    assert held(session, source=USAGE) == {
        (USAGE, "unknown asset 7 on chain 31337"): 2,
        (USAGE, "invalid amount: Value error, must be an integer (base units), not 1.5"): 1,
        (USAGE, "a was already received with different content"): 1,
    }
    seed.asset(7, [(ANA, 10_000)])
    reports = retry(session, received_at=2, sources=(USAGE,))
    assert (reports[USAGE].stored, reports[USAGE].quarantined) == (2, {"malformed": 1})
    assert sorted(e.request_id for e in session.exec(select(UsageEvent))) == ["a", "early-1", "early-2"]
    assert _count(session, QuarantinedRecord) == 2  # the malformed record and the conflict, still held
    assert retry(session, received_at=3, sources=(USAGE,))[USAGE].stored == 0


def test_the_commands_list_and_retry(seed, settings_env):
    """`sahara quarantine list` counts by reason; `retry` reports what it stored."""
    session = seed.session
    ingest_usage(session, [_usage("x")], received_at=1)
    seed.asset(7, [(ANA, 10_000)])
    session.commit()
    runner = CliRunner()
    listed = runner.invoke(cli, ["quarantine", "list"])
    assert listed.exit_code == 0 and "1  usage          unknown asset 7 on chain 31337" in listed.output
    retried = runner.invoke(cli, ["quarantine", "retry", "--source", "usage"])
    assert retried.exit_code == 0 and "usage          stored 1" in retried.output, retried.output
    assert "nothing is held" in runner.invoke(cli, ["quarantine", "list"]).output
