"""Benchmark: one nightly snapshot over a synthetic bank, SQLite and a real PostgreSQL.

Run: ``make bench`` (or ``python benchmarks/bench_snapshot.py [--accounts N ...]``).
Starts a throwaway PostgreSQL server the way the test suite does (tests/pgcluster.py), then
runs ``rrr_corebank_sql.bench_snapshot`` against both backends: the adapter's set-based
snapshot against a hand-written single GROUP BY over the same tables, in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pgcluster  # noqa: E402  (the test suite's throwaway server, reused)

from rrr_corebank_sql import bench_snapshot  # noqa: E402


def main() -> None:
    args = sys.argv[1:] or ["--accounts", "100000", "1000000"]
    cluster = pgcluster.start()
    try:
        sys.argv = ["bench_snapshot", *args, "--postgres-url", cluster.url]
        bench_snapshot.main()
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
