"""``rrr reevaluate``: a retroactive amendment over stored periods.

Re-evaluates every stored maintenance period from ``--from-period`` to ``--to-period`` with
``--rules`` from the stored snapshots (``--from``/``--to``, the old spellings, still work, with
a note: for the nightly job they are dates); a new result version only where figures change,
a restatement where the period was submitted. Every institution on its own: one the pack
cannot evaluate is listed and the others are stored. Exit 0 done; 4 some stored results could
not be evaluated, the others were; 2 bad input, none could be evaluated, or a pack production
mode refuses (nothing written); 75 the database unreachable or locked.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from pathlib import Path
from typing import Any

from rrr_engine.cli.common import add_db_argument, add_format_argument, open_store, output_format
from rrr_engine.cli.render import emit, write_csv_file
from rrr_engine.errors import InputError
from rrr_engine.exits import EXIT_OK, partial_or

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reevaluate", help="re-evaluate stored periods with an amended pack",
                       description="Evaluate stored periods again with the given pack, from the "
                       "stored snapshots and institution records: a new result version where "
                       "figures change (a restatement where the period was submitted).")
    add_db_argument(p)
    p.add_argument("--rules", type=Path, required=True, help="the (amended) rule pack directory")
    p.add_argument("--from-period", dest="first", metavar="PERIOD",
                   help="first maintenance period, e.g. 2025-06 (required; --from, the old "
                        "spelling, still works)")
    p.add_argument("--to-period", dest="last", metavar="PERIOD",
                   help="last maintenance period, e.g. 2025-10 (required; --to still works)")
    # the old spellings: a period here, a date for the nightly job, hence the new names
    p.add_argument("--from", dest="first_old", help=argparse.SUPPRESS)
    p.add_argument("--to", dest="last_old", help=argparse.SUPPRESS)
    p.add_argument("--by", default=None, help="who asks for it (default: your login name)")
    p.add_argument("--why", required=True, help="the reason, e.g. the amending decision")
    p.add_argument("--production", action="store_true",
                   help="refuse a pack that is not approved, whatever the database's setting")
    add_format_argument(p)
    p.add_argument("--csv", type=Path, metavar="FILE",
                   help="also write the restatement report of this run as CSV to this file")
    p.add_argument("--institutions", help="institutions file, only for results stored before "
                   "their institution records were (schema version 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rrr_engine.cli.common import logged_command
    from rrr_engine.cli.render import render_restatements
    from rrr_engine.engine import Engine
    from rrr_engine.governance.submissions import restatement_csv, restatement_rows
    from rrr_engine.jobs.reevaluate import reevaluate
    from rrr_engine.jobs.restored import read_known
    from rrr_engine.provenance import Provenance
    from rrr_engine.store import audit

    first_text = _period_option(args, "first", "--from-period", "--from")
    last_text = _period_option(args, "last", "--to-period", "--to")
    engine = Engine(args.rules)
    first, last = _period(engine, first_text, "--from-period"), _period(engine, last_text,
                                                                          "--to-period")
    if last.first < first.first:
        raise InputError(f"--to-period {last} is before --from-period {first}",
                         field="--to-period")
    with open_store(args) as store:
        done = reevaluate(store, engine, first, last, by=args.by or getpass.getuser(),
                          why=args.why, production=args.production,
                          command=logged_command(getattr(args, "argv", sys.argv[1:])),
                          known=read_known(args.institutions, engine))
        with store.transaction() as conn:
            seq, digest = audit.head(conn)  # what the restatement CSV was written under
    rows = [row for old, new in done.restated for row in restatement_rows(old, new)]
    text = [f"{i.stored.institution_id} {i.stored.maintenance_period} {i.stored.stage}: "
            f"v{i.stored.result_version} -> v{number}\n" for i, number in done.written]
    text.append(render_restatements(rows))
    text.append(f"reevaluate {first}..{last} with {engine.pack.id} {engine.pack.sha256[:12]}: "
                f"{len(done.written)} new result version(s), {done.unchanged} unchanged, "
                f"{len(done.restated)} restatement(s), {len(done.not_evaluated)} not evaluated\n")
    report_csv = restatement_csv(rows, Provenance.of(engine.pack, run_id=done.run_id,
                                                     approval=done.approval.state,
                                                     audit_head=f"{seq}:{digest}"))
    fmt = output_format(args)
    emit(fmt, text="".join(text), csv_body=report_csv, data={
        "from_period": str(first), "to_period": str(last), "ruleset_id": engine.pack.id,
        "ruleset_sha256": engine.pack.sha256, "run_id": done.run_id,
        "written": [{"institution_id": i.stored.institution_id,
                     "maintenance_period": i.stored.maintenance_period,
                     "stage": i.stored.stage, "old_version": i.stored.result_version,
                     "new_version": number} for i, number in done.written],
        "unchanged": done.unchanged,
        "restatements": [dataclasses.asdict(r) for r in rows],
        "not_evaluated": [" ".join(map(str, i.stored.key[:3])) for i in done.not_evaluated]})
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
        write_csv_file(args, fmt, report_csv)
    failed = len(done.not_evaluated)
    return partial_or(EXIT_OK, computed=len(done.written) + done.unchanged, failed=failed)


def _period_option(args: argparse.Namespace, dest: str, name: str, old: str) -> str:
    """The period given as ``name`` or, with a note, as its old spelling ``old``."""
    new_value, old_value = getattr(args, dest), getattr(args, f"{dest}_old")
    if new_value is not None and old_value is not None:
        raise InputError(f"{old} is the old spelling of {name}: give one of them", field=name)
    if old_value is not None:
        args.console.note(f"{old} is the old spelling of {name} (maintenance periods; "
                          f"{old} of rrr nightly is a date)")
        return str(old_value)
    if new_value is None:
        raise InputError(f"{name} is required: a maintenance period, e.g. 2025-09", field=name)
    return str(new_value)


def _period(engine: Any, text: str, name: str) -> Any:
    """The maintenance period ``text`` names; a bad one is an error naming the option."""
    try:
        return engine.periods(text)[0]
    except InputError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(str(problem), field=name) from None
