# Casedesk: `make run` sets everything up and runs it; `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first interpreter that is Python 3.12 or newer.
PYTHON := $(shell for p in python3.14 python3.13 python3.12 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; \
	then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
# Settings for `make run`: a development server with the embedded defaults (SQLite, filesystem broker).
RUN_ENV := DEBUG=1
# Settings for tests: production-like (DEBUG off) with a throwaway key.
TEST_ENV := SECRET_KEY=test-only-not-secret

.PHONY: help python uv venv gettext messages compilemessages run migrate demo test lint fmt client ci clean screenshots

help:
	@echo "make run    set up (venv, migrate, demo data) and run web + worker + beat on 127.0.0.1:8000"
	@echo "make test   run the test suite (SQLite + embedded broker unless DATABASE_URL/CELERY_BROKER_URL are set)"
	@echo "make lint   ruff + mypy + import contracts (lint-imports)"
	@echo "make messages  collect the translatable strings into locale/{fr,es}/LC_MESSAGES/django.po (maintainers)"
	@echo "make client generate the typed Python client into clients/python/casedesk_client (SCHEMA_URL=... for a live server)"
	@echo "make screenshots   retake docs/screenshots/ (reports dashboard, analyst workspace; Chromium)"

python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Casedesk needs Python 3.12 or newer (python3.12, python3.13 or a python3 that is 3.12+)."; \
		echo "Install one (e.g. 'apt-get install python3.12', 'pyenv install 3.12', or 'uv python install 3.12')."; \
		exit 1; fi

# uv is installed with pip into the chosen interpreter when it is missing.
uv: python
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv || \
		$(PYTHON) -m pip install --quiet --user --break-system-packages uv

$(BIN)/python: pyproject.toml uv.lock | uv
	$(PYTHON) -m uv sync --locked --python $(PYTHON)
	@touch $(BIN)/python

venv: $(BIN)/python

# Translations: locale/<language>/LC_MESSAGES/django.po is the source (committed); the .mo files Django
# reads are compiled from it (git-ignored) by `make run`, `make test`, the image and CI, with Babel's
# compiler (a project dependency, so no system package is needed). Collecting strings (`make messages`,
# maintainers only) needs GNU gettext's xgettext: without it that target says which package to install.
LOCALES := fr es
PO_FILES := $(foreach locale,$(LOCALES),locale/$(locale)/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
# Where makemessages looks for strings: the application, not the tools, tests or installed packages.
MESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=benchmarks --ignore=scripts --ignore=clients --ignore=var

gettext:
	@command -v xgettext >/dev/null 2>&1 || { \
		echo "Collecting translatable strings needs GNU gettext's xgettext,"; \
		echo "which is missing: install the 'gettext' package (apt-get install gettext, dnf install gettext,"; \
		echo "brew install gettext), then run make again."; \
		exit 1; }

# Maintainers: after changing a translatable string, refresh the catalogues, translate every empty
# msgstr in both, and commit the .po files (tests/core/test_translations.py fails on a missing one).
messages: venv gettext
	$(TEST_ENV) $(BIN)/python manage.py makemessages $(foreach locale,$(LOCALES),-l $(locale)) $(MESSAGES_IGNORE) --no-obsolete

compilemessages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | venv
	$(BIN)/pybabel -q compile --domain django --directory locale --locale $* --statistics

migrate: venv compilemessages
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(RUN_ENV) $(BIN)/python manage.py demo_load

run: demo
	$(RUN_ENV) $(BIN)/python scripts/devserver.py

test: venv compilemessages
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# README's analyst workspace pictures, taken by the workspace's browser tests (an ordinary run takes none).
# The documentation's screenshots, drawn by the browser tests that take them (an ordinary run takes none,
# or keeps them under artifacts/).
screenshots: venv
	CASEDESK_SCREENSHOTS=docs/screenshots $(TEST_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/admin/test_workspace_browser.py tests/reports/test_dashboard_browser.py $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/mypy .
	$(BIN)/lint-imports

# The typed Python client (openapi-python-client, settings in clients/python/config.yml), generated
# from the code's schema, or from a running server's with SCHEMA_URL=http://127.0.0.1:8000/api/schema/.
# Built, not committed (git-ignored); tests/clients/ generate it from a live server in every test run.
CLIENT_DIR := clients/python/casedesk_client
client: venv
	@if [ -n "$(SCHEMA_URL)" ]; then source="--url $(SCHEMA_URL)"; else \
		mkdir -p var && $(TEST_ENV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/schema.yml && \
		source="--path var/schema.yml"; fi; \
	$(BIN)/openapi-python-client generate $$source --config clients/python/config.yml --meta none \
		--output-path $(CLIENT_DIR) --overwrite --fail-on-warning
	@echo "Generated $(CLIENT_DIR): PYTHONPATH=clients/python python -c 'import casedesk_client'"

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .grimp_cache .import_linter_cache
