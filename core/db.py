"""The database: one engine per process, sessions, migrations, and the type of money.

SQLite under ``<data_dir>/sahara.db`` by default (the embedded default); PostgreSQL (or any URL
SQLAlchemy takes) through ``DATABASE_URL``. The schema is the Alembic migrations in
``core/migrations``; :func:`migrate` brings a database to the latest one. Model modules register
themselves under the entry-point group ``sahara_dao.models`` (see pyproject.toml), so this module
never imports a domain.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from sqlalchemy import BigInteger, Integer, Numeric, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, create_engine

from sahara_dao.core.errors import ConfigError, SaharaError
from sahara_dao.core.settings import get_settings

MODELS_GROUP = "sahara_dao.models"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UINT256_DIGITS = 78
INT64 = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit integers; SQLite spells them INTEGER so that an integer primary key autoincrements."""


class DatabaseError(SaharaError, RuntimeError):
    """The database is unreachable or its schema is not the one this code expects."""


class BaseUnits(TypeDecorator):
    """A non-negative integer amount of base units (wei), exact up to ``2**256 - 1``.

    PostgreSQL stores ``NUMERIC(78, 0)``; SQLite, whose integers stop at 64 bits, stores the
    decimal string. Python always sees an ``int``; a float or a negative amount is refused.
    """

    impl = String(UINT256_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(UINT256_DIGITS, 0))
        return dialect.type_descriptor(String(UINT256_DIGITS))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"amounts are integers of base units, not {type(value).__name__} {value!r}")
        if value < 0 or value >= 2**256:
            raise ValueError(f"amount {value} is outside 0..2**256-1")
        return Decimal(value) if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else int(value)


def amount_field(**kwargs):
    """A :class:`BaseUnits` column (``int`` in Python)."""
    return Field(sa_type=BaseUnits, **kwargs)


def bigint_field(**kwargs):
    """A 64-bit integer column: chain ids, block numbers, unix timestamps, on-chain ids."""
    return Field(sa_type=INT64, **kwargs)


def database_url() -> str:
    """``DATABASE_URL`` if set, else the SQLite file under the data directory."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{settings.data_dir / 'sahara.db'}"


def load_models() -> SQLModel.metadata.__class__:
    """Import every registered model module and return the shared metadata."""
    for entry in entry_points(group=MODELS_GROUP):
        entry.load()
    return SQLModel.metadata


@cache
def get_engine(url: str | None = None) -> Engine:
    """The process's engine for ``url`` (default :func:`database_url`)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif url.startswith("postgresql"):
        engine = create_engine(url, pool_pre_ping=True)
    else:
        raise ConfigError(f"unsupported DATABASE_URL {url.split(':', 1)[0]}: use sqlite:/// or postgresql+psycopg://")
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # projections cascade when the indexer drops a reorged event
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine | None = None, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the latest migration)."""
    from alembic import command

    engine = engine or get_engine()
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


@cache
def _ready(url: str) -> None:
    engine = get_engine(url)
    if current_revision(engine) != head_revision():
        migrate(engine)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session on a migrated database: committed on success, rolled back on error."""
    url = url or database_url()
    try:
        _ready(url)
    except Exception as exc:  # noqa: BLE001 - any driver error means the same thing to the user
        if isinstance(exc, SaharaError):
            raise
        raise DatabaseError(f"cannot open the database at {redacted_url(url)}: {exc}. Check DATABASE_URL.") from exc
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def redacted_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
