"""``rrr periods submit | status`` and ``rrr restatements``: locked periods and what restated
them.

Submitting marks the latest result versions of a period as reported to the central bank;
a later version of one of them is a restatement, listed by ``rrr restatements`` (``--format
text|json|csv``):
institution, period, stage, category, the figure as submitted and as it now stands, the
difference, both pack versions and the rules behind each line.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
from pathlib import Path
from typing import Any

from rrr_engine.cli.common import add_db_argument, add_format_argument, open_store, output_format
from rrr_engine.cli.render import emit, render_restatements, write_csv_file

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    periods = sub.add_parser("periods", help="submit periods to the central bank; see which are",
                             description="Locked periods: submitted results are never "
                             "superseded without a restatement.")
    cmds = periods.add_subparsers(dest="periods_command", required=True,
                                  parser_class=type(periods))
    p = cmds.add_parser("submit", help="mark a period's latest results as submitted",
                        description="Mark the latest result version of every institution for "
                        "the period as submitted to the central bank (both stages stored, or "
                        "--stage). A later version of a submitted result is a restatement.")
    add_db_argument(p)
    p.add_argument("--period", required=True, help="maintenance period, e.g. 2025-09")
    p.add_argument("--stage", choices=("requirement", "close"),
                   help="only this stage (default: every stage stored for the period)")
    p.add_argument("--by", default=None, help="who submitted (default: your login name)")
    p.add_argument("--reference", default="",
                   help="the submission's reference, e.g. a filing number")
    add_format_argument(p)
    p.set_defaults(func=run_submit)
    p = cmds.add_parser("status", help="which result versions were submitted, and when",
                        description="List the submitted result versions: period, stage, "
                        "institution, version, who submitted it, when, and the reference.")
    add_db_argument(p)
    p.add_argument("--period", help="only this maintenance period")
    add_format_argument(p)
    p.set_defaults(func=run_status)

    p = sub.add_parser("restatements", help="the restatement report: submitted figures that moved",
                       description="Every result version that supersedes a submitted one: each "
                       "figure as submitted and as it now stands, the difference, both pack "
                       "versions and the rules behind the line.")
    add_db_argument(p)
    p.add_argument("--period", help="only this maintenance period")
    add_format_argument(p)
    p.add_argument("--csv", type=Path, metavar="FILE",
                   help="also write the report as CSV to this file (what --format csv prints)")
    p.set_defaults(func=run_restatements)


_SUBMITTED = ("maintenance_period", "stage", "institution_id", "result_version", "submitted_by",
              "submitted_at", "reference")


def _submitted(s: Any, **extra: Any) -> dict[str, Any]:
    return {**extra, **{k: getattr(s, k) for k in _SUBMITTED}}


def run_submit(args: argparse.Namespace) -> int:
    from rrr_engine.governance.submissions import submit
    from rrr_engine.store.results import STAGES

    stages = (args.stage,) if args.stage else STAGES
    with open_store(args) as store, store.transaction() as conn:
        done, already = submit(conn, args.period, by=args.by or getpass.getuser(),
                               reference=args.reference, stages=stages)
    text = [f"submitted {s.institution_id} {s.maintenance_period} {s.stage} v{s.result_version} "
            f"by {s.submitted_by}" for s in done]
    text += [f"already submitted {s.institution_id} {s.maintenance_period} {s.stage} "
             f"v{s.result_version} (by {s.submitted_by} on {s.submitted_at})" for s in already]
    rows = ([_submitted(s, action="submitted") for s in done]
            + [_submitted(s, action="already submitted") for s in already])
    emit(output_format(args), text="".join(f"{line}\n" for line in text), data=rows,
         columns=("action", *_SUBMITTED), rows=rows)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from rrr_engine.governance.submissions import submissions

    with open_store(args, read_only=True) as store, store.transaction() as conn:
        found = submissions(conn, args.period)
    text = [f"{s.maintenance_period} {s.stage} {s.institution_id} v{s.result_version}: "
            f"submitted by {s.submitted_by} on {s.submitted_at}"
            + (f" ({s.reference})" if s.reference else "") for s in found]
    if not found:
        text.append("no result has been submitted" + (f" for {args.period}" if args.period else ""))
    rows = [_submitted(s) for s in found]
    emit(output_format(args), text="".join(f"{line}\n" for line in text), data=rows,
         columns=_SUBMITTED, rows=rows)
    return 0


def run_restatements(args: argparse.Namespace) -> int:
    from rrr_engine.governance.submissions import restatement_csv, restatement_rows, restatements
    from rrr_engine.provenance import Provenance
    from rrr_engine.store import audit

    with open_store(args, read_only=True) as store, store.transaction() as conn:
        rows = [row for old, new in restatements(conn, period=args.period)
                for row in restatement_rows(old, new)]
        seq, digest = audit.head(conn)
    # a query, not a run: no run id, and each row names its own packs
    text_csv = restatement_csv(rows, Provenance("", "", "", "", "", f"{seq}:{digest}"))
    fmt = output_format(args)
    none = "no restatement" + (f" for {args.period}" if args.period else "") + "\n"
    emit(fmt, text=render_restatements(rows) or none, csv_body=text_csv,
         data={"audit_head": f"{seq}:{digest}",
               "restatements": [dataclasses.asdict(r) for r in rows]})
    if args.csv:
        write_csv_file(args, fmt, text_csv)
    return 0
