"""
### Governance autopilot: keep the DAO moving, every hour

Per configured chain:

1. **relay_ballots**: send the pending signed ballots and delegations (the gasless vote relay,
   `sahara gov relay run`) in Multicall3 batches; each signature is checked again and simulated first,
   and a batch recorded as sent is resolved from the chain, never sent twice;
2. **review_proposals**: every proposal of the governor (its ProposalCreated events) with its state, tally,
   quorum and times read from the chain;
3. **queue_succeeded**: queue every proposal the governor reports `Succeeded` into the timelock;
4. **execute_ready**: execute every `Queued` proposal whose timelock delay has passed;
5. **watch_quorum**: raise one alert per `Active` proposal still short of quorum that closes within
   `SAHARA_QUORUM_ALERT_SECONDS` (default 24 h) by the chain's clock.

Queueing and executing are permissionless on the Governor: the signer (`SAHARA_GOVERNANCE_ACCOUNT`, an
Ape alias; dev:0 on local chains) only pays gas. A proposal already queued or executed is skipped by its
state, so overlapping or repeated runs do nothing twice.

**Params**: `chain`: only this chain (`ethereum`, `bsc` or a configured network choice); empty: all.

**When it fails**: the log names the proposal or ballot and the reason. *Signer has no gas*: fund
`SAHARA_GOVERNANCE_ACCOUNT`. *A call reverts on execute*: the proposal's actions fail on chain (e.g. the
treasury lacks the funds): investigate with `sahara gov status --proposal-id N`; the DAO may need a new
proposal. *Relay refused a batch*: see `sahara gov relay status`. Then clear the task.
"""

from airflow.sdk import dag, task
from sahara_common import APP_PYTHON, chain_param, dag_args, list_chains


