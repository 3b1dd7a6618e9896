"""
### Royalty settlement, one epoch per run, on every configured chain

Each run settles the epoch whose window is the run's **data interval** `[start, end)` (weekly:
`SAHARA_EPOCH_CRON`, default Thursday 00:00 UTC, matching `SAHARA_EPOCH_ORIGIN`/`SAHARA_EPOCH_SECONDS`),
mapped over the configured chains (`SAHARA_PIPELINE_NETWORKS`, default the local ethereum and bsc chains).
Per chain:

1. **compute_epoch**: catch the indexer up, read the window's license and pay-per-use fees, split them
   through lineage to receipt holders, build the cumulative Merkle tree, write `var/epochs/<chain>/epoch-<n>.json`;
2. **publish_root**: deposit missing pay-per-use fees and publish the root to the chain's RevenueVault (once);
3. **verify_root**: recompute the root from the epoch file alone and compare it with the vault's;
4. **mark_settled**: check the epoch ended verified (or empty: nothing earned, the previous root stays).

Runs never overlap (`max_active_runs=1`); epochs of a chain settle in order. Every stage is idempotent:
rerunning a run, or backfilling past windows (`airflow backfill create --dag-id royalty_settlement ...`),
recomputes the same roots and publishes nothing twice. A stage finished after its deadline
(`SAHARA_SETTLEMENT_DEADLINES`, seconds after the epoch's end) raises one alert; a task that fails after
its retries raises one too (table `alert`, the dashboards, and `SAHARA_ALERT_WEBHOOK`).

**Params** (Trigger DAG w/ config):
- `chain`: settle only this chain (`ethereum`, `bsc` or a configured network choice); empty: all of them.
- `reverify_epoch`: only re-verify epoch N (recompute its root from its file, compare with the chain); nothing is published.

**When it fails**: read the failed task's log; its message says what to do (index the chain, fund the
operator, wait for the pending root to activate, ...). Fix that, then *Clear* the failed task: it resumes
where it stopped. A `verify_root` failure means the published root does not match its inputs: do not let
it activate; compare with `sahara verify-epoch --chain ... --epoch N` and escalate.
"""

import os

from airflow.sdk import CronDataIntervalTimetable, Param, dag, task
from sahara_common import APP_PYTHON, chain_param, dag_args, list_chains

WINDOW = {"start": "{{ data_interval_start.int_timestamp }}", "end": "{{ data_interval_end.int_timestamp }}",
          "reverify": "{{ params.reverify_epoch or '' }}"}  # fmt: skip


@dag(
    schedule=CronDataIntervalTimetable(os.environ.get("SAHARA_EPOCH_CRON", "0 0 * * 4"), timezone="UTC"),
    params={
        "chain": chain_param("Settle"),
        "reverify_epoch": Param(None, type=["null", "integer"], minimum=1, title="Re-verify epoch",
                                description="Only recompute epoch N's root from its file and compare it with the chain."),
    },  # fmt: skip
    **dag_args(__doc__, ["settlement", "chains"]),
)
def royalty_settlement():
    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def compute_epoch(network: str, start: str, end: str, reverify: str) -> dict:
        from sahara_dao.token.settlement import settle_stage

        return settle_stage(network, "compute", int(start), int(end), reverify_epoch=int(reverify) if reverify else None)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def publish_root(computed: dict, start: str, end: str, reverify: str) -> dict:
        from sahara_dao.token.settlement import settle_stage

        return settle_stage(computed["network"], "publish", int(start), int(end),
                            reverify_epoch=int(reverify) if reverify else None)  # fmt: skip

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def verify_root(published: dict, start: str, end: str, reverify: str) -> dict:
        from sahara_dao.token.settlement import settle_stage

        return settle_stage(published["network"], "verify", int(start), int(end),
                            reverify_epoch=int(reverify) if reverify else None)  # fmt: skip

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def mark_settled(verified: dict, start: str, end: str, reverify: str) -> dict:
        from sahara_dao.token.settlement import settle_stage

        return settle_stage(verified["network"], "mark", int(start), int(end),
                            reverify_epoch=int(reverify) if reverify else None)  # fmt: skip

    computed = compute_epoch.partial(**WINDOW).expand(network=list_chains())
    published = publish_root.partial(**WINDOW).expand(computed=computed)
    verified = verify_root.partial(**WINDOW).expand(published=published)
    mark_settled.partial(**WINDOW).expand(verified=verified)


royalty_settlement()
