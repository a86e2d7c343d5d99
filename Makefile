# One venv per checkout; every target installs it first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every distribution of `.[dev]` (the aws and local extras included) and of checkov's
# venv, pinned with its hashes for Linux CPython 3.11: `make install` and CI install
# exactly these. `make lock` regenerates them after pyproject.toml or requirements/*.in
# change (`make lock UPGRADE=1` also moves every pin to the newest release allowed).
LOCK := requirements/dev.lock
CHECKOV_LOCK := requirements/checkov.lock
CONSTRAINTS := requirements/constraints.txt

.PHONY: install lock install-check test check lint typecheck demo clean template infra-check browser security-check bench

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# The lock holds pip and setuptools too; the project goes in without resolving anything.
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	# orjson's wheels for the Lambda package (arm64) and for running it here in tests,
	# kept in .venv/wheels so tests and `tgpipe package` work offline afterwards.
	$(BIN)/tgpipe package --fetch-wheels
	touch $(STAMP)

# uv resolves for a target platform and Python without running them and writes hashes
# for every file of each pin; installed into .venv by this target only, pinned too.
UV_VERSION := uv==0.13.9
LOCK_FLAGS = --quiet --generate-hashes --python-version 3.11 --python-platform linux \
	--custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet '$(UV_VERSION)'
	$(BIN)/uv pip compile $(LOCK_FLAGS) pyproject.toml requirements/build.in --extra dev \
		-o $(LOCK)
	$(BIN)/uv pip compile $(LOCK_FLAGS) requirements/checkov.in -o $(CHECKOV_LOCK)
	# The same pins without hashes, for `pip install -c` of an extra (pip refuses a
	# constraints file with hashes when it installs a local directory).
	{ echo '# The pins of dev.lock without their hashes, for pip -c; written by make lock.'; \
		sed -n '/^[A-Za-z0-9]/s/ *\\$$//p' $(LOCK); } >$(CONSTRAINTS)

# Do the extras deliver what they promise? `.[aws]` and `.[local]` each into a fresh venv
# (the lock's versions): template and deploy without duckdb or pyarrow, then the demo.
install-check:
	PYTHON=$(PYTHON) .ci/install-check

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck infra-check browser security-check install-check
	$(BIN)/pytest

# Debian's Chromium for the dashboard's browser test (installed when missing).
browser:
	.ci/install-chromium

# The committed CloudFormation template, regenerated from infra/ (a test fails on drift).
template: install
	$(BIN)/tgpipe template -o infra/template.json

# checkov pins old boto3/packaging that clash with the dev tools, so it lives in a
# venv of its own inside .venv, installed from its own lock (requirements/checkov.in).
# It scans offline: no download, no mapping fetch.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

$(CHECKOV): $(CHECKOV_LOCK) | install
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --require-hashes -r $(CHECKOV_LOCK)
	touch $(CHECKOV)

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
