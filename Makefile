# One venv per checkout; every target installs it first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test check lint typecheck demo clean template infra-check browser security-check bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# orjson's wheels for the Lambda package (arm64) and for running it here in tests,
	# kept in .venv/wheels so tests and `tgpipe package` work offline afterwards.
	$(BIN)/tgpipe package --fetch-wheels
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck infra-check browser security-check
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

# bandit on the code that ships (config and reasons: [tool.bandit] in pyproject.toml), then
# pip-audit on the installed dependency closure; the audit only warns when PyPI's
# vulnerability data cannot be reached (offline, or a mirror without it).
SECURITY_SCAN := functions glue_schema local scripts infra benchmarks

security-check: install
	$(BIN)/bandit -q -c pyproject.toml -r $(SECURITY_SCAN)
	$(BIN)/python -m scripts.dependency_audit

# The whole pipeline on this machine: local stack, generated updates over HTTP, report.
demo: install
	$(BIN)/tgpipe demo

# Measured figures beside their baselines (benchmarks/results.json + a table); never part
# of `make test`. About 5 minutes on 2 cores; each benchmark also runs alone:
# .venv/bin/python -m benchmarks.NAME
bench: install
	$(BIN)/python -m benchmarks.run_all

check: test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
