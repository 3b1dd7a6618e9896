"""The governance autopilot's steps for schedulers (Airflow's governance_autopilot DAG), one function
per task, each taking and returning plain values (builtins only: the caller may run in another
Python environment and hand the result to the next step).

1. :func:`relay_ballots`: the pending signed ballots and delegations go out through the relay;
2. :func:`review_proposals`: every proposal of the governor with its state, tally, quorum and times;
3. :func:`queue_succeeded`: proposals the governor reports Succeeded are queued in the timelock;
4. :func:`execute_ready`: queued proposals whose timelock delay has passed are executed;
5. :func:`watch_quorum`: one alert per Active proposal short of quorum that closes within the window.

Queueing and executing are permissionless on the Governor: the signer (``SAHARA_GOVERNANCE_ACCOUNT``,
dev:0 on local chains) only pays gas. Every step reads the state again before it sends, so repeated or
overlapping runs do nothing twice.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sahara_dao.core.settings import get_settings


@contextmanager
def _deployment(network: str) -> Iterator[tuple[Any, Any]]:
    """Connect to ``network``; yield its deployment record and the governor."""
    from ape import chain

    from sahara_dao.core.chain import connect
    from sahara_dao.core.contracts import project
    from sahara_dao.core.deployments import DeploymentStore
    from sahara_dao.governance.errors import DeploymentError

    with connect(network):
        record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
        if record is None:
            raise DeploymentError(f"no deployment on chain {chain.chain_id}: run `sahara deploy --network {network}`")
        yield record, project().SaharaGovernor.at(record.address("governor"))


def _signer(network: str):
    from sahara_dao.core.accounts import load_account
    from sahara_dao.core.chain import is_local

    return load_account(get_settings().governance_account, local=is_local(network))


def relay_ballots(network: str) -> dict:
    """Send the chain's pending signed ballots and delegations in Multicall3 batches."""
    from sahara_dao.core.db import session_scope
    from sahara_dao.governance.relay import RelayContracts, load_relay_config
    from sahara_dao.governance.relay_send import relay_pending

    with _deployment(network) as (record, _governor), session_scope() as session:
        report = relay_pending(session, RelayContracts.from_record(record), _signer(network),
                               config=load_relay_config(get_settings().relay_file))  # fmt: skip
    return {"network": network, "cast": len(report.cast), "failed": len(report.failed),
            "rejected": len(report.rejected), "transactions": [str(tx) for tx in report.transactions]}  # fmt: skip


def review_proposals(network: str) -> dict:
    """Every proposal of the chain's governor (its ProposalCreated logs) with state, tally and times."""
    from ape import chain

    from sahara_dao.governance import lifecycle

    with _deployment(network) as (_record, governor):
        proposals = []
        for log in governor.ProposalCreated.range(0, chain.blocks.head.number + 1):
            args = log.event_arguments
            status = lifecycle.status(governor, args["proposalId"])
            proposals.append({
                "id": str(status.proposal_id), "state": status.state.name.lower(), "deadline": int(status.deadline),
                "eta": int(status.eta), "quorum_reached": bool(status.quorum_reached),
                "votes": str(status.for_ + status.abstain), "quorum": str(status.quorum),
                "targets": [str(t) for t in args["targets"]], "values": [str(v) for v in args["values"]],
                "calldatas": ["0x" + bytes(c).hex() for c in args["calldatas"]], "description": str(args["description"]),
            })  # fmt: skip
        return {"network": network, "chain_id": int(chain.chain_id), "now": int(chain.blocks.head.timestamp),
                "proposals": proposals}  # fmt: skip


def _advance(review: dict, step: str, ready) -> dict:
    """Queue or execute (``step``) every reviewed proposal that is ``ready`` by the chain's state now."""
    from sahara_dao.governance import lifecycle

    done = []
    with _deployment(review["network"]) as (_record, governor):
        sender = _signer(review["network"])
        for item in review["proposals"]:
            if not ready(lifecycle.status(governor, int(item["id"]))):
                continue
            proposal = lifecycle.proposal_of(item["targets"], item["values"], item["calldatas"], item["description"])
            receipt = getattr(lifecycle, step)(governor, proposal, sender)
            done.append({"id": item["id"], "tx": str(receipt.txn_hash)})
    return review | {{"queue": "queued", "execute": "executed"}[step]: done}


def queue_succeeded(review: dict) -> dict:
    """Queue every proposal the governor reports Succeeded; ``review`` comes from :func:`review_proposals`."""
    from sahara_dao.governance.lifecycle import ProposalState

    return _advance(review, "queue", lambda status: status.state == ProposalState.SUCCEEDED)


def execute_ready(review: dict) -> dict:
    """Execute every Queued proposal whose timelock delay has passed by the chain's clock."""
    from sahara_dao.core.chain import next_timestamp
    from sahara_dao.governance.lifecycle import ProposalState

    return _advance(review, "execute",
                    lambda status: status.state == ProposalState.QUEUED and status.eta <= next_timestamp())  # fmt: skip


def watch_quorum(review: dict) -> dict:
    """One alert (never twice) per Active proposal short of quorum that closes within
    ``SAHARA_QUORUM_ALERT_SECONDS`` of the reviewed chain time."""
    from sahara_dao.core.alerts import raise_alert

    window, now, alerts = get_settings().quorum_alert_seconds, review["now"], []
    for item in review["proposals"]:
        if item["state"] != "active" or item["quorum_reached"] or item["deadline"] - now > window:
            continue
        left = max(item["deadline"] - now, 0)
        raised = raise_alert(
            key=f"governance-quorum:{review['chain_id']}:{item['id']}", source="governance_autopilot",
            chain_id=review["chain_id"], raised_at=now,
            subject=f"proposal {item['id'][:12]}… closes in {left // 3600} h {left % 3600 // 60} min short of quorum",
            message=f"{item['votes']} of the {item['quorum']} votes (for + abstain, base units) needed; voting ends at "
                    f"{item['deadline']}. Remind delegates to vote (`sahara gov status {item['id']}`).",
        )  # fmt: skip
        alerts.append({"id": item["id"], "new": raised.new})
    return {"network": review["network"], "queued": review.get("queued", []), "executed": review.get("executed", []),
            "quorum_alerts": alerts}  # fmt: skip
