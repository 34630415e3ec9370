# Two commands for a newcomer: `make demo` and `make test`. Everything else installs itself:
# uv is bootstrapped into .tools/ when it is not on PATH, then `uv sync --frozen` builds .venv
# from the committed uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
# Byte-compile the virtualenv once at install: every dbt command, Dagster run and sensor tick imports
# thousands of modules, and where .pyc files are not written at import time (PYTHONDONTWRITEBYTECODE,
# read-only installs) each process would recompile them (about 4 s per dbt command here).
export UV_COMPILE_BYTECODE := 1

DBT_SPECS := dbt_project/target/dagster_specs.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)

.PHONY: install demo test lint format ui docs bench-ingest bench-dbt bench-ml bench-territory bench-assignment clean stop

install: $(VENV)/.installed $(DBT_SPECS)

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

# dbt manifest and the Dagster specs derived from it: prepared here, never when Dagster imports the code
$(DBT_SPECS): $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/python -m orchestration.dbt_prepare

demo: install  ## run the daily job end to end on the embedded warehouse and print a summary
	$(BIN)/salesops demo

test: install lint  ## lint, then the whole test suite against a real PostgreSQL
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

ui: install  ## Dagster webserver + daemon on http://127.0.0.1:3000
	$(BIN)/salesops ui

docs: install  ## dbt docs (models, columns, tests, KPI catalogue, exposures) on http://127.0.0.1:8080
	$(BIN)/salesops dbt docs generate
	$(BIN)/salesops dbt docs serve --host 127.0.0.1 --port 8080 --no-browser

bench-ingest: install
	$(BIN)/python -m benchmarks.ingest

bench-dbt: install
	$(BIN)/python -m benchmarks.dbt_build

bench-ml: install
	$(BIN)/python -m benchmarks.ml

bench-territory: install
	$(BIN)/python -m benchmarks.territory

bench-assignment: install
	$(BIN)/python -m benchmarks.assignment

stop:  ## stop the background warehouse and simulator of this checkout
	-$(BIN)/salesops simulator stop
	-$(BIN)/salesops warehouse stop

clean: stop
	rm -rf .data
