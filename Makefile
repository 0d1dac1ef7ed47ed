# Guichet — the two commands: `make run` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADDR ?= 127.0.0.1:8000

.PHONY: run test lint pytest install install-test-tools bench clean messages production audit test-ahead

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make install-test-tools: what the tests run in the browser (axe-core, from package-lock.json; needs npm)
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

install-test-tools: $(AXE)

## make run: install, migrate, load the demo data, start the web server and the worker (Ctrl-C stops both)
run: install
	DEBUG=$${DEBUG:-1} $(BIN)/guichet migrate --noinput -v0
	DEBUG=$${DEBUG:-1} $(BIN)/guichet load_demo
	DEBUG=$${DEBUG:-1} $(BIN)/guichet serve $(ADDR)

## make production: the production shape on this machine (PostgreSQL, 2 gunicorn workers, 2 task workers, the
## mail receiver on port 2525) over plain HTTP on 127.0.0.1:8000; see docs/operations.md
production: install
	$(BIN)/guichet-production --plain-http --mail-port 2525

## make test: install, lint, run every test
test: install install-test-tools lint pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: install
	$(BIN)/pytest

## make test-ahead: every test again with the clock two years ahead, so that a test which reads the real
## calendar (a date written as if it were still to come) fails today, not on the day it goes off. The fault
## tests are left out: their worker processes keep the real time.
test-ahead: install install-test-tools
	GUICHET_TEST_DAYS_AHEAD=730 $(BIN)/pytest --deselect tests/faults

## make audit: known vulnerabilities of the installed packages (pip-audit; needs PyPI's vulnerability data).
## Not part of `make test`: its answer changes with new advisories. --strict: a package it could not check fails.
audit: install
	$(BIN)/pip-audit --strict --skip-editable --desc

## make bench: the benchmarks in bench/ (installs the peers they compare with)
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/businesstime.py

## make messages: gather the pages' strings into guichet/locale/*/django.po, then compile the .mo files
## (both are committed; needs GNU gettext: apt-get install gettext)
messages: install
	cd guichet && DEBUG=1 ../$(BIN)/django-admin makemessages -l fr --settings=guichet.settings --pythonpath=.. \
		--ignore "locale/*"
	cd guichet && DEBUG=1 ../$(BIN)/django-admin compilemessages -l fr --settings=guichet.settings --pythonpath=..

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
