"""
### Chain sync: index every configured chain into the database, every 5 minutes

One mapped task per chain (`SAHARA_PIPELINE_NETWORKS`, default the local ethereum and bsc chains) runs the
chain indexer (`sahara index`): every event of the deployed contracts is stored once, with the tables
derived from it (assets, licenses, roots, claims, governance records). A run resumes at each contract's
checkpoint, rereads the last `SAHARA_INDEXER_REORG_WINDOW` blocks and replaces what a reorg changed, so
overlapping or repeated runs store nothing twice. Settlement reads what this DAG indexes.

**Params**: `chain`: index only this chain (`ethereum`, `bsc` or a configured network choice); empty: all.

**When it fails**: the log says why. *No node answers*: start the node or fix `SAHARA_RPC_URIS`.
*No deployment recorded*: deploy first (`sahara deploy --network ...`) or point `SAHARA_DATA_DIR` at the
records. *The chain was reset*: rebuild its index with `sahara index --network ... --rebuild`. Then clear
the task; the next run catches up anyway.
"""

from airflow.sdk import dag, task
from sahara_common import APP_PYTHON, chain_param, dag_args, default_args, list_chains


@dag(
    schedule="*/5 * * * *",
    params={"chain": chain_param("Index")},
    **dag_args(__doc__, ["chains", "indexer"], default_args=default_args(retries=1)),  # the next run, 5 minutes later, retries anyway
)
def chain_sync():
    @task.external_python(python=APP_PYTHON, expect_airflow=False)
    def index_chain(network: str) -> dict:
        from sahara_dao.core.indexer import sync_network

        return sync_network(network)

    index_chain.expand(network=list_chains())


chain_sync()
