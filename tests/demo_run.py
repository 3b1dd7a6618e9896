"""Running the main job (scripts/demo.py) into a data directory of its own, on two fresh anvil chains
with free ports and chain ids of their own: for tests/test_demo.py and the dashboards' seeded database."""

import json
import os
import subprocess
import sys
from pathlib import Path

from sahara_dao.core.nodes import free_port

ROOT = Path(__file__).resolve().parent.parent
CHAIN_IDS = {"ethereum": 31937, "bsc": 31938}


def demo_env(data_dir: Path) -> tuple[dict[str, str], dict[str, int]]:
    """The environment that points the demo at ``data_dir`` and at its own anvil ports; and the ports."""
    ports = {ecosystem: free_port() for ecosystem in CHAIN_IDS}
    chains = {ecosystem: {"port": ports[ecosystem], "chain_id": chain_id} for ecosystem, chain_id in CHAIN_IDS.items()}
    env = os.environ | {"SAHARA_DATA_DIR": str(data_dir), "SAHARA_LOCAL_CHAINS": json.dumps(chains)}
    env.pop("DATABASE_URL", None)
    return env, ports


def run_demo(env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


def sahara(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run the ``sahara`` CLI of this environment."""
    command = [str(Path(sys.executable).with_name("sahara")), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=True)
