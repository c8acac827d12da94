"""``rrr nightly``: snapshot business dates, evaluate and close months, write reports.

Exit codes (:mod:`rrr_engine.cli.main`): 0 done; 3 done, and a month closed by one of these dates
has a shortfall (the figures are stored and reported: the exit code is the alert for the
scheduler); 4 some institutions have an error entry (one line each on stderr, and in the run
manifest) while every other institution is stored, over 3; 2 bad input (one line on stderr;
dates before the failing one stay stored), or, in production mode, a rule pack that is not
approved (nothing written); 75 a source or the database unreachable or locked (retry later);
70 internal error. Warnings and notes are printed whether the run succeeds or fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from rrr_engine.cli.common import (
    add_db_argument,
    add_format_argument,
    add_lock_timeout_argument,
    add_source_arguments,
    date_argument,
    db_url,
    default_rules,
    logged_command,
    output_format,
    source_options,
)
from rrr_engine.cli.progress import Progress
from rrr_engine.cli.render import emit, render_summary
from rrr_engine.errors import InputError
from rrr_engine.jobs.nightly import DayOutcome, KillSwitch, NightlyJob, NightlySummary
from rrr_engine.periods import days_between
from rrr_engine.store.database import Storage

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nightly", help="snapshot business dates, evaluate and close months, write reports",
        description="Snapshot each date's category totals into the results database; on the "
                    "first run of a month evaluate its requirement and close the previous "
                    "month against its holdings. One institution's bad input never stops "
                    "the others: it gets an error entry, they are stored.")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=date_argument, metavar="DATE",
                      help="the business date, YYYY-MM-DD")
    when.add_argument("--from", dest="date_from", type=date_argument, metavar="DATE",
                      help="first business date of a backfill, YYYY-MM-DD (a date, not a "
                           "maintenance period)")
    p.add_argument("--to", dest="date_to", type=date_argument, metavar="DATE",
                   help="last business date of a backfill, YYYY-MM-DD (with --from)")
    add_db_argument(p, lock_timeout=False)
    p.add_argument("--out", type=Path, default=Path("out"),
                   help="the reports go to OUT/reports/PERIOD (default: out)")
    add_source_arguments(p)
    p.add_argument("--restate", action="store_true",
                   help="replace stored dates whose figures changed at the source")
    p.add_argument("--no-reports", action="store_true", help="store results but write no reports")
    p.add_argument("--production", action="store_true",
                   help="refuse a rule pack that is not approved (always so once the database "
                        "requires approval: rrr rules require-approval)")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when "
                   "stderr is not a terminal")
    add_format_argument(p)
    add_lock_timeout_argument(p)
    p.set_defaults(func=run)


def dates_of(args: argparse.Namespace) -> list[dt.date]:
    if args.date is not None:
        if args.date_to is not None:
            raise InputError("--to goes with --from, not with --date")
        return [args.date]
    if args.date_to is None:
        raise InputError("--from needs --to (the last date of the backfill)")
    if args.date_to < args.date_from:
        raise InputError(f"--to {args.date_to} is before --from {args.date_from}")
    return list(days_between(args.date_from, args.date_to))


def run(args: argparse.Namespace) -> int:
    from rrr_engine.engine import Engine

    dates = dates_of(args)
    rules = args.rules or default_rules()
    engine = Engine(rules)
    kill = KillSwitch.from_env()
    console = args.console
    job: NightlyJob | None = None
    try:
        with Storage.open(db_url(args), lock_timeout=args.lock_timeout) as storage:
            job = NightlyJob(engine, storage, source_options(args), restate=args.restate,
                             reports_dir=None if args.no_reports else args.out / "reports",
                             kill=kill, production=args.production)
            progress = Progress(len(dates), enabled=args.progress or console.terminal)

            def on_day(day: DayOutcome) -> None:
                # warnings and errors were logged as they arose; printed again at the end
                progress.step(str(day.day))
                for s in day.stages:
                    if s.skipped:
                        console.note(s.skipped)

            try:
                summary = job.run(dates,
                                  command=logged_command(getattr(args, "argv", sys.argv[1:])),
                                  on_day=on_day)
            finally:
                progress.close()
            fmt = output_format(args)
            emit(fmt, text=render_summary(summary, storage.url) if fmt == "text" else "",
                 data={**summary.as_dict(), "database": storage.url},
                 columns=_CSV_COLUMNS, rows=_csv_rows(summary) if fmt == "csv" else ())
    finally:
        # printed whether the run succeeded or not: each institution's error entry
        done = getattr(job, "summary", None)
        if console.mode != "json":  # json: each was a log record already
            for err in done.errors if done is not None else ():
                console.error(err.line())
    return summary.exit_code


_CSV_COLUMNS = ("date", "snapshot", "stage", "period", "institution_id", "result_version")


def _csv_rows(summary: NightlySummary) -> list[dict[str, object]]:
    """One row per stored result version, one per date that stored none."""
    rows: list[dict[str, object]] = []
    for day in summary.days:
        stored = [{"date": day.day, "snapshot": day.snapshot, "stage": s.stage,
                   "period": s.period, "institution_id": inst, "result_version": version}
                  for s in day.stages for inst, version in s.written]
        rows += stored or [{"date": day.day, "snapshot": day.snapshot}]
    return rows
