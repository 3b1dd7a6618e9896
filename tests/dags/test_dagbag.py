"""Every DAG file imports cleanly, fast, without touching the app environment, and reads well."""

import subprocess
import sys

from conftest import DAGS

DAG_IDS = {"chain_sync", "governance_autopilot", "inference_batches", "labeling_payouts", "royalty_settlement"}
MAX_PARSE_SECONDS = 0.5


def test_every_dag_file_imports_without_errors(dagbag):
    """One DAG per file, named after the file; no import errors."""
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS
    for dag_id in DAG_IDS:
        assert dagbag.dags[dag_id].fileloc == str(DAGS / f"{dag_id}.py")


def test_each_file_parses_fast_and_does_no_heavy_import(dagbag):
    """Under 0.5 s a file, and parsing never imports sahara_dao, Ape or web3 (they live in the app env)."""
    for stat in dagbag.dagbag_stats:
        assert stat.duration.total_seconds() < MAX_PARSE_SECONDS, stat
    probe = ("import sys, time; sys.path.insert(0, sys.argv[1]); "
             "from airflow.dag_processing.dagbag import DagBag; started = time.perf_counter(); "
             "bag = DagBag(sys.argv[1]); print(time.perf_counter() - started); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sahara_dao', 'ape', 'web3', 'sqlmodel'}))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", probe, str(DAGS)], capture_output=True, text=True, check=True)
    seconds, heavy = out.stdout.strip().splitlines()[-2:]
    assert heavy == "[]"
    assert float(seconds) < MAX_PARSE_SECONDS * len(DAG_IDS)


def test_dags_have_owner_tags_retries_docs_and_no_overlap(dagbag):
    """Owner and retries with backoff on every task, tags, operator docs, one run at a time."""
    for dag_id in DAG_IDS:
        dag = dagbag.dags[dag_id]
        assert dag.tags and "sahara" in dag.tags, dag_id
        assert dag.max_active_runs == 1, dag_id
        assert dag.doc_md and "When it fails" in dag.doc_md and "Params" in dag.doc_md, dag_id
        assert not dag.catchup, dag_id
        for task in dag.tasks:
            assert task.owner == "sahara-ops", (dag_id, task.task_id)
            assert task.retry_exponential_backoff and task.on_failure_callback, (dag_id, task.task_id)
        assert all(set(task.task_id) <= set("abcdefghijklmnopqrstuvwxyz_") for task in dag.tasks)


def test_retries_come_from_the_environment(dagbag):
    """The test session sets SAHARA_DAG_RETRIES=0; the default elsewhere is 3 retries."""
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import sahara_common; print(sahara_common.default_args()['retries'])"
    env_default = subprocess.run([sys.executable, "-c", probe, str(DAGS)], capture_output=True, text=True, check=True,
                                 env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert env_default.stdout.strip() == "3"
    assert all(task.retries == 0 for task in dagbag.dags["royalty_settlement"].tasks)


def test_royalty_settlement_runs_on_epoch_windows_mapped_over_chains(dagbag):
    """CronDataIntervalTimetable (the data interval is the epoch window), Params for one chain or a
    re-verification, and the stages in order, each mapped over the chains."""
    dag = dagbag.dags["royalty_settlement"]
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert set(dag.params) == {"chain", "reverify_epoch"}
    assert dag.params["chain"] is None and dag.params["reverify_epoch"] is None
    order = ["list_chains", "compute_epoch", "publish_root", "verify_root", "mark_settled"]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert downstream in dag.get_task(upstream).downstream_task_ids
    for task_id in order[1:]:
        assert type(dag.get_task(task_id)).__name__.endswith("MappedOperator"), task_id


def test_inference_runs_in_the_gpu_pool_and_queue(dagbag):
    task = dagbag.dags["inference_batches"].get_task("run_batches")
    assert task.pool == "gpu" and task.queue == "gpu"


def test_labeling_pays_the_day_of_its_data_interval(dagbag):
    dag = dagbag.dags["labeling_payouts"]
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert dag.timetable.expression == "0 0 * * *"
