#!/usr/bin/env bash
# `make airflow`: a local Airflow (standalone: scheduler, DAG processor, triggerer, API server) on SQLite
# under var/airflow, bound to 127.0.0.1, with this repository's dags/ and the project's pool and
# variables. Ctrl-C stops it. Production runs differently: see dags/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
AIRFLOW_PY=${AIRFLOW_PY:-.venv-airflow/bin/python}
APP_PY=${APP_PY:-.venv/bin/python}
PORT=${AIRFLOW_PORT:-8080}
export AIRFLOW_HOME="$PWD/var/airflow"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-4}  # one machine: a few task processes, not 32
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
export SAHARA_APP_PYTHON="$PWD/$APP_PY"
export PATH="$(cd "$(dirname "$AIRFLOW_PY")" && pwd):$PATH"  # standalone starts its parts as `airflow ...`
mkdir -p "$AIRFLOW_HOME"

"$AIRFLOW_PY" -m airflow db migrate >/dev/null
slots=$("$APP_PY" -c "from sahara_dao.core.settings import get_settings; print(get_settings().gpu_pool_slots)")
"$AIRFLOW_PY" -m airflow pools set gpu "$slots" "inference batches at once (SAHARA_GPU_POOL_SLOTS)" >/dev/null
"$AIRFLOW_PY" -m airflow variables set sahara_app_python "$SAHARA_APP_PYTHON" >/dev/null
echo "pool gpu: $slots slots; variable sahara_app_python=$SAHARA_APP_PYTHON; dags: $AIRFLOW__CORE__DAGS_FOLDER"

set -m  # standalone and everything it starts get their own process group (and take SIGINT)
"$AIRFLOW_PY" -m airflow standalone > "$AIRFLOW_HOME/standalone.log" 2>&1 &
pid=$!
set +m
stop() {
  trap - INT TERM EXIT
  kill -INT $pid 2>/dev/null || return 0  # standalone stops its parts on SIGINT
  for _ in $(seq 1 30); do kill -0 $pid 2>/dev/null || break; sleep 1; done
  kill -TERM -- -$pid 2>/dev/null && sleep 5  # whatever is left of its process group
  kill -KILL -- -$pid 2>/dev/null
  echo "airflow stopped"
}
trap stop INT TERM EXIT
passwords="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$PORT/api/v2/monitor/health" >/dev/null 2>&1 && [ -s "$passwords" ]; then
    echo "Airflow is up: http://127.0.0.1:$PORT"
    echo "login: admin / $("$AIRFLOW_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['admin'])" "$passwords")"
    echo "log: $AIRFLOW_HOME/standalone.log; Ctrl-C stops it"
    wait $pid
    exit $?
  fi
  kill -0 $pid 2>/dev/null || { tail -30 "$AIRFLOW_HOME/standalone.log"; exit 1; }
  sleep 1
done
echo "Airflow did not answer on 127.0.0.1:$PORT within 180 s; see $AIRFLOW_HOME/standalone.log"
exit 1
