# Rapport — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install static run test test-pg test-browser lint format bench clean

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

STATIC_SOURCES := $(wildcard src/rapport/web/frontend/*)
src/rapport/web/static/web/dist/.built: node_modules/.installed $(STATIC_SOURCES)
	npm run --silent build
	touch $@

install: $(BIN)/.installed src/rapport/web/static/web/dist/.built

static: src/rapport/web/static/web/dist/.built

run: install
	RAPPORT_DEMO_LOGIN=1 $(BIN)/rapport setup-demo
	RAPPORT_DEMO_LOGIN=1 $(BIN)/rapport serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/pytest -q -n $${PYTEST_WORKERS:-auto}

test-pg: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n $${PYTEST_WORKERS:-auto}

test-browser: install
	$(BIN)/pytest -q tests/browser -o addopts="-ra" -p no:cacheprovider

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install
	$(BIN)/python bench/run.py --scale $${SCALE:-medium}

clean:
	rm -rf $(VENV) node_modules src/rapport/web/static/web/dist var/static
