# fieldops developer commands. Only python3 (3.11+) is needed on the machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: demo browser test lint typecheck check bench-solomon bench-homberger bench-field bench-roster schemathesis clean

# The first install takes minutes: say what is happening, and let pip show its progress.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fieldops needs Python 3.11 or newer")'
	@echo "==> [1/3] creating the virtualenv $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] upgrading pip"
	$(PY) -m pip install --progress-bar on --upgrade pip
	@echo "==> [3/3] installing fieldops and its dependencies (a few minutes the first time)"
	$(PY) -m pip install --progress-bar on -e '.[dev]'
	@touch $(STAMP)
	@echo "==> installed; next runs skip this step"

demo: $(STAMP)
	@echo "==> solving the sample day (20 s), then writing demo-output/"
	$(VENV)/bin/fieldops demo --output-dir demo-output

# Debian's Chromium for the browser tests (report rendering); needs root, as in CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@chromium --version

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
