# Distribu: `make run` to try it, `make test` to check it. `make help` lists the rest.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The test suite's servers; the development machines and CI run all three on their default ports.
DISTRIBU_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432
DISTRIBU_TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672/
DISTRIBU_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export DISTRIBU_TEST_POSTGRES_URL DISTRIBU_TEST_BROKER_URL DISTRIBU_TEST_REDIS_URL

# What ruff and mypy check: the whole tree of Python packages (bench/ once it exists).
SOURCES := $(wildcard kit contracts services gateway deploy tests bench)

.DEFAULT_GOAL := help
.PHONY: help install lock run up lint test bench chromium clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(INSTALLED) ## create .venv and install Distribu with its dev tools at the versions in constraints.txt

$(INSTALLED): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

LOCK_VENV := .lock-venv

lock: ## re-resolve the newest versions pyproject.toml allows into constraints.txt (then make test before committing)
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf $(LOCK_VENV)

run: install ## embedded mode: everything in one process on http://127.0.0.1:8000, no servers needed
	$(BIN)/python -m deploy.embedded

up: install ## full mode: one process per service, the relays and the gateway, on local PostgreSQL/RabbitMQ/Redis
	$(BIN)/python -m deploy.local

lint: install ## ruff (lint and format), the import contracts (pyproject.toml), the tenancy rule, then mypy
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/lint-imports
	$(BIN)/python tests/lint_rules.py
	$(BIN)/mypy $(SOURCES)

chromium: ## make sure Chromium (browser tests) and pdftoppm (invoice snapshots) exist; installs them with apt when root
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
		else \
			echo "Missing:$$missing. Install them (e.g. sudo apt-get install$$missing) for the browser tests."; exit 1; \
		fi; \
	fi

# `make test` reports how long it took, lint included: the clock starts when make reads this file.
ifneq ($(filter test,$(MAKECMDGOALS)),)
TEST_STARTED := $(shell date +%s)
endif

test: install chromium lint ## lint, then the whole suite against PostgreSQL, RabbitMQ and Redis; prints how long it took
	@suite_started=$$(date +%s); status=0; \
	echo "$(BIN)/pytest"; $(BIN)/pytest || status=$$?; \
	now=$$(date +%s); suite=$$((now - suite_started)); total=$$((now - $(or $(TEST_STARTED),$$suite_started))); \
	printf 'make test took %dm%02ds (the suite %dm%02ds)\n' $$((total / 60)) $$((total % 60)) $$((suite / 60)) $$((suite % 60)); \
	exit $$status

bench: install ## every benchmark against the full topology on local PostgreSQL/RabbitMQ/Redis; prints figures side by side
	$(BIN)/python -m bench

clean: ## remove the virtualenv, embedded-mode data and caches
	rm -rf $(VENV) $(LOCK_VENV) .data .pytest_cache .mypy_cache .ruff_cache test-results build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
