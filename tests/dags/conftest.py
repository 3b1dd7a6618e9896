"""Fixtures of the DAG tests. They run in the Airflow environment (`make test` runs
``.venv-airflow/bin/python -m pytest --confcutdir=tests/dags tests/dags``), which has no Ape and no
sahara_dao: chains are set up by tests/dags/chains.py in the app environment, outcomes are read from the
chains (JSON-RPC), the app's SQLite database and the `sahara` CLI.

Airflow reads its configuration when first imported, so the environment is set here, before any test
module imports it: a fresh AIRFLOW_HOME (SQLite metadata database), this repository's dags folder, no
examples, and no retries (a failure shows at once instead of after the backoff)."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
APP_PYTHON = Path(os.environ.get("SAHARA_APP_PYTHON") or ROOT / ".venv" / "bin" / "python")
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="sahara-airflow-"))
os.environ.update({
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "SAHARA_DAG_RETRIES": "0",
    "SAHARA_APP_PYTHON": str(APP_PYTHON),
})  # fmt: skip

EPOCH_ORIGIN, EPOCH_SECONDS = 1_767_225_600, 7 * 86_400  # the settings' defaults, the DAG's weekly cron
TEST_EPOCH = 40  # [2026-10-01, 2026-10-08): in the past, so its runs are ordinary backfills
CHAINS = {"bsc": 31_938, "ethereum": 31_937}


def epoch_window(epoch: int) -> tuple[int, int]:
    start = EPOCH_ORIGIN + (epoch - 1) * EPOCH_SECONDS
    return start, start + EPOCH_SECONDS


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db():
    """The Airflow metadata database, migrated once per session."""
    out = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    return AIRFLOW_HOME


@pytest.fixture(scope="session")
def dagbag():
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(str(DAGS), bundle_path=DAGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rpc(uri: str, method: str, *params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(uri, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    assert "error" not in answer, answer
    return answer["result"]


class Chains:
    """The test's anvil chains, its app data directory, and what to read back from them."""

    def __init__(self, data_dir: Path, state: dict):
        self.data_dir = data_dir
        self.state = state

    def __getitem__(self, ecosystem: str) -> dict:
        return self.state["chains"][ecosystem]

    def app(self, *args: str, timeout: int = 300) -> str:
        """Run tests/dags/chains.py in the app environment."""
        out = subprocess.run([str(APP_PYTHON), str(ROOT / "tests" / "dags" / "chains.py"), *args],
                             capture_output=True, text=True, timeout=timeout)  # fmt: skip
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def sahara(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(APP_PYTHON.parent / "sahara"), *args], capture_output=True, text=True, timeout=300)

    def mine_to(self, timestamp: int) -> None:
        """Mine a block at ``timestamp`` on every chain (or just after the head, if that is later)."""
        for chain in self.state["chains"].values():
            head = int(rpc(chain["uri"], "eth_getBlockByNumber", "latest", False)["timestamp"], 16)
            rpc(chain["uri"], "evm_setNextBlockTimestamp", max(timestamp, head + 1))
            rpc(chain["uri"], "evm_mine")

    def logs(self, ecosystem: str, contract: str, *topics: str) -> list[dict]:
        chain = self[ecosystem]
        return rpc(chain["uri"], "eth_getLogs", {"address": chain[contract], "fromBlock": "0x0", "toBlock": "latest",
                                                 "topics": list(topics)})  # fmt: skip

    def erc20_balance(self, ecosystem: str, account: str) -> int:
        chain = self[ecosystem]
        data = "0x70a08231" + account[2:].lower().rjust(64, "0")
        return int(rpc(chain["uri"], "eth_call", {"to": chain["token"], "data": data}, "latest"), 16)

    def query(self, sql: str, *args) -> list[tuple]:
        with sqlite3.connect(self.data_dir / "sahara.db") as db:
            return db.execute(sql, args).fetchall()


@contextmanager
def chain_set(data_dir: Path):
    """Two anvil chains (bsc and ethereum) whose clocks start in the test epoch, each with the contract
    set deployed, two licenses sold and a day of labeling results stored; stopped at the end. The
    settings point at them (environment) while the block runs."""
    local_chains = {name: {"port": free_port(), "chain_id": chain_id} for name, chain_id in CHAINS.items()}
    names = ("SAHARA_DATA_DIR", "SAHARA_LOCAL_CHAINS", "SAHARA_LABELING_FILE")
    assert "SAHARA_LOCAL_CHAINS" not in os.environ, "one set of test chains at a time"
    saved = {name: os.environ.get(name) for name in names}
    labeling = (ROOT / "token" / "labeling.yaml").read_text().replace("batch_size: 200", "batch_size: 2")
    (data_dir / "labeling.yaml").write_text(labeling)
    os.environ.update({"SAHARA_DATA_DIR": str(data_dir), "SAHARA_LOCAL_CHAINS": json.dumps(local_chains),
                       "SAHARA_LABELING_FILE": str(data_dir / "labeling.yaml")})  # fmt: skip
    state_file = data_dir / "chains.json"
    start, _ = epoch_window(TEST_EPOCH)
    chains = Chains(data_dir, {})
    try:
        chains.app("up", str(state_file), str(start + 3600), timeout=600)
        chains.state = json.loads(state_file.read_text())
        yield chains
    finally:
        state = json.loads(state_file.read_text()) if state_file.exists() else {"pids": []}
        for pid in state["pids"]:
            _stop(pid)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def chains(tmp_path_factory):
    """The chains the labeling and settlement tests share (see :func:`chain_set`)."""
    with chain_set(tmp_path_factory.mktemp("sahara-var")) as chains:
        yield chains


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def run_dag(dagbag, dag_id: str, logical_date: int, conf: dict | None = None):
    """``dag.test()`` for the run whose data interval ends at ``logical_date`` (unix seconds); returns
    the run and its task instances by (task id, map index)."""
    import pendulum

    dag = dagbag.dags[dag_id]
    run = dag.test(logical_date=pendulum.from_timestamp(logical_date, tz="UTC"), run_conf=conf)
    return run, {(ti.task_id, ti.map_index): ti for ti in run.get_task_instances()}
