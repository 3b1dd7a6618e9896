"""Payout processes killed with SIGKILL in the middle of a period, on a real anvil node: rerunning
`sahara labeling pay` pays every labeler exactly once (SQLite and PostgreSQL).

Two kinds of kill: the real command killed from outside when its output reaches a given batch, and
a small driver (the library with a checkpoint) that kills itself right after a payout is mined and
before it is recorded, the one window a crash cannot be told from the database alone."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_utils import keccak, to_checksum_address
from sqlmodel import select

from sahara_dao.core.chain import connect
from sahara_dao.core.cli import cli
from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.nodes import AnvilNode, free_port
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.token.labeling import period_window
from sahara_dao.token.models import PayoutBatch
from sahara_dao.token.payouts import reconcile

pytestmark = pytest.mark.anvil

CHAIN_ID = 31977
NETWORK = "ethereum:local:foundry"
PERIOD = "2026-11-21"
START, _ = period_window(PERIOD)
LABELERS = [to_checksum_address(keccak(text=f"payouts-anvil/{i}")[12:]) for i in range(12)]
SAHARA = Path(sys.executable).parent / "sahara"
DRIVER = """
import os, signal, sys
from ape import accounts, chain
from sahara_dao.core.chain import connect
from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.token.labeling import load_labeling_config
from sahara_dao.token.payouts import run_payouts

def die(stage, batch):  # SIGKILL: no finally, no rollback, no atexit
    if stage == "mined" and batch.batch_index == int(sys.argv[1]):
        print("killed after mining batch", batch.batch_index, batch.tx_hash, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

with connect("ethereum:local:foundry"):
    record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
    token = project().SaharaToken.at(record.address("token"))
    batcher = project().PayoutBatcher.at(record.address("payouts"))
    with session_scope() as session:
        run_payouts(session, chain_id=chain.chain_id, period=sys.argv[2], config=load_labeling_config(
            get_settings().labeling_file), batcher=batcher, token=token, payer=accounts.test_accounts[9],
            progress=print, checkpoint=die)
"""


@pytest.fixture
def node(db_url, settings_env, tmp_path):
    """An anvil node with the DAO deployed, the operator funded, 12 labelers' results ingested, and
    parameters paying them in 6 batches of 2."""
    anvil = AnvilNode(port=free_port(), chain_id=CHAIN_ID).start()
    config = tmp_path / "labeling.yaml"
    config.write_text(get_settings().labeling_file.read_text().replace("batch_size: 200", "batch_size: 2"))
    settings_env(SAHARA_LOCAL_CHAINS=json.dumps({"ethereum": {"port": anvil.port, "chain_id": CHAIN_ID}}),
                 SAHARA_LABELING_FILE=str(config))  # fmt: skip
    try:
        cli_run("deploy", "--network", NETWORK)
        record = DeploymentStore(get_settings().deployments_dir).load(CHAIN_ID)
        from ape import accounts

        with connect(NETWORK):
            token = project().SaharaToken.at(record.address("token"))
            token.transfer(accounts.test_accounts[9], 10_000 * UNIT, sender=accounts.test_accounts[2])
        rows = [{"kind": "task", "task_key": "t", "chain_id": CHAIN_ID, "title": "signs", "created_at": START}]
        rows += [{"kind": "result", "result_key": f"r{i}", "task_key": "t", "labeler": labeler, "items": i + 1,
                  "gold_total": 0, "gold_correct": 0, "submitted_at": START + i} for i, labeler in enumerate(LABELERS)]  # fmt: skip
        intake = tmp_path / "results.jsonl"
        intake.write_text("\n".join(json.dumps(row) for row in rows))
        assert "results  stored 12" in cli_run("labeling", "ingest", str(intake))
        yield record
    finally:
        anvil.stop()


def cli_run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)
    assert result.exit_code == 0, result.output
    return result.output


def pay_until(pattern: str | None, command: list[str] | None = None) -> tuple[str, int]:
    """Run `sahara labeling pay` (or ``command``) in its own process; SIGKILL it as soon as a line
    matches ``pattern``."""
    command = command or [str(SAHARA), "labeling", "pay", "--network", NETWORK, "--period", PERIOD]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=os.environ | {"PYTHONUNBUFFERED": "1"})  # fmt: skip
    output = []
    for line in process.stdout:
        output.append(line)
        if pattern and re.search(pattern, line):
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=120)
    process.stdout.close()
    return "".join(output), process.returncode


def test_a_killed_pay_process_resumes_and_pays_everyone_exactly_once(node, db_url):
    """SIGKILL after batch 2 is paid, then again once batch 4 is approved (its payout in flight):
    the third run finishes; every labeler holds exactly their pay and each batch paid once."""
    out, code = pay_until(r"batch 2/6 \S+: paid")
    assert code == -signal.SIGKILL, out
    out, code = pay_until(r"batch 4/6 \S+: approved")
    assert code == -signal.SIGKILL and "batch 1/6" in out and "already paid" in out, out
    out, code = pay_until(None)
    assert code == 0, out
    assert "reconciled: 6 batches agree with the chain" in out
    assert "labelers paid 12, total 39 SAHARA; batches: 6" in out  # (1 + ... + 12) items x 0.5

    check_paid_exactly_once(node, db_url)


def test_a_process_killed_after_mining_and_before_recording_does_not_pay_again(node, db_url, tmp_path):
    """The driver dies right after batch 3's payout is mined; the rerun finds it paid, sends nothing for it."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    out, code = pay_until(None, [sys.executable, str(driver), "2", PERIOD])
    assert code == -signal.SIGKILL and "killed after mining batch 2" in out, out
    with session_scope(db_url) as session:
        assert [b.status for b in session.exec(select(PayoutBatch).order_by(PayoutBatch.batch_index))] == (
            ["paid", "paid", "sent", "planned", "planned", "planned"]
        )
    out, code = pay_until(None)
    assert code == 0, out
    assert re.search(r"batch 3/6 \S+: found paid on chain \(tx 0x[0-9a-f]{64}\), recorded; nothing sent", out), out
    assert "(3 paid now, 1 found paid on chain, 2 skipped as already paid)" in out
    check_paid_exactly_once(node, db_url)


def check_paid_exactly_once(record, db_url) -> None:
    """Every labeler holds exactly their pay, each of the 6 batches was paid once, the database agrees."""
    from ape import chain

    with connect(NETWORK):
        token = project().SaharaToken.at(record.address("token"))
        batcher = project().PayoutBatcher.at(record.address("payouts"))
        assert [token.balanceOf(labeler) for labeler in LABELERS] == [(i + 1) * UNIT // 2 for i in range(12)]
        events = list(batcher.BatchPaid.range(0, chain.blocks.head.number + 1))
        assert len(events) == 6 and len({bytes(e.batchId) for e in events}) == 6
        with session_scope(db_url) as session:
            check = reconcile(session, chain_id=CHAIN_ID, period=PERIOD, batcher=batcher, token=token)
        assert check.ok and check.paid == 6, check.mismatches
