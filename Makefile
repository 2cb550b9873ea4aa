# Two commands for a new user: `make run` (the app with demo data at http://127.0.0.1:5000) and `make test`.
# The first interpreter that really runs and is 3.11 or newer (pyenv shims may name absent versions).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app caseapp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test serve migrate demo bench messages clean

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

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) seed-demo --if-empty

run: demo
	@echo "caseapp is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style server on the same database (several workers; SQLite copes thanks to WAL + BEGIN IMMEDIATE).
serve: migrate
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) 'caseapp:create_app()'

# The architecture and the style are tested too: import contracts (pyproject.toml), lint, format.
test: $(VENV)/.installed-test
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o caseapp/translations/messages.pot .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .import_linter_cache
