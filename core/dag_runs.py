"""Run one of the project's DAGs once, from the app environment, through Airflow's own
``airflow dags test`` in the Airflow environment (used by ``make demo AIRFLOW=1``; the app never
imports Airflow). Airflow's home is ``<data_dir>/airflow`` (SQLite), its DAGs folder this checkout's
``dags/``, and the tasks call back into this interpreter."""

import os
import subprocess
import sys
from datetime import UTC, datetime

from sahara_dao.core.errors import SaharaError, ToolchainError
from sahara_dao.core.settings import get_settings


class DagRunError(SaharaError, RuntimeError):
    """A DAG run did not succeed."""


def airflow_env() -> dict[str, str]:
    settings = get_settings()
    home = settings.data_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    return os.environ | {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.project_dir / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "SAHARA_APP_PYTHON": sys.executable,
        "SAHARA_DAG_RETRIES": "0",  # one attempt: a failure shows at once, with its message
    }  # fmt: skip


def run_dag_test(dag_id: str, logical_date: int, conf: str | None = None, timeout: int = 900) -> str:
    """``airflow dags test DAG_ID LOGICAL_DATE`` (the data interval of such a run ends at its logical
    date, unix seconds here); returns its output, raises :class:`DagRunError` unless the run succeeded."""
    python = get_settings().project_dir / ".venv-airflow" / "bin" / "python"
    if not python.exists():
        raise ToolchainError(f"the Airflow environment is missing at {python}: run `make setup`")
    env = airflow_env()
    if not (get_settings().data_dir / "airflow" / "airflow.db").exists():
        subprocess.run([str(python), "-m", "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    stamp = datetime.fromtimestamp(logical_date, UTC).isoformat()
    command = [str(python), "-m", "airflow", "dags", "test", dag_id, stamp] + (["--conf", conf] if conf else [])
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    text = out.stdout + out.stderr
    finished = [line for line in text.splitlines() if "DagRun Finished" in line]
    if out.returncode != 0 or not finished or "state=success" not in finished[-1]:
        errors = [line for line in text.splitlines() if "Error" in line and "pendulum" not in line
                  and "PackageNotFoundError" not in line]  # fmt: skip
        raise DagRunError(f"`airflow dags test {dag_id} {stamp}` did not succeed; its errors:\n"
                          + "\n".join(errors[-12:] or text.splitlines()[-25:]))  # fmt: skip
    return text
