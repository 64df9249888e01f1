# Trellis — the two commands: `make run` and `make test`.
# Works on a fresh clone with only Python ≥ 3.11 and make installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TRELLIS_HOST ?= 127.0.0.1
TRELLIS_PORT ?= 8000
TRELLIS_WORKERS ?= 2
export TRELLIS_HOST TRELLIS_PORT

.PHONY: run test test-pg lint typecheck check migrate clean help

help:
	@echo "make run      set up (first time) and start Trellis on http://$(TRELLIS_HOST):$(TRELLIS_PORT)"
	@echo "make test     set up (first time) and run the test suite on SQLite"
	@echo "make test-pg  run the test suite on PostgreSQL (TEST_DATABASE_URL=postgresql+psycopg://...)"
	@echo "make check    ruff + mypy"

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Trellis needs Python >= 3.11, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Stamps make re-runs instant and reinstall only when the dependencies change.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

migrate: $(VENV)/.installed
	$(BIN)/trellis instance init
	$(BIN)/alembic upgrade head

run: migrate
	exec $(BIN)/gunicorn --workers $(TRELLIS_WORKERS) --bind $(TRELLIS_HOST):$(TRELLIS_PORT) wsgi:app

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: $(VENV)/.installed-dev
	@test -n "$(TEST_DATABASE_URL)" || { echo "set TEST_DATABASE_URL=postgresql+psycopg://user@host:5432/db" >&2; exit 2; }
	TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

check: lint typecheck

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
