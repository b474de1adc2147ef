# Newsroom CMS — developer entry points. `make run` and `make test` need only
# Python >= 3.11 and make; everything else is installed into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench bench-scale fuzz lint format check-migrations clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) cms seed-demo
	@echo "Serving the newsroom API on http://$(HOST):$(PORT)/ (docs: /api/v1/docs). Ctrl-C stops it."
	$(BIN)/gunicorn --worker-class gthread --workers 2 --threads 16 --bind $(HOST):$(PORT) wsgi:app

# Two processes: much of the suite waits on servers, subprocesses and the databases.
PYTEST_WORKERS ?= 2

test: lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

bench: $(VENV)/.installed
	$(BIN)/python -m tests.bench

# An archive-sized newsroom (100,000 stories, ~1M revisions, ~1M delivery events) bulk-loaded
# on scratch SQLite and PostgreSQL databases, 1,000 stories first; prints the build's phases
# and single-client p50/p95 through gunicorn per row (docs/testing.md, "Archive-scale
# benchmark"). BENCH_SCALE_ARGS, e.g. "--database postgresql --stories 20000".
bench-scale: $(VENV)/.installed
	$(BIN)/python -m tests.bench.scale $(BENCH_SCALE_ARGS)

# Schemathesis (--checks all) through gunicorn on a scratch PostgreSQL database, both OpenAPI
# documents, as a reporter, an editor, an admin and a partner; prints the totals and fails on
# any 5xx or undocumented answer. PostgreSQL: CMS_TEST_DATABASE_URL (default: the local server).
# FUZZ_ARGS, e.g. "--max-examples 200 --seed 1" (see python -m tests.fuzzing --help).
fuzz: $(VENV)/.installed
	$(BIN)/python -m tests.fuzzing $(FUZZ_ARGS)

# Style, the package layers (the import-linter contract in pyproject.toml) and types
# (mypy, configured in pyproject.toml too).
lint: $(VENV)/.installed
	$(BIN)/ruff check cms tests wsgi.py
	$(BIN)/ruff format --check cms tests wsgi.py
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff check --fix cms tests wsgi.py
	$(BIN)/ruff format cms tests wsgi.py

clean:
	rm -rf $(VENV) instance/cms.db instance/cms.db-wal instance/cms.db-shm
