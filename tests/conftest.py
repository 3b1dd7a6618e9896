"""Fixtures shared by the Python tests. Contract tests have their own in tests/contracts/."""

import os

import pytest

from sahara_dao.core.contracts import ensure_compiler
from sahara_dao.core.db import get_engine, migrate, session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.governance.params import load_params
from sahara_dao.token.allocation import load_genesis

# tests/dags/ runs in the Airflow environment (`make test` runs it there, with --confcutdir=tests/dags).
collect_ignore = ["dags"]

# Before Ape's plugin compiles: point it at the offline compiler and clear ape-solidity's scratch.
ensure_compiler()


@pytest.fixture(scope="session")
def genesis():
    return load_genesis(get_settings().genesis_file)


@pytest.fixture(scope="session")
def params():
    return load_params(get_settings().governance_file)


@pytest.fixture
def store(tmp_path) -> DeploymentStore:
    return DeploymentStore(tmp_path / "deployments")


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    """Point the settings at a temporary data directory; returns a setter for more variables."""
    get_settings.cache_clear()
    monkeypatch.setenv("SAHARA_DATA_DIR", str(tmp_path / "var"))

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this session, or a skip (a failure in CI) when none is installed."""
    from postgres import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("SAHARA_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer(bin_dir).start()
    template_url = server.create_database()
    migrate(get_engine(template_url))
    get_engine(template_url).dispose()
    server.template = template_url.rsplit("/", 1)[1]
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, settings_env) -> str:
    """A fresh, migrated database of each kind, also set as DATABASE_URL for code that reads it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sahara.db'}"
        migrate(get_engine(url))
    else:
        url = request.getfixturevalue("postgres_server").create_database(
            template=request.getfixturevalue("postgres_server").template
        )
    settings_env(DATABASE_URL=url)
    yield url
    get_engine(url).dispose()  # close the pooled connections: a session opens hundreds of databases


@pytest.fixture
def session(db_url):
    """A session on :func:`db_url`'s database."""
    with session_scope(db_url) as session:
        yield session
