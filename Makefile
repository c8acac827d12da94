# The two commands of the README. Each sets itself up from nothing: a venv, the package
# (durable-rules compiles from source, ~20 s), and for the tests a PostgreSQL server binary.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# durable-rules 2.0.28 calls PyEval_CallObject, which Python 3.13 removed; the define names the
# same call. CPPFLAGS, because its setup.py replaces CFLAGS. Harmless on 3.11 and 3.12.
DURABLE_CPPFLAGS := -DPyEval_CallObject=PyObject_CallObject

.PHONY: demo test bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	CPPFLAGS="$(CPPFLAGS) $(DURABLE_CPPFLAGS)" $(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rrr demo

# the wheel check first, so pytest's summary is the last thing printed
test: $(STAMP)
	sh scripts/ensure-postgres.sh
	bash scripts/check-wheel.sh
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_snapshot.py
