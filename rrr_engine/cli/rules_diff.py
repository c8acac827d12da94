"""``rrr rules diff OLD NEW [--db [URL]]``: what changed between two pack versions, rule by
rule, and with ``--db`` which stored institution-periods the new version would move, and by
how much (``--db`` alone: the default results database,
:func:`rrr_engine.cli.common.db_setting`). Nothing is written. Exit 0 (a difference is not a
failure); 4 when some stored results could not be evaluated with NEW (each listed, naming the
institution) and the others were compared; 2 for a pack that does not load, a database that
cannot be read, or no stored result that could be evaluated; 75 when the database is
unreachable or locked.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rrr_engine.cli.common import (
    add_format_argument,
    add_lock_timeout_argument,
    db_help,
    open_store,
    output_format,
)
from rrr_engine.cli.render import emit
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
    p.add_argument("--db", nargs="?", const="", default=None, metavar="URL",
                   help=db_help("re-evaluate the stored results of this database with NEW; "
                                 "--db alone: the default one"))
    p.add_argument("--institutions", help="institutions file, only for results stored before "
                   "their institution records were (schema version 1)")
    add_format_argument(p)
    add_lock_timeout_argument(p)
    p.set_defaults(func=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.diff import diff_packs
    from rrr_engine.engine import Engine
    from rrr_engine.rules.pack import load_pack

    old, new = load_pack(args.old), Engine(args.new)
    changes = diff_packs(old, new.pack)
    effect = None
    if args.db is not None:  # "" is --db without a URL: the default database
        from rrr_engine.jobs.impact import impact
        from rrr_engine.jobs.restored import read_known
        with open_store(args, read_only=True) as store:
            effect = impact(store, old, new, known=read_known(args.institutions, new))
    data = changes.to_dict()
    data["impact"] = None if effect is None else effect.to_dict()
    fmt = output_format(args)
    emit(fmt, text=changes.to_text() + ("" if effect is None else effect.to_text()), data=data,
         columns=_CSV_COLUMNS, rows=_csv_rows(data) if fmt == "csv" else ())
    if effect is None:
        return EXIT_OK
    for r in effect.not_evaluated:
        if r.failed is not None:
            print(f"rrr: error: {r.failed.line()}", file=sys.stderr)
    failed = len(effect.not_evaluated)
    return partial_or(EXIT_OK, computed=effect.evaluated - failed, failed=failed)


_CSV_COLUMNS = ("row", "section", "name", "kind", "field", "institution_id", "period", "stage",
                "category", "currency", "figure", "old", "new", "difference")


def _csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The changes (row ``change``, one per changed field) then, with --db, every figure that
    moves (row ``impact``), in one table."""
    from decimal import Decimal

    rows: list[dict[str, Any]] = []
    for c in data["changes"]:
        base = {"row": "change", "section": c["section"], "name": c["name"], "kind": c["kind"]}
        rows += [{**base, "field": d["field"], "old": d["old"], "new": d["new"]}
                 for d in c["details"]] or [base]
    for m in (data["impact"] or {}).get("moved", ()):
        base = {"row": "impact", "institution_id": m["institution_id"], "period": m["period"],
                "stage": m["stage"]}
        rows += [{**base, "category": f["category"], "currency": f["currency"],
                  "figure": f["figure"],
                  **{k: None if f[k] is None else Decimal(f[k])
                     for k in ("old", "new", "difference")}} for f in m["moves"]]
    return rows
