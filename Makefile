# speednet: the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: run worker test test-slow test-all lint bench plan-demo migrations clean

## The runtime only (requirements.txt): what `make run` and a production host need.
$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "speednet needs Python 3.11 (python3.11 or python3 on PATH, or PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## The runtime plus the test and lint tools (requirements-dev.txt).
$(DEV): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV)

## Start the web app on http://127.0.0.1:5000 (PORT overrides) with the demo event, and one
## job worker beside it (plans, re-plans, e-mail); Ctrl-C stops both.
run: $(STAMP)
	SPEEDNET_PUBLIC_URL=$${SPEEDNET_PUBLIC_URL:-http://127.0.0.1:$${PORT:-5000}} $(BIN)/python -m web.devserver

## A job worker alone (production: one or more per host; SPEEDNET_QUEUE_URL=redis://... to
## share the queue between hosts). THREADS=N runs N jobs at once in it.
worker: $(STAMP)
	$(BIN)/python -m web.jobs.worker $(if $(THREADS),--threads $(THREADS))

# The suites that need more than the fast suite's two minutes, or a system tool (CI runs them).
MARKED := slow or load or browser or postgres or redis
TIMED   = start=$$(date +%s); $(BIN)/python -m pytest -n auto $(1); rc=$$?; echo "$@: $$(($$(date +%s) - start)) s wall time"; exit $$rc

## The fast suite, on every core (pytest-xdist): everything but the marked suites below.
test: $(DEV)
	@$(call TIMED,-m "not ($(MARKED))")

## The marked suites: slow solver and process tests, check-in load, browser (Debian's Chromium), PostgreSQL, Redis; those whose tool is missing are skipped and say why.
test-slow: $(DEV)
	@$(call TIMED,-m "$(MARKED)")

## Both at once.
test-all: $(DEV)
	@$(call TIMED,)

## Lint (ruff), types (mypy: strict for scheduler/ and badges/) and the feature order (import-linter).
lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Plan the demo event on the terminal.
plan-demo: $(STAMP)
	$(BIN)/python -m scheduler plan data/events/demo.csv --rounds 8 --out out/demo-schedule.csv --report out/demo-report.json

## Benchmarks: print tables of figures (not part of the test suite).
bench: $(DEV)
	$(BIN)/python bench/bench_scheduler.py
	$(BIN)/python bench/bench_requests.py
	$(BIN)/python bench/bench_wishes.py
	$(BIN)/python bench/bench_replan.py
	$(BIN)/python bench/bench_badges.py
	$(BIN)/python bench/bench_checkin_load.py
	$(BIN)/python bench/bench_import_memory.py

## Rebuild web/migrations/versions/0001_initial.py from the models (see docs/architecture.md).
migrations: $(STAMP)
	$(BIN)/python -m web.manage_migrations

clean:
	rm -rf $(VENV) .pytest_cache out
