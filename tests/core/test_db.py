"""The database layer: migrations agree with the models, money is exact, derived rows follow events."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from sahara_dao.core.cli import cli
from sahara_dao.core.db import get_engine, head_revision, load_models
from sahara_dao.core.models import Chain, ChainEvent
from sahara_dao.token.models import Asset, UsageEvent

MAX_UINT256 = 2**256 - 1


def _event(log_index: int = 0, **overrides) -> ChainEvent:
    fields = dict(
        chain_id=31337, contract="registry", address="0x" + "11" * 20, event="AssetRegistered",
        block_number=7, block_hash="0x" + "ab" * 32, block_timestamp=1_700_000_000,
        tx_hash="0x" + "cd" * 32, log_index=log_index, args={"assetId": 1},
    )
    return ChainEvent(**(fields | overrides))


def test_migrations_match_the_models(db_url):
    """The migrated schema equals the models' metadata (a model change needs a migration)."""
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, load_models()) == []


def test_amounts_round_trip_up_to_uint256_max(session):
    """Amounts are exact integers up to 2**256-1 on every backend."""
    session.add(Chain(chain_id=31337, ecosystem="ethereum", network="local"))
    for n, amount in enumerate([0, 1, 2**63, 10**36 + 7, MAX_UINT256]):
        session.add(UsageEvent(request_id=f"r{n}", chain_id=31337, asset_id=1, account="0x" + "22" * 20,
                               units=1, amount=amount, occurred_at=n))
    session.commit()
    session.expire_all()
    stored = sorted(row.amount for row in session.exec(select(UsageEvent)))
    assert stored == [0, 1, 2**63, 10**36 + 7, MAX_UINT256]


@pytest.mark.parametrize("bad", [1.5, -1, 2**256, True])
def test_amounts_refuse_floats_negatives_and_overflow(session, bad):
    """A float, a negative or an out-of-range amount never reaches the database."""
    session.add(Chain(chain_id=1, ecosystem="ethereum", network="mainnet"))
    session.add(UsageEvent(request_id="r", chain_id=1, asset_id=1, account="0x" + "22" * 20, units=1,
                           amount=bad, occurred_at=0))
    with pytest.raises(Exception, match="integers of base units|outside 0..2"):
        session.commit()
    session.rollback()


def test_an_event_is_stored_once(session):
    """(chain id, tx hash, log index) is unique."""
    session.add(Chain(chain_id=31337, ecosystem="ethereum", network="local"))
    session.add(_event())
    session.commit()
    session.add(_event(block_number=8))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_rows_derived_from_an_event_go_with_it(session):
    """Deleting an event (a reorg) deletes what was derived from it."""
    session.add(Chain(chain_id=31337, ecosystem="ethereum", network="local"))
    kept, dropped = _event(0), _event(1)
    session.add_all([kept, dropped])
    session.flush()
    for event, asset_id in ((kept, 1), (dropped, 2)):
        session.add(Asset(chain_id=31337, asset_id=asset_id, kind="dataset", owner="0x" + "33" * 20,
                          content_hash="0x" + "00" * 32, metadata_uri="ipfs://x", registered_at=0,
                          event_id=event.id))
    session.commit()
    session.delete(dropped)
    session.commit()
    assert [a.asset_id for a in session.exec(select(Asset))] == [1]


def test_db_commands_create_and_report_the_schema(settings_env, tmp_path):
    """`sahara db upgrade` creates the schema once; `sahara db status` says it is current."""
    settings_env(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    first = runner.invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"empty -> {head_revision()}" in first.output
    again = runner.invoke(cli, ["db", "upgrade"])
    assert f"already at {head_revision()}" in again.output
    status = runner.invoke(cli, ["db", "status"])
    assert f"revision  {head_revision()}" in status.output and "behind" not in status.output
