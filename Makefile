# Two commands for a new user: `make run` (the app with demo data at http://127.0.0.1:5000) and `make test`.
# The first interpreter that really runs and is 3.11 or newer (pyenv shims may name absent versions).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app caseapp
HOST ?= 127.0.0.1
PORT ?= 5000
# `make serve`: gunicorn worker processes (about one per core) and threads per process
WORKERS ?= 2
THREADS ?= 1

.PHONY: run test serve worker migrate demo bench bench-readme messages translations audit clean

# The Georgian catalogue is compiled here (never committed): before the app runs and before the tests.
KA_PO := caseapp/translations/ka/LC_MESSAGES/messages.po
KA_MO := $(KA_PO:.po=.mo)
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2
# Babel skips folders starting with _ by default; templates/_macros and _partials hold strings.
BABEL_IGNORE := --ignore-dirs '.*'

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "caseapp needs Python 3.11 or newer (python3.11 on the PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

$(KA_MO): $(KA_PO) | $(VENV)/.installed
	$(BIN)/pybabel compile -d caseapp/translations -l ka

translations: $(KA_MO)

migrate: $(VENV)/.installed translations
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) seed-demo --if-empty

# gunicorn, not `flask run`: Werkzeug's development server names its and Python's versions in every answer.
# The background-jobs worker runs beside it (large imports, full exports) and stops with it; a job it was
# running is run again at its next start.
run: demo
	@echo "caseapp is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@$(FLASK) jobs run-worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 1 --threads 4 --bind $(HOST):$(PORT) 'caseapp:create_app()'

# Production-style server (several workers; SQLite copes thanks to WAL + BEGIN IMMEDIATE). One per app server
# behind a reverse proxy: `make serve HOST=10.0.0.11 PORT=8000 WORKERS=4` (README: Several app servers).
# Several servers starting at once run `db upgrade` one at a time (a PostgreSQL advisory lock).
serve: migrate
	$(BIN)/gunicorn --workers $(WORKERS) --threads $(THREADS) --bind $(HOST):$(PORT) 'caseapp:create_app()'

# The background-jobs worker alone, for deployments: one per host, beside `make serve` (a systemd unit, say).
worker: migrate
	$(FLASK) jobs run-worker

# The architecture and the style are tested too: import contracts (pyproject.toml), lint, format.
test: $(VENV)/.installed-test translations
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# Security checks in a virtualenv of their own: pip-audit brings defusedxml, and openpyxl reads every
# workbook through defusedxml's pure-Python parser whenever it is installed (several times slower).
AUDIT_VENV ?= .venv-audit
$(AUDIT_VENV)/.installed:
	@test -n "$(PYTHON)" || { echo "caseapp needs Python 3.11 or newer (python3.11 on the PATH)"; exit 1; }
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install -q 'bandit>=1.8' 'pip-audit>=2.7'
	@touch $@

# bandit: no finding of medium or high severity in the app and its migrations; pip-audit: no known
# vulnerability in the installed packages (skipped, saying so, where its data cannot be reached).
audit: $(AUDIT_VENV)/.installed $(VENV)/.installed
	$(AUDIT_VENV)/bin/bandit -q -r caseapp migrations --severity-level medium
	$(AUDIT_VENV)/bin/python .ci/pip_audit.py $(BIN)/pip $(AUDIT_VENV)/bin/pip-audit

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

# The README's Speed section, rewritten from the outputs saved in bench/results/
# (`python -m bench report ... | tee bench/results/<name>.txt`).
bench-readme: $(VENV)/.installed
	$(BIN)/python -m bench.readme

# After adding or changing strings: extract them, add the new ones to the Georgian catalogue (empty, to be
# translated) and list what is left; `make test` fails until every entry is translated and not fuzzy.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) $(BABEL_IGNORE) --sort-by-file \
		-o caseapp/translations/messages.pot .
	$(BIN)/pybabel update -i caseapp/translations/messages.pot -d caseapp/translations -l ka \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m caseapp.language.catalog || true

clean:
	rm -rf $(VENV) $(AUDIT_VENV) build *.egg-info .pytest_cache .ruff_cache .import_linter_cache
