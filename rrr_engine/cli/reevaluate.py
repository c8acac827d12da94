"""``rrr reevaluate``: a retroactive amendment over stored periods.

Re-evaluates every stored period from ``--from`` to ``--to`` with ``--rules`` from the stored
snapshots; a new result version only where figures change, a restatement where the period was
submitted. Every institution on its own: one the pack cannot evaluate is listed and the others
are stored. Exit 0 done; 4 some stored results could not be evaluated, the others were; 2 bad
input, none could be evaluated, or a pack production mode refuses (nothing written); 75 the
database unreachable or locked.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from rrr_engine.cli.common import add_db_argument, open_store
from rrr_engine.exits import EXIT_OK, partial_or

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reevaluate", help="re-evaluate stored periods with an amended pack",
                       description="Evaluate stored periods again with the given pack, from the "
                       "stored snapshots and institution records: a new result version where "
                       "figures change (a restatement where the period was submitted).")
    add_db_argument(p)
    p.add_argument("--rules", type=Path, required=True, help="the (amended) rule pack directory")
    p.add_argument("--from", dest="first", required=True,
                   help="first maintenance period, e.g. 2025-06")
    p.add_argument("--to", dest="last", required=True, help="last maintenance period, e.g. 2025-10")
    p.add_argument("--by", default=None, help="who asks for it (default: your login name)")
    p.add_argument("--why", required=True, help="the reason, e.g. the amending decision")
    p.add_argument("--production", action="store_true",
                   help="refuse a pack that is not approved, whatever the database's setting")
    p.add_argument("--csv", type=Path, help="write the restatement report of this run as CSV")
    p.add_argument("--institutions", help="institutions file, only for results stored before "
                   "their institution records were (schema version 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rrr_engine.cli.common import logged_command
    from rrr_engine.cli.render import render_restatements
    from rrr_engine.engine import Engine
    from rrr_engine.errors import InputError
    from rrr_engine.governance.submissions import restatement_csv, restatement_rows
    from rrr_engine.jobs.reevaluate import reevaluate
    from rrr_engine.jobs.restored import read_known
    from rrr_engine.provenance import Provenance
    from rrr_engine.safe_files import write_text
    from rrr_engine.store import audit

    engine = Engine(args.rules)
    first, last = engine.periods(args.first)[0], engine.periods(args.last)[0]
    if last.first < first.first:
        raise InputError(f"--to {last} is before --from {first}", field="--to")
    with open_store(args) as store:
        done = reevaluate(store, engine, first, last, by=args.by or getpass.getuser(),
                          why=args.why, production=args.production,
                          command=logged_command(getattr(args, "argv", sys.argv[1:])),
                          known=read_known(args.institutions, engine))
        with store.transaction() as conn:
            seq, digest = audit.head(conn)  # what the restatement CSV was written under
    for item, number in done.written:
        s = item.stored
        print(f"{s.institution_id} {s.maintenance_period} {s.stage}: v{s.result_version} -> "
              f"v{number}")
    rows = [row for old, new in done.restated for row in restatement_rows(old, new)]
    sys.stdout.write(render_restatements(rows))
    print(f"reevaluate {first}..{last} with {engine.pack.id} {engine.pack.sha256[:12]}: "
          f"{len(done.written)} new result version(s), {done.unchanged} unchanged, "
          f"{len(done.restated)} restatement(s), {len(done.not_evaluated)} not evaluated")
    for item in done.not_evaluated:
        if item.failed is not None:
            print(f"rrr: error: {item.failed.line()}", file=sys.stderr)
        else:
            print(f"rrr: note: {' '.join(map(str, item.stored.key[:3]))} not evaluated: "
                  f"{item.error}", file=sys.stderr)
    for note in done.notes:
        print(f"rrr: note: {note}", file=sys.stderr)
    if not done.approval.current:
        print(f"rrr: warning: {done.approval.detail} (demo mode ran it; production mode refuses "
              "it)", file=sys.stderr)
    if args.csv:
        text = restatement_csv(rows, Provenance.of(engine.pack, run_id=done.run_id,
                                                   approval=done.approval.state,
                                                   audit_head=f"{seq}:{digest}"))
        write_text(args.csv, text, bom=True)
        print(f"wrote {args.csv}")
    failed = len(done.not_evaluated)
    return partial_or(EXIT_OK, computed=len(done.written) + done.unchanged, failed=failed)
