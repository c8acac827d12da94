# The two commands of the README. Each sets itself up from nothing: a venv, the package
# (durable-rules compiles from source, ~20 s), and for the tests a PostgreSQL server binary.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/rrr demo

test: $(STAMP)
	sh scripts/ensure-postgres.sh
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_snapshot.py
