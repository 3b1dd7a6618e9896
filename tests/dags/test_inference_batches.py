"""chain_sync and inference_batches end to end with dag.test(): the chain is indexed once, pending
requests run in the gpu pool's task and are metered exactly once, a rerun changes nothing."""

import json

import pytest
from conftest import chain_set, rpc, run_dag

PRICE = 10**15  # inference/prices.yaml: the project's labeling-quality model, 0.001 SAHARA a scored row


@pytest.fixture(scope="module")
def infer_chains(tmp_path_factory):
    with chain_set(tmp_path_factory.mktemp("sahara-infer")) as chains:
        yield chains


def _now(chains) -> int:
    return int(rpc(chains["ethereum"]["uri"], "eth_getBlockByNumber", "latest", False)["timestamp"], 16)


def test_index_then_run_and_meter_once(airflow_db, dagbag, infer_chains):
    """chain_sync stores the chain's events once; inference_batches runs the licensee's five requests,
    rejects the unlicensed one, meters five usage records at the model's price; reruns add nothing."""
    asset = json.loads(infer_chains.app("inference", "ethereum").strip().splitlines()[-1])["asset"]
    chain_id, conf = infer_chains["ethereum"]["chain_id"], {"chain": "ethereum"}

    synced, tasks = run_dag(dagbag, "chain_sync", _now(infer_chains), conf)
    assert synced.state == "success" and {task_id for task_id, _ in tasks} == {"list_chains", "index_chain"}
    events = infer_chains.query("SELECT count(*) FROM chain_event WHERE chain_id = ?", chain_id)
    assert events[0][0] > 0
    assert infer_chains.query("SELECT count(*) FROM asset WHERE chain_id = ? AND asset_id = ?", chain_id, asset) == [(1,)]
    again, _ = run_dag(dagbag, "chain_sync", _now(infer_chains), conf)
    assert again.state == "success"
    assert infer_chains.query("SELECT count(*) FROM chain_event WHERE chain_id = ?", chain_id) == events

    ran, tasks = run_dag(dagbag, "inference_batches", _now(infer_chains), conf)
    assert ran.state == "success", {key: ti.state for key, ti in tasks.items()}
    assert tasks[("run_batches", 0)].pool == "gpu"
    statuses = dict(infer_chains.query("SELECT status, count(*) FROM inference_request GROUP BY status"))
    assert statuses == {"metered": 5, "rejected": 1}
    usage = infer_chains.query("SELECT request_id, amount FROM usage_event WHERE chain_id = ? AND asset_id = ?", chain_id, asset)
    assert len(usage) == 5 and all(int(amount) == PRICE for _, amount in usage)

    rerun, _ = run_dag(dagbag, "inference_batches", _now(infer_chains), conf)
    assert rerun.state == "success"
    assert infer_chains.query("SELECT count(*) FROM usage_event WHERE chain_id = ?", chain_id) == [(5,)]
