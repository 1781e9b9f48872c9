# Gratitude: `make run` serves the app with demo data and a worker; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Two install stamps: serving needs only the runtime dependencies, so `make run` on a fresh clone does not wait
# for the test and lint tools; every target that tests or lints installs `.[dev]` on top.
STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: setup run test lint typecheck check-deploy pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

setup: $(STAMP)  ## create .venv, install what serving needs, migrate the embedded database, load demo data once
	$(BIN)/gratitude migrate --noinput
	$(BIN)/gratitude demo_data

run: setup  ## serve at http://127.0.0.1:$(PORT) with a background worker; Ctrl-C stops both
	PORT=$(PORT) $(BIN)/python scripts/serve_dev.py

lint: $(DEV_STAMP)  ## ruff (lint and format check), and the app layers' import contract (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

check-deploy: $(STAMP)  ## Django's deployment checklist against production settings
	GRATITUDE_ENV=prod SECRET_KEY="$$(openssl rand -base64 48)" SITE_URL=https://gratitude.example \
	EMAIL_URL=smtp://127.0.0.1:25 CACHE_URL=redis://127.0.0.1:6379/1 DATABASE_URL=sqlite:///$$(mktemp -d)/deploy-check.sqlite3 \
	$(BIN)/gratitude check --deploy --fail-level WARNING

pytest: $(DEV_STAMP)
	bash scripts/run-tests.sh

test: lint typecheck check-deploy pytest  ## everything CI runs

# `make bench BENCH_SCRIPTS=pages_bench.py` runs one of them.
BENCH_SCRIPTS ?= run.py dkim_bench.py registry_bench.py thanks_bench.py webhook_bench.py pages_bench.py \
	post_office_bench.py
bench: $(DEV_STAMP)  ## figures in docs/benchmarks.md: sending path, DKIM, registry pages, Thank You List, store webhooks, pages under load, django-post-office
	@# Every benchmark runs even if an earlier one reports a missed budget; make fails at the end if any did.
	@status=0; \
	for script in $(BENCH_SCRIPTS); do \
	  echo "== bench/$$script"; $(BIN)/python bench/$$script || status=1; \
	done; exit $$status

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
