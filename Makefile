# The two commands of the README. Each sets itself up from nothing: a venv, the package
# (durable-rules compiles from source, ~20 s), and for the tests a PostgreSQL server binary.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# durable-rules 2.0.28 calls PyEval_CallObject, which Python 3.13 removed; the define names the
# same call. CPPFLAGS, because its setup.py replaces CFLAGS. Harmless on 3.11 and 3.12.
DURABLE_CPPFLAGS := -DPyEval_CallObject=PyObject_CallObject

.PHONY: demo test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	CPPFLAGS="$(CPPFLAGS) $(DURABLE_CPPFLAGS)" $(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rrr demo

# lint and types first (quick, and a finding fails the run), then the wheel check, so that
# pytest's summary is the last thing printed
test: lint
	sh scripts/ensure-postgres.sh
	bash scripts/check-wheel.sh
	$(PY) -m pytest

# ruff and mypy as configured in pyproject.toml, both at zero findings
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_snapshot.py
