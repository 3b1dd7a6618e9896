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
treasury lacks the funds): investigate with `sahara gov status ID`; the DAO may need a new
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
    # Each task is one call into sahara_dao.governance.autopilot in the app environment.

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def relay_ballots(network: str) -> dict:
        from sahara_dao.governance import autopilot

        return autopilot.relay_ballots(network)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def review_proposals(relayed: dict) -> dict:
        from sahara_dao.governance import autopilot

        return autopilot.review_proposals(relayed["network"])

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def queue_succeeded(review: dict) -> dict:
        from sahara_dao.governance import autopilot

        return autopilot.queue_succeeded(review)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def execute_ready(queued: dict) -> dict:
        from sahara_dao.governance import autopilot

        return autopilot.execute_ready(queued)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def watch_quorum(executed: dict) -> dict:
        from sahara_dao.governance import autopilot

        return autopilot.watch_quorum(executed)

    reviewed = review_proposals.expand(relayed=relay_ballots.expand(network=list_chains()))
    watch_quorum.expand(executed=execute_ready.expand(queued=queue_succeeded.expand(review=reviewed)))


governance_autopilot()
