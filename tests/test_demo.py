"""The main job (`make demo`) runs end to end on two fresh anvil chains and moves exactly the grant."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sahara_dao.core.nodes import free_port, rpc_chain_id

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.anvil
def test_demo_deploys_on_both_chains_and_executes_a_treasury_grant(tmp_path):
    """Deploys on ethereum and bsc, deploys again unchanged, executes a proposal, stops its nodes."""
    ports = {"ethereum": free_port(), "bsc": free_port()}
    chains = {"ethereum": {"port": ports["ethereum"], "chain_id": 31937}, "bsc": {"port": ports["bsc"], "chain_id": 31938}}
    env = os.environ | {"SAHARA_DATA_DIR": str(tmp_path), "SAHARA_LOCAL_CHAINS": json.dumps(chains)}
    out = subprocess.run([sys.executable, "scripts/demo.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "chain 31937: complete" in text and "chain 31938: complete" in text
    assert text.count("deployed again: nothing changed") == 2
    for state in ("state pending", "state succeeded", "state executed"):
        assert state in text
    assert "2,000,000,000    1,999,000,000" in text
    assert "0        1,000,000" in text
    assert {p.name for p in (tmp_path / "deployments").iterdir()} == {"31937.json", "31938.json"}
    # the economy: three assets, three licenses, metering, a split of 1,600 SAHARA claimed in full
    assert "registered dataset 1 (3 contributors), model 2" in text
    assert "10 of 1000 used; licensed: True" in text
    assert "epoch 1: 1,600 SAHARA split (fee 80, upstream 106.4)" in text
    for line in ("ana (dataset creator)                          418.76       418.76",
                 "treasury (timelock)                                80           80    1,999,000,080",
                 "bo (labeler, model trainer)                   754.015      754.015"):  # fmt: skip
        assert line in text
    assert (tmp_path / "epochs" / "31937" / "epoch-1.json").exists()
    assert all(rpc_chain_id(f"http://127.0.0.1:{port}") is None for port in ports.values())

    # a second run reloads the saved chains: nothing is redeployed and the next epoch settles
    again = subprocess.run([sys.executable, "scripts/demo.py"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("deployed again: nothing changed") == 2
    assert "epoch 2: 1,600 SAHARA split" in again.stdout and "state executed" in again.stdout
    assert (tmp_path / "epochs" / "31937" / "epoch-2.json").exists()
