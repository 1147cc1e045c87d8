# Passaparola: `make run` sets everything up and serves the product; `make test` runs the suite.
# A fresh machine needs only Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Local commands run in development mode unless the environment says otherwise.
export DJANGO_DEBUG ?= true

.DEFAULT_GOAL := help
.PHONY: help install messages migrate seed setup run worker test soak lint format check bench clean

help:
	@echo "make run     set up everything (virtualenv, dependencies, database, demo data) and serve http://$(HOST):$(PORT)"
	@echo "make test    run the test suite (set DATABASE_URL/REDIS_URL to include PostgreSQL/Redis tests)"
	@echo "make soak    the resilience suite's long profile (tests/resilience, RESILIENCE_PROFILE=long)"
	@echo "make lint    ruff check and format check"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make clean   remove the virtualenv and local data (var/)"

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Passaparola needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

# Translations are compiled with Babel (pure Python), so no GNU gettext is needed to set up.
messages: install
	@$(BIN)/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v "^compiling" || true
	@test -f locale/it/LC_MESSAGES/django.mo || (echo "Italian catalogue failed to compile" && exit 1)

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

setup: messages seed

# Serves on the embedded default: SQLite, local-memory cache, and a real Celery worker with its
# beat scheduler on kombu's filesystem broker, so scheduled work runs on a laptop too.
run: setup
	@echo "Passaparola on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=WARNING & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	$(BIN)/celery -A config worker --beat --pool=solo --loglevel=INFO

test: messages
	$(BIN)/pytest $(PYTEST_ARGS)

# The resilience and security suite at full scale; `make test` runs its short profile.
soak: messages
	RESILIENCE_PROFILE=long REQUIRE_SERVICES=1 $(BIN)/pytest tests/resilience $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# Every bench/bench_*.py, one after the other; figures in bench/results/ (see docs/performance.md).
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles *.egg-info
	find . -name "*.mo" -path "./locale/*" -delete
