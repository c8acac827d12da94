"""``rrr report``: write a maintenance period's reports again from the results database.

The nightly job writes reports itself; this command rewrites them from what is stored (the
latest result versions), e.g. into another folder, or after a run was stopped between a
date's commit and its reports.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .cmd_rules_review import add_lock_timeout_argument, open_store
from .errors import InputError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a period's reports from the results database",
                       description="Write the CSV, XLSX and PNG reports of one maintenance "
                                   "period from the results the nightly job stored.")
    p.add_argument("--period", required=True, help="maintenance period, e.g. 2025-09")
    p.add_argument("--db", help="results database URL (default: sqlite:///OUT/rrr.sqlite)")
    p.add_argument("--out", type=Path, default=Path("out"), help="output directory (default: out)")
    p.add_argument("--rules", type=Path, help="rule pack directory (default: the bundled vn-sbv)")
    add_lock_timeout_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .cmd_nightly import default_rules
    from .engine import Engine
    from .reports import write_period_reports
    from .storage import default_url

    engine = Engine(args.rules or default_rules())
    with open_store(args, url=args.db or default_url(args.out), read_only=True) as storage:
        written = write_period_reports(storage, engine, args.period, args.out / "reports")
    if not written:
        raise InputError(f"no stored results for maintenance period {args.period} in "
                         f"{storage.url}", field="--period")
    for path in written:
        print(path)
    return 0
