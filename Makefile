# Raccolto: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
HOST ?= 127.0.0.1
WEB_CONCURRENCY ?= 2
FLASK := $(BIN)/flask --app app
# Parallel test workers (pytest-xdist); the machine has 2 cores.
TEST_WORKERS ?= 2
PO := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test test-sqlite test-postgres bench bench-scale setup translations extract-messages clean

setup: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO)

## Developers: after changing UI text, refresh the catalogues, then translate the new entries.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project Raccolto -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

## Set everything up, migrate, seed the demo on an empty database, serve web + worker.
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed
	@echo "Raccolto su http://$(HOST):$(PORT)  (Ctrl-C per fermare web e worker)"
	@$(FLASK) worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	  $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WEB_CONCURRENCY) --threads 4 \
	    --limit-request-line 0 --limit-request-field_size 16380 \
	    --access-logfile - "app.wsgi:app"

## The whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set.
test: setup
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	  else echo "*** TEST_DATABASE_URL not set: PostgreSQL run skipped (CI always sets it) ***"; fi

test-sqlite: setup
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n $(TEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

## Load and page-weight figures (not timed tests).
bench: setup
	$(BIN)/python -m benchmarks

## Page times at a network's size on PostgreSQL: SCALE=province (default, minutes), region or national.
## REUSE=1 measures again a database generated before; BENCH_SCALE_URL names the server.
SCALE ?= province
bench-scale: setup
	SCALE=$(SCALE) $(BIN)/python -m benchmarks.scale

clean:
	rm -rf $(VENV) .pytest_cache $(MO)
