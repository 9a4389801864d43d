# One command to run the server, one to run the tests. Both build .venv from pyproject.toml first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint schema bench bench-compare

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: migrate the embedded SQLite database, load the demo data, serve GraphiQL on $PORT (default 8000)
run: $(STAMP)
	$(BIN)/jiuzhu dev

## test: the whole suite (SQLite; JIUZHU_TEST_DB=postgres for PostgreSQL)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -m fuzz tests/fuzz

test-postgres: $(STAMP)
	JIUZHU_TEST_DB=postgres $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## schema: rewrite the committed SDL after a schema change
schema: $(STAMP)
	$(BIN)/jiuzhu export-schema schema.graphql

## bench: benchmarks (on demand; they print figures)
bench: $(STAMP)
	$(BIN)/python -m pytest tests/benchmarks -s -p no:cacheprovider -o addopts=""

## bench-compare: jiuzhu (jiuzhu serve, 2 workers) against a one-SQL floor on the large PostgreSQL set: req/s,
## p50/p95, server and PostgreSQL CPU per request, SQL per request (JIUZHU_BENCH_SCALE=0.1 for a quick run;
## BENCH_ARGS="--baseline --rounds 5 --seconds 10" adds the old uvicorn/h11 serving, more and longer rounds)
bench-compare: $(STAMP)
	$(BIN)/python -m tests.benchmarks.compare $(BENCH_ARGS)
