# genesys-flows: `make deploy` runs the main job, `make test` the tests. Each does its own set-up.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= gc-dev
# STATE=team: the state, the journal and the audit trail in this checkout's SeaweedFS bucket (.s3/);
# a PULUMI_BACKEND_URL already set (s3://…, real AWS S3) is used as it is instead.
STATE ?= local
# `make test` and `make test-fast` run pytest on PYTEST_WORKERS pytest-xdist workers (0: in this process); each worker has its
# own emulator process, temp folders and engine workspaces (free ports only, nothing shared).
PYTEST_WORKERS ?= 2
# pytest's report options: $(call REPORTS,name) -> .reports/name-junit.xml, .reports/name-durations.txt
REPORTS = --durations=30 --junitxml=.reports/$(1)-junit.xml --durations-file=.reports/$(1)-durations.txt

.PHONY: s3-stop deploy test test-fast venv tools lint typecheck pytest emulator emulator-stop bench clean

## deploy: `pulumi up --yes` the $(STACK) stack (default gc-dev: the Genesys Cloud sample set on this
## checkout's emulator, started or reused; a stack on a real org starts no emulator)
deploy: venv tools
	@if [ "$(STATE)" = team ] && [ -z "$${PULUMI_BACKEND_URL:-}" ]; then \
	  s3env=$$($(PY) -m provider.ops.s3_server start) && eval "$$s3env" && scripts/up $(STACK); \
	else scripts/up $(STACK); fi

## test: ruff, mypy and pytest (unit, contract, and end-to-end through the real Pulumi engine)
test: venv tools lint typecheck pytest

## test-fast: lint, types, import contracts and every test that needs neither the engine nor the pulumi CLI
## and is not `slow` (fuzzing, property runs, 429 storms, hung servers, kill -9: those run in `make test`)
## Both write .reports/ (gitignored): a JUnit file and every test's duration, slowest first.
test-fast: venv lint typecheck
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -m "not engine and not slow and not pulumi_cli and not tools" \
		$(call REPORTS,fast)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "[venv] installing requirements into $(VENV)"
	@$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements-dev.txt
	@# The venv's own setuptools builds the editable install (no isolated build env fetched from the
	@# index: seconds, and no network); a venv without setuptools >= 64 (Python 3.12+) falls back.
	@$(VENV)/bin/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e . 2>/dev/null || \
	  $(VENV)/bin/pip install --disable-pip-version-check -q --no-deps -e .
	@touch $@

tools:
	@scripts/install-pulumi >/dev/null
	@scripts/install-seaweedfs >/dev/null

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy provider emulator __main__.py

pytest: venv tools
	$(VENV)/bin/pytest -q -m own_process $(call REPORTS,test-own-process)
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not own_process" $(call REPORTS,test)

## emulator: run the emulator in the foreground on 127.0.0.1:8099
emulator: venv
	$(PY) -m emulator serve --host 127.0.0.1 --port 8099 --data .emulator/arch.db

bench: venv tools
	$(PY) bench/emulator_throughput.py
	$(PY) bench/precheck.py
	$(PY) bench/client.py
	$(PY) bench/pulumi_up.py
	$(PY) bench/pulumi_up.py --platform genesys-cloud
	$(PY) bench/client_genesys_cloud.py
	$(PY) bench/resilience.py
	$(PY) bench/linwait.py

## s3-stop: stop this checkout's S3 server (make deploy STATE=team starts it)
s3-stop: venv
	$(PY) -m provider.ops.s3_server stop

clean:
	rm -rf .pulumi .emulator .metrics .audit
