"""
### Labeling payouts: pay each UTC day's labelers on every configured chain

Each run pays the UTC day of its **data interval** (daily, `00:00 UTC`; the day is `data_interval_start`),
per chain:

1. **plan_payouts**: the day's payouts (items x rate x quality factor from gold accuracy,
   `token/labeling.yaml`) are planned and recorded as batches before anything is sent (a day planned
   before keeps its plan; results that arrived later are reported as drift, never paid silently);
2. **pay_batches**: each unpaid batch is paid through the PayoutBatcher contract under an id derived from
   (chain, day, index); a batch id is paid at most once on chain, and a batch whose transaction went
   through before a crash is found and recorded, not resent;
3. **reconcile_payouts**: every batch is compared with the chain (isPaid, BatchPaid totals, transfers).

Retrying or rerunning a day pays nobody twice and skips nobody.

**Params**: `chain`: pay only this chain; empty: every configured chain.

**When it fails**: *the payer holds too little SAHARA*: transfer SAHARA to the payer (PAYER_ROLE), then
clear the task (paid batches stay paid). *Reconciliation mismatch*: stop and investigate with
`sahara labeling status --period YYYY-MM-DD`; do not rerun blindly. Backfill a missed day with
`airflow backfill create --dag-id labeling_payouts --from-date ... --to-date ...`.
"""

from airflow.sdk import CronDataIntervalTimetable, dag, task
from sahara_common import APP_PYTHON, chain_param, dag_args, list_chains


@dag(
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    params={"chain": chain_param("Pay")},
    **dag_args(__doc__, ["labeling", "payouts", "chains"]),
)
def labeling_payouts():
    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def plan_payouts(network: str, period: str) -> dict:
        from sahara_dao.token.payouts import plan_on_network

        return plan_on_network(network, period)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def pay_batches(planned: dict, period: str) -> dict:
        from sahara_dao.token.payouts import pay_period

        return pay_period(planned["network"], period)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def reconcile_payouts(paid: dict, period: str) -> dict:
        from sahara_dao.token.payouts import reconcile_on_network

        return reconcile_on_network(paid["network"], period)

    period = "{{ data_interval_start.strftime('%Y-%m-%d') }}"
    planned = plan_payouts.partial(period=period).expand(network=list_chains())
    reconcile_payouts.partial(period=period).expand(paid=pay_batches.partial(period=period).expand(planned=planned))


labeling_payouts()
