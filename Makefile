# 养老保险关系转移接续与定期清算系统 — developer commands.
#
#   make run               embedded demo: SQLite, eager Celery, demo data, http://127.0.0.1:8000
#   make test              full suite on throwaway PostgreSQL + Redis (+ headless Chromium)
#   make test PYTEST_ARGS="-k clearing -x"
#   make lint | make migrations-check | make bench (all benchmarks) | make bench-transfer
#   make bench-clearing | make bench-load
#   make prod-check         settings.prod + gunicorn + a Celery worker on throwaway PostgreSQL/Redis,
#                           `check --deploy`, then GET /health/ until 200

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# Debian packages the test services need (see scripts/test-services.sh).
SYSTEM_PACKAGES := postgresql redis-server chromium fonts-noto-cjk

.PHONY: run test lint migrations-check bench bench-transfer bench-clearing bench-load prod-check venv system-deps

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: system-deps venv
	bash scripts/test-services.sh $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

bench: system-deps venv
	bash scripts/test-services.sh $(PY) bench/import_registry.py
	bash scripts/test-services.sh $(PY) bench/transfer.py
	bash scripts/test-services.sh $(PY) bench/clearing.py
	bash scripts/test-services.sh $(PY) bench/load.py

bench-transfer: system-deps venv
	bash scripts/test-services.sh $(PY) bench/transfer.py

bench-clearing: system-deps venv
	bash scripts/test-services.sh $(PY) bench/clearing.py

bench-load: system-deps venv
	bash scripts/test-services.sh $(PY) bench/load.py

prod-check: system-deps venv
	PY=$(PY) bash scripts/prod-check.sh

# --- internal ------------------------------------------------------------------------------------

venv: $(STAMP)

# Reinstalls only when pyproject.toml changes (or the venv is missing).
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	@touch $@

system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	dpkg-query -W -f='$${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' \
		|| missing="$$missing fonts-noto-cjk"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then \
		echo "system-deps: missing:$$missing — installing $(SYSTEM_PACKAGES)"; \
		apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $(SYSTEM_PACKAGES); \
	else \
		echo "system-deps: missing:$$missing" >&2; \
		echo "system-deps: make test needs the Debian packages: $(SYSTEM_PACKAGES)" >&2; \
		echo "system-deps: install them as root:  sudo apt-get install -y $(SYSTEM_PACKAGES)" >&2; \
		exit 1; \
	fi
