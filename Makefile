# fieldops developer commands. Only python3 (3.11+) is needed on the machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck check bench-solomon bench-homberger bench-field bench-roster schemathesis clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fieldops needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/fieldops demo --output-dir demo-output

test: $(STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

$(VENV)/.bench-stamp: $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench-solomon: $(VENV)/.bench-stamp
	$(PY) -m benchmarks.solomon $(BENCH_ARGS)

bench-homberger: $(VENV)/.bench-stamp
	$(PY) -m benchmarks.homberger $(BENCH_ARGS)

bench-field: $(VENV)/.bench-stamp
	$(PY) -m benchmarks.field_days $(BENCH_ARGS)

bench-roster: $(VENV)/.bench-stamp
	$(PY) -m benchmarks.roster $(BENCH_ARGS)

schemathesis: $(STAMP)
	$(PY) -m pytest tests/api/test_schemathesis.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
