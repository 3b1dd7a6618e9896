"""governance_autopilot end to end with dag.test(): a succeeded proposal is queued, then executed once
its timelock delay passed; an active proposal short of quorum near its deadline raises one alert."""

import json

import pytest
from conftest import chain_set, rpc, run_dag

STATE = "0x3e4f49e6"  # IGovernor.state(uint256)
QUEUED, EXECUTED = 5, 7


@pytest.fixture(scope="module")
def gov_chains(tmp_path_factory):
    with chain_set(tmp_path_factory.mktemp("sahara-gov")) as chains:
        yield chains


def _state(chains, governor: str, proposal_id: str) -> int:
    data = STATE + int(proposal_id).to_bytes(32, "big").hex()
    return int(rpc(chains["ethereum"]["uri"], "eth_call", {"to": governor, "data": data}, "latest"), 16)


def _head_time(chains) -> int:
    return int(rpc(chains["ethereum"]["uri"], "eth_getBlockByNumber", "latest", False)["timestamp"], 16)


def test_queues_executes_and_warns_once(airflow_db, dagbag, gov_chains):
    """Run 1 queues the succeeded grant and alerts on the other; run 2 does nothing new; after the
    timelock delay run 3 executes the grant, which moves exactly the granted amount."""
    made = json.loads(gov_chains.app("proposals", "ethereum").strip().splitlines()[-1])
    governor, conf = made["governor"], {"chain": "ethereum"}
    before = gov_chains.erc20_balance("ethereum", made["recipient"])

    first, tasks = run_dag(dagbag, "governance_autopilot", _head_time(gov_chains), conf)
    assert first.state == "success", {key: ti.state for key, ti in tasks.items()}
    assert _state(gov_chains, governor, made["succeeded"]) == QUEUED
    alerts = gov_chains.query("SELECT key, subject FROM alert WHERE source = 'governance_autopilot'")
    assert [key for key, _ in alerts] == [f"governance-quorum:{gov_chains['ethereum']['chain_id']}:{made['short']}"]
    assert "short of quorum" in alerts[0][1]

    again, _ = run_dag(dagbag, "governance_autopilot", _head_time(gov_chains), conf)
    assert again.state == "success"
    assert _state(gov_chains, governor, made["succeeded"]) == QUEUED
    assert len(gov_chains.query("SELECT key FROM alert WHERE source = 'governance_autopilot'")) == 1

    gov_chains.mine_to(_head_time(gov_chains) + 2 * 86_400 + 60)  # the timelock delay
    third, _ = run_dag(dagbag, "governance_autopilot", _head_time(gov_chains), conf)
    assert third.state == "success"
    assert _state(gov_chains, governor, made["succeeded"]) == EXECUTED
    assert gov_chains.erc20_balance("ethereum", made["recipient"]) - before == int(made["grant"])
