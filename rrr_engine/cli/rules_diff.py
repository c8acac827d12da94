"""``rrr rules diff OLD NEW [--db URL]``: what changed between two pack versions, rule by
rule, and with ``--db`` which stored institution-periods the new version would move, and by
how much. Nothing is written. Exit 0 (a difference is not a failure); 4 when some stored
results could not be evaluated with NEW (each listed, naming the institution) and the others
were compared; 2 for a pack that does not load, a database that cannot be read, or no stored
result that could be evaluated; 75 when the database is unreachable or locked.
"""

from __future__ import annotations

import argparse
import json
import sys

from rrr_engine.cli.common import add_lock_timeout_argument, open_store
from rrr_engine.exits import EXIT_OK, partial_or

__all__ = ["register", "run_diff"]


def register(cmds: argparse._SubParsersAction) -> None:
    p = cmds.add_parser("diff", help="what changed between two pack versions, and what moves",
                        description="Compare two versions of a pack rule by rule (ratio cells, "
                        "settings, statuses, citations, dates). With --db, re-evaluate every "
                        "stored institution-period with NEW from the stored snapshots and list "
                        "the figures that move, in total and by category and currency.")
    p.add_argument("old", help="the pack directory as it is (e.g. what produced the results)")
    p.add_argument("new", help="the amended pack directory")
    p.add_argument("--db", help="results database whose stored results to re-evaluate")
    p.add_argument("--institutions", help="institutions file, only for results stored before "
                   "their institution records were (schema version 1)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_lock_timeout_argument(p)
    p.set_defaults(func=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.diff import diff_packs
    from rrr_engine.engine import Engine
    from rrr_engine.rules.pack import load_pack

    old, new = load_pack(args.old), Engine(args.new)
    changes = diff_packs(old, new.pack)
    effect = None
    if args.db:
        from rrr_engine.jobs.impact import impact
        from rrr_engine.jobs.restored import read_known
        with open_store(args, url=args.db, read_only=True) as store:
            effect = impact(store, old, new, known=read_known(args.institutions, new))
    if args.format == "json":
        out = changes.to_dict()
        out["impact"] = None if effect is None else effect.to_dict()
        json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(changes.to_text())
        if effect is not None:
            sys.stdout.write(effect.to_text())
    if effect is None:
        return EXIT_OK
    for r in effect.not_evaluated:
        if r.failed is not None:
            print(f"rrr: error: {r.failed.line()}", file=sys.stderr)
    failed = len(effect.not_evaluated)
    return partial_or(EXIT_OK, computed=effect.evaluated - failed, failed=failed)
