"""
### Inference batches: run pending inference requests on the GPU workers, every 15 minutes

Per configured chain: **run_batches** takes every pending request, checks its license on chain (no
license, expired or out of quota: rejected with the reason), runs the rest through onnxruntime in batches
bounded by `SAHARA_INFERENCE_MAX_BATCH_ROWS` and `SAHARA_INFERENCE_MAX_BATCH_BYTES` (GPU provider first
where one is visible, CPU last), and charges API quotas with one `consumeMany`. **record_usage** then
meters every request that ran into the usage records that settlement pays out, at the prices of
`SAHARA_INFERENCE_PRICES_FILE` (default `inference/prices.yaml`), exactly once per request id.

Tasks run in the `gpu` pool (slots: `SAHARA_GPU_POOL_SLOTS`, created by `make airflow`) and on the `gpu`
queue (CeleryExecutor/KubernetesExecutor workers with a GPU listen there; LocalExecutor ignores queues).

**Params**: `chain`: only this chain; empty: every configured chain.

**When it fails**: a crash anywhere is safe: rerunning settles quota charges left pending from the chain
and repeats no request and no charge. *A license shows calls used by another meter*: reconcile that
charge by hand as the message says. *No model registered*: `sahara infer register`. Then clear the task.
"""

from airflow.sdk import dag, task
from sahara_common import APP_PYTHON, chain_param, dag_args, list_chains

GPU = {"pool": "gpu", "queue": "gpu"}


@dag(
    schedule="*/15 * * * *",
    params={"chain": chain_param("Run the requests of")},
    **dag_args(__doc__, ["inference", "gpu"]),
)
def inference_batches():
    @task.external_python(python=APP_PYTHON, expect_airflow=False, **GPU)
    def run_batches(network: str) -> dict:
        from sahara_dao.inference.runner import run_network

        return run_network(network)

    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def record_usage(ran: dict) -> dict:
        from sahara_dao.inference.runner import record_usage

        return record_usage(ran["network"])

    record_usage.expand(ran=run_batches.expand(network=list_chains()))


inference_batches()
