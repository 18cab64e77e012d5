# The two commands: `make run` (set up and serve on SQLite, with a background worker) and
# `make test` (lint, then the whole suite on SQLite and, where a server answers, on
# PostgreSQL).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/incidentmap
PORT ?= 8000
# Two workers: the machines this runs on have two cores; each worker has its own database.
PYTEST_ARGS ?= -n 2

.PHONY: setup run test lint format test-sqlite test-postgres seed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# setuptools warns about editable installs at every build; the layout is deliberate.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

seed: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_gazetteer
	$(BIN)/python manage.py load_seed
	$(BIN)/python manage.py ensure_local_accounts

# The web server and a background worker (imports and other long jobs), stopped together.
run: seed
	$(BIN)/python -m config.run_local $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: setup
	@echo "== Test suite on SQLite"
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: setup
	@url="$${DATABASE_URL:-$(PG_URL)}"; \
	if $(BIN)/python -m tests.postgres_available "$$url"; then \
		echo "== Test suite on PostgreSQL"; \
		DATABASE_URL="$$url" $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else \
		echo "== PostgreSQL run SKIPPED: no server answered (see above); the suite ran on SQLite only."; \
	fi

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles .pytest_cache .ruff_cache
