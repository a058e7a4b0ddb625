# Plinth: every target sets itself up on a fresh machine (uv and the locked virtualenv).
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
# Use uv from PATH when present, else a private copy in .tools/ (pip-installed, pinned).
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
# Precompile at install: some machines set PYTHONDONTWRITEBYTECODE, and pulumi_aws is large,
# so without it every `plinth` run would recompile hundreds of modules.
export UV_COMPILE_BYTECODE := 1
VENV := .venv
STACK ?= dev
FORMAT ?= table

.PHONY: help setup debian-test-packages test-tools preview preview-tenant-stack audit test test-quick lint typecheck pytest bench schema docs clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --quiet
	@touch $@

setup: $(VENV)/.synced ## Create .venv with the locked dependencies

# The tests' independent IAM evaluator (Node), from its lock file.
IAM_SIMULATOR := tests/iam_simulate
$(IAM_SIMULATOR)/node_modules/.installed: $(IAM_SIMULATOR)/package-lock.json
	npm ci --prefix $(IAM_SIMULATOR) --no-audit --no-fund --silent
	@touch $@

# The real LiteLLM proxy the gateway tests run on loopback, in its own virtualenv (its rich
# pin conflicts with the project's), from its hash-locked requirements.
LITELLM := .tools/litellm
$(LITELLM)/.installed: tests/litellm/requirements.txt | $(UV)
	$(UV) venv --quiet --clear --python 3.11 $(LITELLM)
	$(UV) pip sync --quiet --python $(LITELLM)/bin/python tests/litellm/requirements.txt
	@touch $@

# The real Phoenix trace store the trace tests run on loopback, in its own virtualenv (a large
# tree the project does not need), from its hash-locked requirements.
PHOENIX := .tools/phoenix
$(PHOENIX)/.installed: tests/phoenix/requirements.txt | $(UV)
	$(UV) venv --quiet --clear --python 3.11 $(PHOENIX)
	$(UV) pip sync --quiet --python $(PHOENIX)/bin/python tests/phoenix/requirements.txt
	@touch $@

# The real MLflow tracking server the MLOps tests run on loopback, in its own virtualenv (a
# large tree the project does not need), from its hash-locked requirements.
MLFLOW := .tools/mlflow
$(MLFLOW)/.installed: tests/mlflow/requirements.txt | $(UV)
	$(UV) venv --quiet --clear --python 3.11 $(MLFLOW)
	$(UV) pip sync --quiet --python $(MLFLOW)/bin/python tests/mlflow/requirements.txt
	@touch $@

# checkov, the external scanner the tests run on `plinth export`, in its own virtualenv, from
# its hash-locked requirements.
CHECKOV := .tools/checkov
$(CHECKOV)/.installed: tests/checkov/requirements.txt | $(UV)
	$(UV) venv --quiet --clear --python 3.11 $(CHECKOV)
	$(UV) pip sync --quiet --python $(CHECKOV)/bin/python tests/checkov/requirements.txt
	@touch $@

# Debian's packages the tests run: PostgreSQL under the servers they start on loopback (its
# programs live in /usr/lib/postgresql/<major>/bin, where the tests look), Prometheus's
# promtool, which evaluates the alert rules and checks the collectors' configurations, and
# NGINX, which runs the model servers' metrics sidecar. Installed once, as root.
debian-test-packages:
	@missing=""; \
	{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="postgresql"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	{ command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } || missing="$$missing nginx-light"; \
	[ -z "$$missing" ] || { \
	  [ "$$(id -u)" = 0 ] || { echo "missing Debian packages:$$missing (run: sudo apt-get install$$missing)" >&2; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }

test-tools: setup debian-test-packages $(IAM_SIMULATOR)/node_modules/.installed $(LITELLM)/.installed $(PHOENIX)/.installed $(MLFLOW)/.installed $(CHECKOV)/.installed ## setup, and the tests' servers and evaluators: PostgreSQL, LiteLLM, Phoenix, MLflow, NGINX, promtool, IAM, checkov

preview: setup ## Offline preview of the dev stack (no Pulumi CLI, no credentials)
	@$(VENV)/bin/plinth preview --stack $(STACK) --format $(FORMAT)

preview-tenant-stack: setup ## Offline preview of dev-vision, a tenant stack on dev's outputs
	@mkdir -p .plinth
	@$(VENV)/bin/plinth preview --stack dev --save-outputs .plinth/dev-outputs.json --format json >/dev/null
	@$(VENV)/bin/plinth preview --stack dev-vision --stack-outputs .plinth/dev-outputs.json --format $(FORMAT)

audit: setup ## Offline policy audit of the dev stack under its compliance profiles
	@$(VENV)/bin/plinth audit --stack $(STACK) --format $(FORMAT)

schema: setup ## Regenerate the JSON Schemas of stack files and tenant files
	$(VENV)/bin/plinth schema > plinth.schema.json
	$(VENV)/bin/plinth schema --tenant > plinth.tenant.schema.json

docs: schema ## Regenerate the schemas and the rules and controls matrix in docs/policies.md
	$(VENV)/bin/python -m plinth.docs docs/policies.md

lint: setup ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup ## mypy (strict) on components/ and plinth/
	$(VENV)/bin/mypy

pytest: test-tools ## The test suite only, on every core (pytest-xdist; one worker per test file)
	$(VENV)/bin/pytest -n auto --dist loadfile

# `make test` lints and type-checks while the test tools install (mypy is single-threaded, the
# installs are mostly I/O and bytecode compilation), then runs the suite on every core.

test: ## Lint, type-check and run the tests
	@$(MAKE) --no-print-directory -j2 lint typecheck test-tools
	@$(MAKE) --no-print-directory pytest

test-quick: test-tools ## The tests without the e2e ones (Plinth in its own process, real servers)
	$(VENV)/bin/pytest -n auto --dist loadfile -m "not e2e"

bench: setup ## Every benchmark; writes the figures to docs/benchmarks.md (a fresh clone's make test too)
	$(VENV)/bin/python bench/write_page.py

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .tools .plinth .pytest_cache .mypy_cache .ruff_cache $(IAM_SIMULATOR)/node_modules
