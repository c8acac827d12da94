"""Benchmark: one nightly snapshot over a synthetic bank, SQLite and a real PostgreSQL.

Run: ``make bench`` (or ``python benchmarks/bench_snapshot.py [--accounts N ...]``).
Starts a throwaway PostgreSQL server the way the test suite does (tests/pgcluster.py), then
runs the adapter's benchmark (plugins/rrr_corebank_sql/benchmarks/bench_snapshot.py) against
both backends: the adapter's set-based
snapshot against a hand-written single GROUP BY over the same tables, in the same run.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import pgcluster  # noqa: E402  (the test suite's throwaway server, reused)

BENCH = ROOT / "plugins" / "rrr_corebank_sql" / "benchmarks" / "bench_snapshot.py"


def main() -> None:
    args = sys.argv[1:] or ["--accounts", "100000", "1000000"]
    cluster = pgcluster.start()
    try:
        bench = runpy.run_path(str(BENCH))  # a script beside the adapter, not in its package
        bench["main"]([*args, "--postgres-url", cluster.url])
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