@dag(
    schedule="@hourly",
    params={"chain": chain_param("Run on")},
    **dag_args(__doc__, ["governance", "chains"]),
)
def governance_autopilot():
    # sahara_dao.governance has no plain-valued autopilot functions yet (its owners are writing the
    # proposal records and intents): until it has, these bodies only wire its public functions,
    # relay_send.relay_pending and lifecycle.status/queue/execute, passing plain values between tasks.

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def relay_ballots(network: str) -> dict:
        from ape import chain

        from sahara_dao.core.accounts import load_account
        from sahara_dao.core.chain import connect, is_local
        from sahara_dao.core.db import session_scope
        from sahara_dao.core.deployments import DeploymentStore
        from sahara_dao.core.settings import get_settings
        from sahara_dao.governance import relay, relay_send

        settings = get_settings()
        with connect(network), session_scope() as session:
            contracts = relay.RelayContracts.from_record(DeploymentStore(settings.deployments_dir).load(chain.chain_id))
            relayer = load_account(settings.governance_account, local=is_local(network))
            report = relay_send.relay_pending(session, contracts, relayer, config=relay.load_relay_config(settings.relay_file))
        return {"network": network, "cast": len(report.cast), "failed": len(report.failed),
                "rejected": len(report.rejected), "transactions": list(report.transactions)}  # fmt: skip

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def review_proposals(relayed: dict) -> dict:
        from ape import chain

        from sahara_dao.core.chain import connect
        from sahara_dao.core.contracts import project
        from sahara_dao.core.deployments import DeploymentStore
        from sahara_dao.core.settings import get_settings
        from sahara_dao.governance import lifecycle

        with connect(relayed["network"]):
            record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
            governor = project().SaharaGovernor.at(record.address("governor"))
            proposals = []
            for log in governor.ProposalCreated.range(0, chain.blocks.head.number + 1):
                args = log.event_arguments
                status = lifecycle.status(governor, args["proposalId"])
                proposals.append({"id": str(status.proposal_id), "state": status.state.name.lower(),
                                  "deadline": int(status.deadline), "eta": int(status.eta), "quorum_reached": bool(status.quorum_reached),
                                  "votes": str(status.for_ + status.abstain), "quorum": str(status.quorum),
                                  "targets": [str(t) for t in args["targets"]], "values": [str(v) for v in args["values"]],
                                  "calldatas": ["0x" + bytes(c).hex() for c in args["calldatas"]],
                                  "description": str(args["description"])})  # fmt: skip
            return {"network": relayed["network"], "chain_id": int(chain.chain_id), "now": int(chain.blocks.head.timestamp),
                    "proposals": proposals}  # fmt: skip

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def queue_succeeded(review: dict) -> dict:
        from ape import chain

        from sahara_dao.core.accounts import load_account
        from sahara_dao.core.chain import connect, is_local
        from sahara_dao.core.contracts import project
        from sahara_dao.core.deployments import DeploymentStore
        from sahara_dao.core.settings import get_settings
        from sahara_dao.governance import lifecycle

        done = []
        with connect(review["network"]):
            settings = get_settings()
            governor = project().SaharaGovernor.at(DeploymentStore(settings.deployments_dir).load(chain.chain_id).address("governor"))
            sender = load_account(settings.governance_account, local=is_local(review["network"]))
            for item in review["proposals"]:
                if lifecycle.status(governor, int(item["id"])).state != lifecycle.ProposalState.SUCCEEDED:  # as of now
                    continue
                proposal = lifecycle.proposal_of(item["targets"], item["values"], item["calldatas"], item["description"])
                done.append({"id": item["id"], "tx": str(lifecycle.queue(governor, proposal, sender).txn_hash)})
        return review | {"queued": done}

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def execute_ready(queued: dict) -> dict:
        from ape import chain

        from sahara_dao.core.accounts import load_account
        from sahara_dao.core.chain import connect, is_local, next_timestamp
        from sahara_dao.core.contracts import project
        from sahara_dao.core.deployments import DeploymentStore
        from sahara_dao.core.settings import get_settings
        from sahara_dao.governance import lifecycle

        done = []
        with connect(queued["network"]):
            settings = get_settings()
            governor = project().SaharaGovernor.at(DeploymentStore(settings.deployments_dir).load(chain.chain_id).address("governor"))
            sender = load_account(settings.governance_account, local=is_local(queued["network"]))
            for item in queued["proposals"]:
                status = lifecycle.status(governor, int(item["id"]))
                if status.state != lifecycle.ProposalState.QUEUED or status.eta > next_timestamp():
                    continue
                proposal = lifecycle.proposal_of(item["targets"], item["values"], item["calldatas"], item["description"])
                done.append({"id": item["id"], "tx": str(lifecycle.execute(governor, proposal, sender).txn_hash)})
        return queued | {"executed": done}

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def watch_quorum(executed: dict) -> dict:
        from sahara_dao.core.alerts import raise_alert
        from sahara_dao.core.settings import get_settings

        window, now, alerts = get_settings().quorum_alert_seconds, executed["now"], []
        for item in executed["proposals"]:
            if item["state"] != "active" or item["quorum_reached"] or item["deadline"] - now > window:
                continue
            left = max(item["deadline"] - now, 0)
            raised = raise_alert(
                key=f"governance-quorum:{executed['chain_id']}:{item['id']}", source="governance_autopilot",
                chain_id=executed["chain_id"], raised_at=now,
                subject=f"proposal {item['id'][:12]}… closes in {left // 3600} h {left % 3600 // 60} min short of quorum",
                message=f"{item['votes']} of the {item['quorum']} votes (for + abstain, base units) needed; voting ends at "
                        f"{item['deadline']}. Remind delegates to vote (`sahara gov status --proposal-id {item['id']}`).",
            )  # fmt: skip
            alerts.append({"id": item["id"], "new": raised.new})
        return {"network": executed["network"], "queued": executed["queued"], "executed": executed["executed"],
                "quorum_alerts": alerts}  # fmt: skip

    reviewed = review_proposals.expand(relayed=relay_ballots.expand(network=list_chains()))
    watch_quorum.expand(executed=execute_ready.expand(queued=queue_succeeded.expand(review=reviewed)))


governance_autopilot()
