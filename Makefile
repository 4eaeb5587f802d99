# pocflow: `make demo` runs an engagement on the bundled sample; `make test` runs the test suite.
# Every target installs what it needs first (idempotent; the second run is fast).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
POCFLOW := $(BIN)/pocflow
DEMO_REPORT := artifacts/demo-shop-report.md
PYTEST_ARGS ?=
# mysqlclient (the load generator's C client) has no Linux wheels: pip builds it against these.
BUILD_DEBS := libmariadb-dev pkg-config gcc

.PHONY: help setup venv build-deps lint stack-up stack-down stack-status demo airflow dags-test test test-faults unit integration bench lock clean

help:
	@echo "make demo         set up everything, run a whole engagement on the sample shop, print the recommendation and report"
	@echo "make test         set up everything, start the local stack, run unit and integration tests"
	@echo "make airflow      Airflow UI and API on :8080 with the DAGs, the local stack and airflow_settings.yaml"
	@echo "make test-faults  only the fault-injection tests (killed tablets, source, task, vtgate)"
	@echo "make lint         ruff (lint + format check) and mypy on plugins/pocflow"
	@echo "make bench        benchmarks (ratios against a baseline measured in the same run; QUICK=1, ONLY=name)"
	@echo "make setup        Python environment, Debian packages, Vitess binaries (cached by version)"
	@echo "make stack-up | stack-down | stack-status    the local source (MySQL 9.7; FLAVOR=mariadb for MariaDB 10.11) + Vitess stack"

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "pocflow needs Python 3.11, found " + sys.version.split()[0]'
	@echo "[pocflow] Python environment in $(VENV) ..."
	@pkg-config --exists libmariadb 2>/dev/null || $(MAKE) --no-print-directory build-deps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	@VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv pip install --quiet -r requirements.txt -r requirements-dev.txt
	@VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv pip install --quiet --no-deps -e .
	@touch $(STAMP)
	@echo "[pocflow] Python environment ready"

venv: $(STAMP)

build-deps:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "[pocflow] mysqlclient builds against Debian packages; install them with"; \
		echo "  sudo apt-get install -y --no-install-recommends $(BUILD_DEBS)"; exit 1; fi
	@echo "[pocflow] Installing the Debian packages mysqlclient builds against: $(BUILD_DEBS) ..."
	@DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
	@DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BUILD_DEBS) >/dev/null

setup: venv
	@$(POCFLOW) stack setup

stack-up: venv
	@$(POCFLOW) stack up $(if $(FLAVOR),--source-flavor $(FLAVOR))

stack-down: venv
	@$(POCFLOW) stack down

stack-status: venv
	@$(POCFLOW) stack status

demo: stack-up
	@$(POCFLOW) sample load --scale small
	@echo "[pocflow] running the engagement DAG (poc_engagement) on the sample: airflow dags test ..."
	@$(POCFLOW) dags-test --conf '{"engagement_file": "demo-shop.yaml"}' > .pocflow/logs/demo-dags-test.log 2>&1 \
		|| (tail -40 .pocflow/logs/demo-dags-test.log; exit 1)
	@grep -E " result: |DagRun Finished" .pocflow/logs/demo-dags-test.log | sed -E 's/.* ([a-z-]+) result: /  \1: /; s/.*DagRun Finished.*state=success.*/  poc_engagement: success/' | awk "!seen[\$$0]++"
	@mkdir -p artifacts && $(POCFLOW) show --engagement demo-shop.yaml > $(DEMO_REPORT)
	@sed -n '/^## opt-out-review/,$$p' $(DEMO_REPORT)
	@report=$$(ls -t artifacts/demo-shop/*/report.html | head -1); \
		$(POCFLOW) report-check "$$report" --screenshot artifacts/demo-shop-report.png; \
		echo; echo "Report: $$report (open it in a browser; screenshot artifacts/demo-shop-report.png)"; \
		echo "        every stage's summary: $(DEMO_REPORT); task logs: .pocflow/logs/demo-dags-test.log"
	@echo "The import keeps replicating; the nightly DAG re-validates it: make dags-test DAG=poc_nightly_validation"
	@echo "Stack: make stack-status / make stack-down."

airflow: stack-up
	@$(POCFLOW) airflow --port $(or $(PORT),8080)

dags-test: stack-up
	@$(POCFLOW) dags-test --dag $(or $(DAG),poc_engagement) --conf '$(or $(CONF),{})'

unit: venv
	@$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: venv
	@$(POCFLOW) stack up --second-source-flavor other
	@$(BIN)/pytest tests/integration $(PYTEST_ARGS)

# The tests cover both source flavours: the stack's source (MySQL unless chosen otherwise) and a
# second server of the other flavour.
test: venv
	@$(POCFLOW) stack up --second-source-flavor other
	@$(BIN)/pytest tests $(PYTEST_ARGS)

test-faults: stack-up
	@$(BIN)/pytest tests/integration/test_faults.py -s $(PYTEST_ARGS)

bench: stack-up
	@$(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

lock: venv
	$(BIN)/uv pip compile requirements.in -o requirements.txt --python-version 3.11
	$(BIN)/uv pip compile requirements-dev.in -o requirements-dev.txt --python-version 3.11

# ruff (lint rules and formatting) and mypy over the product code; CI runs it before the tests.
lint: venv
	@$(BIN)/ruff check plugins dags tests bench
	@$(BIN)/ruff format --check plugins dags tests bench
	@$(BIN)/mypy
	@echo "[pocflow] lint: ruff and mypy clean"

clean:
	rm -rf $(VENV) artifacts .pytest_cache
