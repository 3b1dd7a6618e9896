"""`sahara labeling ingest | pay | status` on Ape's in-process chain with the DAO deployed as in
production, on SQLite and PostgreSQL."""

import json

import pytest
from click.testing import CliRunner
from eth_utils import keccak, to_checksum_address

from sahara_dao.core.cli import cli
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.token.labeling import period_window
from sahara_dao.token.payouts import PayoutError

NETWORK = "ethereum:local:test"
PERIOD = "2026-11-21"
START, END = period_window(PERIOD)
LABELERS = [to_checksum_address(keccak(text=f"labeling-cli-test/{i}")[12:]) for i in range(3)]


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def deployed(db_url, accounts, genesis, params, project, tmp_path):
    """The DAO deployed and recorded in the test's data directory; the operator funded; batches of 2."""
    record = deploy_dao(sender=accounts[0], genesis=genesis, params=params,
                        store=DeploymentStore(get_settings().deployments_dir), network=NETWORK)  # fmt: skip
    token = project.SaharaToken.at(record.address("token"))
    token.transfer(accounts[9], 1000 * UNIT, sender=accounts[2])
    config = tmp_path / "labeling.yaml"
    config.write_text((get_settings().labeling_file.read_text()).replace("batch_size: 200", "batch_size: 2"))
    return record, token, config


def intake_file(path, chain_id: int):
    rows = [{"kind": "task", "task_key": "signs", "chain_id": chain_id, "title": "street signs", "created_at": START}]
    for i, labeler in enumerate(LABELERS):
        rows.append({"kind": "result", "result_key": f"r{i}", "task_key": "signs", "labeler": labeler,
                     "items": 10 * (i + 1), "gold_total": 10, "gold_correct": 9, "submitted_at": START + i})  # fmt: skip
    rows.append({"kind": "result", "result_key": "bad", "task_key": "signs", "labeler": LABELERS[0], "items": 1,
                 "gold_total": 1, "gold_correct": 2, "submitted_at": START})  # fmt: skip
    rows.append({"kind": "result", "result_key": "orphan", "task_key": "nope", "labeler": LABELERS[0], "items": 1,
                 "gold_total": 0, "gold_correct": 0, "submitted_at": START})  # fmt: skip
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\nnot json\n")
    return path


def test_ingest_pay_status_and_a_rerun(deployed, chain, tmp_path):
    """ingest prints what was stored and quarantined; pay pays 3 labelers in 2 batches; a rerun sends nothing."""
    record, token, config = deployed
    out = invoke("labeling", "ingest", str(intake_file(tmp_path / "day.jsonl", chain.chain_id)))
    assert "tasks    stored 1, duplicates 0, quarantined 0" in out
    assert "results  stored 3, duplicates 0, quarantined 3" in out
    assert "1  gold_correct > gold_total" in out and "1  unknown task" in out and "1  unreadable" in out
    again = invoke("labeling", "ingest", str(tmp_path / "day.jsonl"))
    assert "results  stored 0, duplicates 6, quarantined 0" in again

    out = invoke("labeling", "status", "--period", PERIOD, "--config", str(config))
    assert f"chain {chain.chain_id}, {PERIOD}: 3 labelers earn 30 SAHARA" in out and "not planned yet" in out

    out = invoke("labeling", "pay", "--network", NETWORK, "--period", PERIOD, "--config", str(config))
    assert "from 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720" in out  # dev:9, found by its PAYER_ROLE
    assert "plan (recorded now): 2 batches, 3 labelers, 30 SAHARA" in out
    assert "batch 1/2" in out and "batch 2/2" in out and out.count(": paid ") == 2
    assert "labelers paid 3, total 30 SAHARA; batches: 2 (2 paid now, 0 found paid on chain, 0 skipped" in out
    assert "reconciled: 2 batches agree with the chain" in out
    assert [token.balanceOf(labeler) for labeler in LABELERS] == [5 * UNIT, 10 * UNIT, 15 * UNIT]

    out = invoke("labeling", "pay", "--network", NETWORK, "--period", PERIOD, "--config", str(config))
    assert "recorded earlier, reused" in out and "(0 paid now, 0 found paid on chain, 2 skipped" in out
    assert [token.balanceOf(labeler) for labeler in LABELERS] == [5 * UNIT, 10 * UNIT, 15 * UNIT]

    out = invoke("labeling", "status", "--period", PERIOD, "--config", str(config))
    assert "2 batches, 2 paid" in out and out.count(" paid ") >= 2


def test_pay_refuses_a_bad_period_and_a_chain_without_deployment(db_url, tmp_path):
    """A period that is not YYYY-MM-DD, or a chain with no recorded deployment, is refused before sending."""
    from sahara_dao.token.labeling import LabelingError

    with pytest.raises(LabelingError, match="YYYY-MM-DD"):
        invoke("labeling", "pay", "--network", NETWORK, "--period", "21/11/2026")
    with pytest.raises(PayoutError, match="sahara deploy --network ethereum:local:test"):
        invoke("labeling", "pay", "--network", NETWORK, "--period", PERIOD)
