"""royalty_settlement end to end with dag.test() on two anvil chains and the app's SQLite database."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TEST_EPOCH, epoch_window, run_dag

ROOT_PUBLISHED = "0x2c9dfae8c3ea3ac9ae0942080a02510233928ddd5d7881aa62fc3a6f26220e0b"
ECOSYSTEMS = ("bsc", "ethereum")


def _topic(epoch: int) -> str:
    return "0x" + epoch.to_bytes(32, "big").hex()


def _published(chains, ecosystem: str, epoch: int) -> list[dict]:
    return chains.logs(ecosystem, "vault", ROOT_PUBLISHED, _topic(epoch))


def _epochs(chains, epoch: int) -> dict[int, tuple]:
    rows = chains.query("SELECT chain_id, window_start, window_end, status, root, publish_tx, epoch_file FROM epoch "
                        "WHERE epoch = ?", epoch)  # fmt: skip
    return {row[0]: row[1:] for row in rows}


def _kill_between_chains(chains, logical_date: int) -> None:
    """`airflow dags test` of the epoch, killed (the whole process group) as soon as one chain's root
    is on chain and before the other's is."""
    stamp = datetime.fromtimestamp(logical_date, UTC).isoformat()
    log = chains.data_dir / "killed-run.log"
    with open(log, "wb") as out:
        run = subprocess.Popen([sys.executable, "-m", "airflow", "dags", "test", "royalty_settlement", stamp],
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and run.poll() is None:
            published = [e for e in ECOSYSTEMS if _published(chains, e, TEST_EPOCH)]
            if published:
                os.killpg(run.pid, signal.SIGKILL)
                break
            time.sleep(0.2)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert len(published) == 1, f"not stopped between chains: {published}; " + log.read_text()[-3000:]


def test_settles_each_chain_once_and_verifiably_even_when_killed_between_chains(airflow_db, dagbag, chains):
    """A run killed after the first chain's root is published, then retried, publishes each chain's
    root exactly once; the on-chain root is what `sahara verify-epoch` recomputes from the epoch file;
    a second run for the same interval changes nothing."""
    start, end = epoch_window(TEST_EPOCH)
    chains.mine_to(end + 60)
    _kill_between_chains(chains, end)

    run, tasks = run_dag(dagbag, "royalty_settlement", end)
    assert run.state == "success", {key: ti.state for key, ti in tasks.items()}
    assert sum(1 for task_id, _ in tasks if task_id == "mark_settled") == 2  # mapped over both chains
    settled = _epochs(chains, TEST_EPOCH)
    assert set(settled) == {chains[e]["chain_id"] for e in ECOSYSTEMS}
    for ecosystem in ECOSYSTEMS:
        chain_id = chains[ecosystem]["chain_id"]
        window_start, window_end, status, root, publish_tx, epoch_file = settled[chain_id]
        assert (window_start, window_end) == (start, end)  # the data interval is the epoch window
        assert status == "verified"
        logs = _published(chains, ecosystem, TEST_EPOCH)
        assert len(logs) == 1 and logs[0]["data"][:66] == root and logs[0]["transactionHash"] == publish_tx
        verify = chains.sahara("verify-epoch", "--chain", ecosystem, "--epoch", str(TEST_EPOCH))
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert f"recomputed root  {root}" in verify.stdout and f"on-chain root    {root}" in verify.stdout

    files = {chain_id: hashlib.sha256(Path(row[5]).read_bytes()).hexdigest() for chain_id, row in settled.items()}
    again, _ = run_dag(dagbag, "royalty_settlement", end)
    assert again.state == "success"
    assert _epochs(chains, TEST_EPOCH) == settled
    assert {chain_id: hashlib.sha256(Path(row[5]).read_bytes()).hexdigest() for chain_id, row in settled.items()} == files
    assert all(len(_published(chains, e, TEST_EPOCH)) == 1 for e in ECOSYSTEMS)
    assert chains.query("SELECT count(*) FROM alert WHERE source = 'royalty_settlement'") == [(0,)]


def test_late_stages_raise_one_alert_each_and_an_epoch_can_be_reverified(airflow_db, dagbag, chains):
    """The next epoch, settled 13 h after its end: compute (6 h) and publish (12 h) are late, verify
    (24 h) is not: one alert per late stage and chain, none more on a rerun. Then an operator's
    re-verification of the previous epoch on one chain publishes nothing."""
    if not _epochs(chains, TEST_EPOCH):
        pytest.skip("needs the previous test's settled epoch")
    start, end = epoch_window(TEST_EPOCH + 1)
    chains.mine_to(start + 600)
    for ecosystem in ECOSYSTEMS:
        chains.app("sell", ecosystem)
    chains.mine_to(end + 13 * 3600)

    run, _ = run_dag(dagbag, "royalty_settlement", end)
    assert run.state == "success"
    alerts = chains.query("SELECT key, chain_id, subject FROM alert WHERE source = 'royalty_settlement' ORDER BY key")
    expected = sorted(f"settlement-deadline:{chains[e]['chain_id']}:{TEST_EPOCH + 1}:{stage}"
                      for e in ECOSYSTEMS for stage in ("compute", "publish"))  # fmt: skip
    assert [key for key, _, _ in alerts] == expected
    assert all("past its deadline" in subject for _, _, subject in alerts)
    for ecosystem in ECOSYSTEMS:
        assert len(_published(chains, ecosystem, TEST_EPOCH + 1)) == 1

    again, _ = run_dag(dagbag, "royalty_settlement", end)
    assert again.state == "success"
    assert chains.query("SELECT count(*) FROM alert WHERE source = 'royalty_settlement'") == [(len(expected),)]

    blocks = {e: chains.logs(e, "vault") for e in ECOSYSTEMS}
    reverify, tasks = run_dag(dagbag, "royalty_settlement", end, {"chain": "bsc", "reverify_epoch": TEST_EPOCH})
    assert reverify.state == "success"
    assert sorted(key for key in tasks if key[0] != "list_chains") == [
        ("compute_epoch", 0), ("mark_settled", 0), ("publish_root", 0), ("verify_root", 0)]
    assert {e: chains.logs(e, "vault") for e in ECOSYSTEMS} == blocks  # nothing sent anywhere
