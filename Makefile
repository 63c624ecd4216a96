# Fingertip — the README's commands. `make demo` and `make test` work on a fresh machine with
# Python 3.11 and the distribution's package manager; everything else is installed from here.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
ENV    := source bin/env.sh &&
ENTITIES ?= 10000
SEED     ?= 20261123

.PHONY: help install fonts browser airflow-home store demo test bench bench-1m bench-cluster lock clean standalone lint dist mutation mutation-smoke cluster

help:
	@echo "make demo      install, set up Airflow and the store, run the pipeline end to end (outputs in out/)"
	@echo "make test      install and run the whole test suite"
	@echo "make bench     benchmarks (out/bench.json); make bench-1m adds the 1M-entity run"
	@echo "make bench-cluster  opt-in: the daily cycle on the Celery cluster vs airflow dags test (CLUSTER_BENCH_SIZES=2000,20000)"
	@echo "make standalone  the Airflow UI on the same project-local home"
	@echo "make mutation  mutation testing of the core modules (out/mutation.json, out/mutation-survivors.txt)"
	@echo "make lint      ruff (plugins, dags, dev, tests) and mypy (the runtime package)"
	@echo "make dist      build the fingertip wheel into dist/"
	@echo "make cluster   the pipeline on CeleryExecutor + PostgreSQL + Redis over REST, then the cluster fault tests"

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# The checkout as an editable install: Airflow finds the provider (connection forms, config
	@# section) and the plugin through their entry points, exactly as with the wheel.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . >/dev/null
	@rm -rf plugins/*.egg-info
	@touch $@

install: $(VENV)/.installed fonts browser

fonts:
	@bash scripts/install-cjk-font.sh

# Headless Chromium and its WebDriver from the distribution (the console's browser tests drive them
# with Selenium; Playwright's own browser download cannot work here). Installed only when missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing Debian's chromium and chromium-driver (console browser tests)"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

# Project-local Airflow home (.airflow/, git-ignored): SQLite metadata DB, migrated, settings loaded.
airflow-home: install
	@$(ENV) mkdir -p "$$AIRFLOW_HOME" && ./bin/airflow db migrate >"$$AIRFLOW_HOME/migrate.log" 2>&1 \
	  || { tail -n 30 "$$AIRFLOW_HOME/migrate.log"; exit 1; }
	@$(ENV) $(PY) -m fingertip_dev settings load airflow_settings.yaml

store: install
	@$(ENV) $(PY) -m fingertip store upgrade

# The tasks' "Fingertip output" links open the governance console on the same api-server (relative URL).
CONSOLE := export FINGERTIP_CONSOLE_URL="$${FINGERTIP_CONSOLE_URL:-/fingertip}" &&

demo: airflow-home store
	@$(ENV) $(CONSOLE) $(PY) -m fingertip_dev demo --entities $(ENTITIES) --seed $(SEED)

# Parallel: two pytest-xdist workers per core (TEST_WORKERS=0: a plain serial run), whole files per
# worker, longest files first (ordered in tests/conftest.py). Two per core because many tests wait
# (Airflow runs, servers starting, PostgreSQL): on 2 cores -n 4 took 380 s, -n 2 521 s, -n 6 402 s.
# compileall first: the hundreds of Python processes a run starts (Airflow forks, CLI commands, servers)
# read the project's bytecode instead of each compiling its sources again (PYTHONDONTWRITEBYTECODE=1 is
# common in CI and container images, and then no process writes the cache); __pycache__ is git-ignored.
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc) )))
test: install
	@$(ENV) $(PY) -m compileall -q plugins dev dags >/dev/null
	@$(ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not cluster"

# A real multi-process Airflow (docs/deploy.md): its own PostgreSQL databases and Redis DB, the wheel in
# out/cluster/venv, scheduler, dag-processor, triggerer, api-server and two Celery workers; the demo
# pipeline through the REST API; out/cluster/summary.json. Then the tests marked `cluster` (faults).
CLUSTER_ENTITIES ?= 2000
cluster: install
	@$(ENV) $(PY) -m fingertip_dev cluster --entities $(CLUSTER_ENTITIES)
	@$(ENV) $(PY) -m pytest -n 0 -m cluster tests/cluster

bench: install
	@$(ENV) $(PY) scripts/bench.py

bench-1m: install
	@$(ENV) $(PY) scripts/bench.py --with-1m

# Opt-in (about ten minutes at 2,000 entities): the daily cycle on the `make cluster` deployment against
# `airflow dags test`. CLUSTER_BENCH_SIZES: comma-separated entity counts (default the bench's 2,000).
bench-cluster: install
	@$(ENV) $(PY) scripts/bench.py --with-cluster --only "Celery cluster" $(if $(CLUSTER_BENCH_SIZES),--sizes $(CLUSTER_BENCH_SIZES))

# Mutation testing of the core modules (dev/fingertip_dev/mutation): every module must kill >= 85 %.
# MUTATION_JOBS: parallel mutants (default: one per core). mutation-smoke: one small module (CI).
mutation: install
	@$(ENV) $(PY) -m fingertip_dev.mutation --fail-under 85

mutation-smoke: install
	@$(ENV) $(PY) -m fingertip_dev.mutation --smoke --fail-under 85

standalone: airflow-home store
	@echo "Airflow UI on http://localhost:8080 — admin password: .airflow/simple_auth_manager_passwords.json.generated"
	@echo "Governance console: http://localhost:8080/fingertip/ (Plugins → 指尖治理)"
	$(CONSOLE) ./bin/airflow standalone

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check plugins dags dev tests scripts
	$(VENV)/bin/mypy

dist: $(VENV)/.installed
	rm -rf dist build plugins/*.egg-info
	$(PY) -m build --wheel --outdir dist . >dist.log 2>&1 || { tail -n 30 dist.log; exit 1; }
	@rm -rf build plugins/*.egg-info
	@rm -f dist.log
	@ls dist/*.whl

# Regenerate the exact lock from requirements.in in a scratch venv.
lock:
	rm -rf /tmp/fingertip-lock && $(PYTHON) -m venv /tmp/fingertip-lock
	/tmp/fingertip-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Exact lock of requirements.in for Python 3.11 (generated: make lock). Do not edit by hand."; \
	  /tmp/fingertip-lock/bin/pip freeze | grep -viE '^(pip|setuptools|wheel)==|^-e |^fingertip|^# Editable'; } > requirements.txt

clean:
	rm -rf .airflow data out .pytest_cache dist build
