"""Local chains for the DAG tests, run with the app environment's Python (the Airflow environment has
no Ape): ``python tests/dags/chains.py COMMAND ...`` with ``SAHARA_DATA_DIR`` and ``SAHARA_LOCAL_CHAINS``
set by the test. Reuses tests/anvil_chain.py's deployment and economy helpers.

  up STATE_JSON START       start an anvil node per configured chain (detached; the test stops them by
                            pid), set its clock to START, deploy, sell licenses, store a day of labeling
  sell ECOSYSTEM            sell one more perpetual license on the chain (revenue of the current epoch)
  fund ECOSYSTEM AMOUNT     move AMOUNT whole SAHARA from the community account to the payer (dev 9)
  inference ECOSYSTEM       the project's model registered as an asset (content hash = its sha256) and in the
                            model store, a 30-day license sold to dev 2, five requests from dev 2 and one
                            from dev 7 (no license) submitted; prints the asset id as JSON
  proposals ECOSYSTEM       two treasury grants: one voted through (Succeeded), one still Active an hour
                            before its deadline and short of quorum; prints their ids and the grant as JSON
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: anvil_chain

from anvil_chain import (  # noqa: E402
    BUYER,
    CREATOR,
    CURATOR,
    DATASET,
    DURATION,
    LABELER,
    MODEL,
    OPERATOR,
    PERPETUAL,
    TRAINED_ON,
    TRAINER,
    Economy,
    dev,
    rpc,
)

from sahara_dao.core.chain import connect  # noqa: E402
from sahara_dao.core.contracts import project  # noqa: E402
from sahara_dao.core.db import session_scope  # noqa: E402
from sahara_dao.core.deployments import DeploymentStore  # noqa: E402
from sahara_dao.core.nodes import AnvilNode  # noqa: E402
from sahara_dao.core.settings import get_settings  # noqa: E402
from sahara_dao.core.units import UNIT  # noqa: E402
from sahara_dao.governance.deploy import deploy_dao  # noqa: E402
from sahara_dao.governance.params import load_params  # noqa: E402
from sahara_dao.token.allocation import load_genesis  # noqa: E402
from sahara_dao.token.labeling import ingest_labeling, period_of, upsert_tasks  # noqa: E402
from sahara_dao.token.payouts import register_deployed_chains  # noqa: E402

LABELERS = (4, 5, 6, 7)  # dev accounts; 100 items each, every trap question right: 55 SAHARA each


def _network(ecosystem: str) -> str:
    return f"{ecosystem}:local:foundry"


def _economy(ecosystem: str):
    settings = get_settings()
    chain = settings.local_chains[ecosystem]
    record = DeploymentStore(settings.deployments_dir).load(chain.chain_id)
    return connect(_network(ecosystem)), record


def up(state_file: str, start: int) -> None:
    from ape.logging import logger

    logger.set_level("WARNING")
    settings = get_settings()
    genesis, params = load_genesis(settings.genesis_file), load_params(settings.governance_file)
    settings.nodes_dir.mkdir(parents=True, exist_ok=True)
    state = {"pids": [], "chains": {}}
    for ecosystem, chain in sorted(settings.local_chains.items()):
        node = AnvilNode(port=chain.port, chain_id=chain.chain_id, log_file=settings.nodes_dir / f"{ecosystem}.log")
        node.start(detach=True)
        state["pids"].append(node.process.pid)
        Path(state_file).write_text(json.dumps(state))  # the test stops what started, even if a later step fails
        rpc(node.uri, "evm_setTime", start)
        rpc(node.uri, "evm_mine")
        with connect(_network(ecosystem)):
            record = deploy_dao(sender=dev(0), genesis=genesis, params=params,
                                store=DeploymentStore(settings.deployments_dir), network=_network(ecosystem))  # fmt: skip
            economy = Economy(record)
            dataset, _ = economy.register(4, DATASET, f"dataset-{ecosystem}",
                                          [(4, 4000, CREATOR), (5, 3500, LABELER), (6, 2500, CURATOR)])  # fmt: skip
            model, _ = economy.register(5, MODEL, f"model-{ecosystem}", [(5, 10_000, TRAINER)],
                                        [(dataset, TRAINED_ON, 2000)])  # fmt: skip
            economy.buy(economy.offer(4, dataset, PERPETUAL, 0, 0, 1_000 * UNIT))
            economy.buy(economy.offer(5, model, DURATION, 30 * 86400, 0, 500 * UNIT))
            at = economy.chain.blocks.head.timestamp
        state["chains"][ecosystem] = {"uri": node.uri, "chain_id": chain.chain_id, "network": _network(ecosystem),
                                      "vault": record.address("vault"), "token": record.address("token"),
                                      "payouts": record.address("payouts"), "dataset": dataset,
                                      "labeling_period": period_of(at)}  # fmt: skip
        _store_labeling(chain.chain_id, ecosystem, at)
        Path(state_file).write_text(json.dumps(state))


def _store_labeling(chain_id: int, ecosystem: str, at: int) -> None:
    task = f"{chain_id}-{period_of(at)}-signs"
    results = [{"result_key": f"{task}-{n}", "task_key": task, "labeler": dev(n).address, "items": 100,
                "gold_total": 10, "gold_correct": 10, "submitted_at": at} for n in LABELERS]  # fmt: skip
    with session_scope() as session:
        register_deployed_chains(session, DeploymentStore(get_settings().deployments_dir))
        upsert_tasks(session, [{"task_key": task, "chain_id": chain_id, "title": f"signs on {ecosystem}",
                                "created_at": at}], received_at=at)  # fmt: skip
        report = ingest_labeling(session, results, received_at=at)
    assert report.stored == len(LABELERS), report


def sell(ecosystem: str) -> None:
    context, record = _economy(ecosystem)
    with context:
        economy = Economy(record)
        dataset = 1
        economy.buy(economy.offer(4, dataset, PERPETUAL, 0, 0, 700 * UNIT))


def fund(ecosystem: str, amount: str) -> None:
    context, record = _economy(ecosystem)
    with context:
        Economy(record).token.transfer(dev(OPERATOR).address, int(amount) * UNIT, sender=dev(BUYER))


def inference(ecosystem: str) -> None:
    from sahara_dao.inference.build_models import build_quality_model
    from sahara_dao.inference.ledger import ChainLedger
    from sahara_dao.inference.requests import submit_requests
    from sahara_dao.inference.store import file_sha256, register_model

    settings = get_settings()
    model_file = build_quality_model(settings.data_dir / "models" / "build")
    context, record = _economy(ecosystem)
    with context:
        economy = Economy(record)
        receipt = economy.registry.register(MODEL, bytes.fromhex(file_sha256(model_file)[2:]), "ipfs://tests/quality",
                                            [(dev(5).address, 10_000, TRAINER)], [], sender=dev(5))  # fmt: skip
        asset = receipt.events.filter(economy.registry.AssetRegistered)[0].assetId
        economy.buy(economy.offer(5, asset, DURATION, 30 * 86400, 0, 10 * UNIT))
        ledger = ChainLedger(meter_account=None)
        requests = [{"request_id": f"{record.chain_id}-{asset}-{n}", "chain_id": record.chain_id, "asset_id": asset,
                     "account": dev(BUYER).address, "inputs": {"features": [[0.9, 10.0, 0.8, 0.05]]}} for n in range(5)]  # fmt: skip
        requests.append(requests[0] | {"request_id": f"{record.chain_id}-{asset}-nolicense", "account": dev(7).address})
        with session_scope() as session:
            register_model(session, models_dir=settings.data_dir / "models", source=model_file, chain_id=record.chain_id,
                           asset_id=asset, content_hash=ledger.content_hash(asset), registered_at=ledger.now())  # fmt: skip
            submit_requests(session, requests, submitted_at=ledger.now())
    print(json.dumps({"asset": asset}))


def proposals(ecosystem: str) -> None:
    from sahara_dao.governance import intents, lifecycle

    context, record = _economy(ecosystem)
    with context:
        economy = Economy(record)
        contracts = project()
        governor = contracts.SaharaGovernor.at(record.address("governor"))
        community, recipient = dev(BUYER), dev(8)
        lifecycle.delegate(economy.token, community.address, community)
        economy.chain.mine(deltatime=1)
        grant = 1_000 * UNIT
        ids = []
        for title in ("Grant A: labeling bounties", "Grant B: a second bounty"):
            proposal = intents.treasury_transfer(intents.load_dao(record.contracts), recipient=recipient.address,
                                                 amount=grant, description=title)  # fmt: skip
            ids.append(lifecycle.propose(governor, proposal, community))
            economy.chain.mine(deltatime=lifecycle.status(governor, ids[-1]).snapshot - economy.chain.pending_timestamp + 1)
            if len(ids) == 1:
                lifecycle.cast_vote(governor, ids[0], lifecycle.Support.FOR, community)
        deadline = lifecycle.status(governor, ids[1]).deadline
        economy.chain.mine(timestamp=deadline - 3600)
        states = [lifecycle.status(governor, i).state.name for i in ids]
        assert states == ["SUCCEEDED", "ACTIVE"], states
        print(json.dumps({"succeeded": str(ids[0]), "short": str(ids[1]), "recipient": recipient.address,
                          "grant": str(grant), "governor": governor.address}))  # fmt: skip


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"up": lambda state, start: up(state, int(start)), "sell": sell, "fund": fund, "inference": inference,
     "proposals": proposals}[command](*args)
