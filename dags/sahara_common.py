"""What every Sahara DAG shares: owner, retries with backoff, the app environment's Python, and the
failure callback that raises one alert in the app's database. Imported by the DAG files (Airflow puts
this folder on sys.path); never a DAG itself (.airflowignore). Cheap to import: no I/O at parse time."""

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pendulum

OWNER = "sahara-ops"
START = pendulum.datetime(2026, 1, 1, tz="UTC")  # the epoch origin (SAHARA_EPOCH_ORIGIN's default)
APP_PYTHON_VARIABLE = "sahara_app_python"
APP_PYTHON = "{{ sahara_app_python() }}"  # rendered when the task runs, never at parse time
PROJECT_DIR = Path(__file__).resolve().parent.parent


def sahara_app_python() -> str:
    """The app environment's interpreter: the Airflow Variable ``sahara_app_python``, else the
    environment variable ``SAHARA_APP_PYTHON``, else ``.venv/bin/python`` of this checkout."""
    from airflow.sdk import Variable

    configured = Variable.get(APP_PYTHON_VARIABLE, default=None) or os.environ.get("SAHARA_APP_PYTHON")
    return configured or str(PROJECT_DIR / ".venv" / "bin" / "python")


MACROS = {"sahara_app_python": sahara_app_python}


def record_failure(context) -> None:
    """A task failed for good (retries spent): record one alert for it in the app's database (and
    notify), keyed by DAG, task, map index and data interval so that nothing is raised twice."""
    ti, run = context["ti"], context.get("dag_run")
    interval = context.get("data_interval_start")
    occurrence = interval.isoformat() if interval is not None else getattr(run, "run_id", "")
    map_index = getattr(ti, "map_index", -1)
    where = f"{ti.dag_id}.{ti.task_id}" + (f"[{map_index}]" if map_index >= 0 else "")
    error = str(context.get("exception") or "see the task log")[:500]
    when = getattr(ti, "end_date", None) or pendulum.now("UTC")
    command = [
        sahara_app_python(), "-m", "sahara_dao.core.alerts",
        "--key", f"task-failed:{where}:{occurrence}", "--source", ti.dag_id,
        "--subject", f"{where} failed for {occurrence}",
        "--message", f"{error}. Open the task log in Airflow, fix the cause, then clear the task to rerun it "
                     "(every task is idempotent on its data interval).",
        "--raised-at", str(int(when.timestamp())),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:  # the callback must never hide the failure itself
        print(f"could not record the alert for {where}: {exc}")


def default_args(**overrides) -> dict:
    """Owner, retries with exponential backoff (``SAHARA_DAG_RETRIES``, default 3) and the alert."""
    return {
        "owner": OWNER,
        "retries": int(os.environ.get("SAHARA_DAG_RETRIES", "3")),
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": record_failure,
    } | overrides


def chain_param(what: str):
    """The `chain` Param of every DAG: restrict a manual run to one configured chain."""
    from airflow.sdk import Param

    return Param(None, type=["null", "string"], title="Chain",
                 description=f"{what} only this chain (ethereum, bsc, or a configured network); empty: every chain.")  # fmt: skip


def dag_args(doc: str, tags: list[str], **overrides) -> dict:
    """What every Sahara DAG passes to ``@dag``: start at the epoch origin, no catchup, one run at a
    time, the operator docs, owner and retries, the app-python macro."""
    return {"start_date": START, "catchup": False, "max_active_runs": 1, "tags": ["sahara", *tags], "doc_md": doc,
            "default_args": default_args(), "user_defined_macros": MACROS} | overrides  # fmt: skip


def _list_chains(only: str) -> list[str]:
    from sahara_dao.core.chain import pipeline_networks

    return pipeline_networks(only or None)


def list_chains():
    """The task that lists the chains a run maps over (the `chain` Param, else every configured one)."""
    from airflow.sdk import task

    return task.external_python(task_id="list_chains", python=APP_PYTHON, expect_airflow=False)(_list_chains)(
        "{{ params.chain or '' }}"
    )
