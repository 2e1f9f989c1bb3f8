# Custos — the two commands a newcomer runs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS := build/static/custos.css
# PostgreSQL for the second run of the suite (trust auth on loopback).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# One pytest-xdist worker per core; a test module stays on one worker, so a module's server starts once.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

.PHONY: help setup demo test test-sqlite test-postgres supply-chain supply-chain-local prod-check lint bench prerequisites postgres \
	debian-packages clean

help:
	@echo "make demo   set up, load synthetic data and serve on http://127.0.0.1:8000"
	@echo "make test   set up and run the whole suite on SQLite and on PostgreSQL"
	@echo "make lint   ruff, mypy (django-stubs), import-linter layering contracts"
	@echo "make supply-chain   lock file pinned and hashed, pip-audit (0 known vulnerabilities), bandit (0 high)"
	@echo "make prod-check     Django's deployment checks with the production settings"
	@echo "make bench  benchmarks (figures, not timed tests)"

$(STAMP): requirements.lock pyproject.toml
	@echo "==> Python environment ($(VENV)) from the hash-pinned lock file"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock 2> >(grep -v "is ignored: it is neither" >&2)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

node_modules/.installed-stamp: package.json package-lock.json
	@echo "==> GOV.UK Frontend (npm, locked)"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(ASSETS): node_modules/.installed-stamp custos/web/scss/custos.scss
	@echo "==> Compiling styles"
	@mkdir -p build/static
	npx --no-install sass --quiet --no-source-map --style=compressed --load-path=node_modules custos/web/scss/custos.scss $(ASSETS)

setup: $(STAMP) $(ASSETS)

demo: setup
	$(BIN)/custos init
	$(BIN)/custos guidance seed --publish
	$(BIN)/custos seed_demo --people 2000 --if-empty
	$(BIN)/custos retention_sweep --no-progress
	$(BIN)/custos demo_users
	$(BIN)/custos seed_sharing_demo
	$(BIN)/custos dpia --seed-risks
	$(BIN)/custos bcu_audit --all
	@echo "==> Serving Custos on http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(BIN)/custos runserver 127.0.0.1:8000

# Machine prerequisites (Debian packages): chromium for the browser tests, age to
# decrypt packages and backups as a recipient would, softhsm2 for the PKCS#11 key
# provider tests, the PostgreSQL client tools for backup and restore, pango for
# WeasyPrint (subject access responses as PDF), ripgrep for the copy scanner's benchmark.
DEBIAN_PACKAGES := chromium age softhsm2 postgresql-client libpango-1.0-0 libpangoft2-1.0-0 ripgrep
debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "==> Installing Debian packages:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || { echo "could not install$$missing: install these Debian packages (needs root)" >&2; exit 1; }; \
	fi

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "==> Starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2; }
	@pg_isready -h 127.0.0.1 -p 5432

prerequisites: debian-packages postgres

# The local supply-chain checks first (seconds): the lock file and bandit. pip-audit is not part of `make test`: it
# needs the vulnerability data of PyPI or OSV, which this build network does not serve (it fails closed there).
test: setup prerequisites
	@$(MAKE) --no-print-directory supply-chain-local
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: setup
	@echo "==> Test suite on SQLite"
	env -u CUSTOS_DATABASE_URL $(PYTEST) $(PYTEST_ARGS)

test-postgres: setup
	@echo "==> Test suite on PostgreSQL ($(TEST_POSTGRES_URL))"
	CUSTOS_DATABASE_URL=$(TEST_POSTGRES_URL) $(PYTEST) $(PYTEST_ARGS)

# Supply chain (issue 8): the lock file pins every package with == and sha256 hashes (.ci/check_lock.py); pip-audit
# finds no known vulnerability in it and fails closed when the vulnerability service does not answer
# (.ci/pip_audit_gate.py); bandit finds no high-severity issue in the shipped code ([tool.bandit] in pyproject.toml).
PIP_AUDIT_ARGS ?=
supply-chain-local: setup
	@echo "==> Lock file: every requirement pinned with == and hashed"
	$(BIN)/python .ci/check_lock.py requirements.lock
	@echo "==> bandit: high-severity issues in custos (tests and migrations excluded)"
	$(BIN)/bandit -c pyproject.toml -r custos --severity-level high --quiet && echo "bandit: 0 high-severity issues"

supply-chain: supply-chain-local
	@echo "==> pip-audit: known vulnerabilities in the locked versions"
	$(BIN)/python .ci/pip_audit_gate.py requirements.lock $(PIP_AUDIT_ARGS)

# Django's deployment checks (`custos check --deploy --fail-level WARNING`) with the production settings, in a fresh
# temporary data directory; any warning fails (.ci/prod-check).
prod-check: setup
	.ci/prod-check

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	CUSTOS_DATA_DIR=$$(mktemp -d) $(BIN)/custos makemigrations --check --dry-run

# The scale benchmark (issue 8): a synthetic register of this many people, 5 intelligence items each.
BENCH_SCALE_SQLITE ?= 100000
BENCH_SCALE_POSTGRES ?= 1000000
bench: setup
	$(BIN)/python bench/run.py
	BENCH_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/dlp.py
	BENCH_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python bench/sharing.py
	BENCH_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/python bench/tasks.py
	env -u BENCH_POSTGRES_URL -u CUSTOS_DATABASE_URL BENCH_SCALE_PEOPLE=$(BENCH_SCALE_SQLITE) $(BIN)/python bench/scale.py
	BENCH_POSTGRES_URL=$(TEST_POSTGRES_URL) BENCH_SCALE_PEOPLE=$(BENCH_SCALE_POSTGRES) $(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) node_modules build .mypy_cache .ruff_cache
