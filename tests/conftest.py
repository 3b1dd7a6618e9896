"""Fixtures shared by the Python tests. Contract tests have their own in tests/contracts/."""

import pytest

from sahara_dao.core.contracts import ensure_compiler
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.governance.params import load_params
from sahara_dao.token.allocation import load_genesis

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
