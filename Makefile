# One venv per checkout; every target installs it first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test check lint typecheck demo clean template infra-check browser

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck infra-check browser
	$(BIN)/pytest

# Debian's Chromium for the dashboard's browser test (installed when missing).
browser:
	.ci/install-chromium

# The committed CloudFormation template, regenerated from infra/ (a test fails on drift).
template: install
	$(BIN)/tgpipe template -o infra/template.json

# checkov pins old boto3/packaging that clash with the dev tools, so it lives in a
# venv of its own inside .venv. It scans offline: no download, no mapping fetch.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_VERSION := checkov>=3.2,<4

$(CHECKOV): | install
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet '$(CHECKOV_VERSION)'

infra-check: install $(CHECKOV)
	$(BIN)/cfn-lint infra/template.json
	BC_SKIP_MAPPING=TRUE $(CHECKOV) --file infra/template.json --framework cloudformation \
		--skip-download --quiet --compact

# The whole pipeline on this machine: local stack, generated updates over HTTP, report.
demo: install
	$(BIN)/tgpipe demo

check: test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
