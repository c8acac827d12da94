"""Benchmark: the mapping-compiled snapshot query against a hand-written GROUP BY.

It owns the evidence that compiling classification rules from YAML costs (almost) nothing:
for each size it generates a one-day synthetic bank, then in a fresh child process times
:func:`~rrr_corebank_sql.query.snapshot_day` and the SQL a DBA would write by hand for the
same rules (best of N each, interleaved, after one warm-up), checks both give the same
totals, and reports the ratio, the child's peak RSS and the tracemalloc peak inside
``snapshot_day``. Flat memory across sizes shows nothing grows with the accounts.

    python plugins/rrr_corebank_sql/benchmarks/bench_snapshot.py [--accounts 100000 1000000]
        [--postgres-url postgresql://user@host:port/db]   # its sample tables are replaced

It needs the adapter and the synthetic bank (:mod:`rrr_corebank_sample`) importable; ``make
bench`` runs it through ``benchmarks/bench_snapshot.py`` with a throwaway PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

__all__ = ["BASELINE_SQL", "main"]

DAY = dt.date(2025, 9, 30)

# What a DBA would write for the rules of sample_mapping.yaml: inner joins, text categories,
# GROUP BY ordinals. Excluded deposits get a NULL category, dropped after the query.
BASELINE_SQL = """
SELECT br.institution_id,
       CASE
         WHEN c.customer_type = 'domestic_ci' THEN NULL
         WHEN a.is_margin THEN NULL
         WHEN br.is_overseas THEN NULL
         WHEN a.currency_code <> 'VND' AND c.customer_type = 'overseas_ci' THEN 'fx_overseas_ci'
         WHEN a.currency_code = 'VND' AND (p.gl_account LIKE '4211%' OR p.gl_account LIKE '4214%')
           THEN 'vnd_short'
         WHEN a.currency_code <> 'VND' AND p.gl_account LIKE '4221%' THEN 'fx_short'
         WHEN a.currency_code = 'VND' AND a.original_term_months < 12 THEN 'vnd_short'
         WHEN a.currency_code = 'VND' THEN 'vnd_long'
         WHEN a.original_term_months < 12 THEN 'fx_short'
         ELSE 'fx_long'
       END AS category,
       a.currency_code,
       SUM(b.balance_minor)
FROM eod_balance b
JOIN deposit_account a ON a.account_id = b.account_id
JOIN customer c ON c.customer_id = a.customer_id
JOIN product p ON p.product_code = a.product_code
JOIN branch br ON br.branch_code = a.branch_code
WHERE b.business_date = :day
GROUP BY 1, 2, 3
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_snapshot.py")
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres-url", help="a scratch database; its sample tables are replaced")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", help="where SQLite files go (default: a temp dir, removed)")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "REPEAT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(args.measure[0], int(args.measure[1]))))
        return 0
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, SQLAlchemy {sa.__version__}, SQLite {_sqlite_version()}")
    print(f"{'backend':10} {'accounts':>9} {'generate':>9} {'snapshot':>9} {'baseline':>9} "
          f"{'ratio':>6} {'cpu ratio':>9} {'rss MiB':>8} {'py peak KiB':>11}")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        backends = [] if args.no_sqlite else [("sqlite", None)]
        if args.postgres_url:
            backends.append(("postgresql", args.postgres_url))
        for name, url in backends:
            for n in args.accounts:
                target = url or f"sqlite:///{Path(tmp) / f'bank-{n}.db'}"
                took = _generate(target, n, args.seed)
                r = _child(target, args.repeat)
                cpu = (f"{r['snapshot_cpu'] / r['baseline_cpu']:>9.2f}" if name == "sqlite"
                       else f"{'-':>9}")
                print(f"{name:10} {n:>9,} {took:>8.1f}s {r['snapshot']:>8.3f}s "
                      f"{r['baseline']:>8.3f}s {r['snapshot'] / r['baseline']:>6.2f} {cpu} "
                      f"{r['maxrss_kib'] / 1024:>8.1f} {r['tracemalloc_peak'] / 1024:>11.1f}",
                      flush=True)
                if url is None:
                    Path(target.removeprefix("sqlite:///")).unlink()
    print("times: best wall-clock of --repeat runs, interleaved; rss: peak resident memory of "
          "the measuring child (VmHWM); py peak: tracemalloc peak inside snapshot_day")
    return 0


def _sqlite_version() -> str:
    import sqlite3
    return sqlite3.sqlite_version


def _generate(url: str, n: int, seed: int) -> float:
    from rrr_corebank_sample.generate import generate_bank
    started = time.perf_counter()
    generate_bank(url, accounts=n, start=DAY, end=DAY, seed=seed)
    return time.perf_counter() - started


def _child(url: str, repeat: int) -> dict[str, float]:
    # A fresh process per size: its peak RSS is the snapshot's, not the generator's.
    out = subprocess.run([sys.executable, __file__,
                          "--measure", url, str(repeat)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure(url: str, repeat: int) -> dict[str, float]:
    from rrr_corebank_sample.generate import sample_mapping_path
    from rrr_corebank_sql.loader import load_mapping
    from rrr_corebank_sql.query import snapshot_day
    mapping = load_mapping(sample_mapping_path())
    baseline = sa.text(BASELINE_SQL).bindparams(sa.bindparam("day", type_=sa.Date()))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ours = snapshot_day(conn, mapping, DAY)  # warm-up: page cache, statement cache
        theirs = conn.execute(baseline, {"day": DAY}).all()
        _agree(ours, theirs, mapping.minor_units)
        best = dict.fromkeys(("snapshot", "baseline", "snapshot_cpu", "baseline_cpu"),
                             float("inf"))
        for _ in range(repeat):
            # CPU time too: SQLite runs in this process, and on a shared machine its CPU
            # time is steadier than wall time (PostgreSQL's work is in the server: wall only).
            w0, c0 = time.perf_counter(), time.process_time()
            snapshot_day(conn, mapping, DAY)
            w1, c1 = time.perf_counter(), time.process_time()
            conn.execute(baseline, {"day": DAY}).all()
            w2, c2 = time.perf_counter(), time.process_time()
            for key, wall, cpu in (("snapshot", w1 - w0, c1 - c0), ("baseline", w2 - w1, c2 - c1)):
                best[key] = min(best[key], wall)
                best[f"{key}_cpu"] = min(best[f"{key}_cpu"], cpu)
        tracemalloc.start()
        snapshot_day(conn, mapping, DAY)
        best["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    engine.dispose()
    best["maxrss_kib"] = _peak_rss_kib()
    return best


def _peak_rss_kib() -> float:
    """This process's own peak RSS. Not ``ru_maxrss``: Linux carries the parent's high-water
    mark across fork and exec into it, so a child would report the generator's memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _agree(ours: list[Any], theirs: Sequence[Any], minor_units: dict[str, int]) -> None:
    """Both queries must report the same totals, or the timing compares different work."""
    mine = {(r.institution_id, r.category, r.currency): r.amount for r in ours}
    hand: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for inst, category, currency, total in theirs:
        if category is not None:
            hand[(inst, category, currency)] += Decimal(total).scaleb(-minor_units[currency])
    if mine != dict(hand):
        raise SystemExit(f"snapshot and baseline disagree:\n{mine}\n{dict(hand)}")


if __name__ == "__main__":
    sys.exit(main())
