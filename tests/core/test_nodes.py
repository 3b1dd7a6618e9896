"""`sahara node` keeps local anvil chains running in the background, with their state saved."""

import json

import pytest
from click.testing import CliRunner

from sahara_dao.core.cli import cli
from sahara_dao.core.errors import ToolchainError
from sahara_dao.core.nodes import anvil_binary, free_port, rpc_chain_id
from sahara_dao.core.settings import Settings, get_settings

pytestmark = pytest.mark.anvil


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["node", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_start_status_and_stop_a_background_node(settings_env):
    """A started node answers with its configured chain id, survives its command, and saves state on stop."""
    port = free_port()
    settings_env(SAHARA_LOCAL_CHAINS=json.dumps({"ethereum": {"port": port, "chain_id": 31977}}))
    assert f"started on http://127.0.0.1:{port} (chain id 31977)" in run("start")
    try:
        assert rpc_chain_id(f"http://127.0.0.1:{port}") == 31977
        assert "already running" in run("start", "ethereum")
        assert "running, chain id 31977" in run("status")
    finally:
        assert "ethereum: stopped" in run("stop")
    assert rpc_chain_id(f"http://127.0.0.1:{port}") is None
    assert (get_settings().nodes_dir / "ethereum.state.json").exists()
    assert "stopped" in run("status")
    assert "was not running" in run("stop", "ethereum")


def test_missing_anvil_points_at_setup(tmp_path):
    """Without node_modules the error says to run make setup."""
    with pytest.raises(ToolchainError, match="make setup"):
        anvil_binary(Settings(project_dir=tmp_path))
