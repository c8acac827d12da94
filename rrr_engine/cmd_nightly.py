"""``rrr nightly``: snapshot business dates, evaluate and close months, write reports.

Exit codes (:mod:`rrr_engine.cli`): 0 done; 3 done, and a month closed by one of these dates
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
from decimal import Decimal
from pathlib import Path
from typing import Any

from .bundled import bundled_pack
from .cmd_rules_review import add_lock_timeout_argument
from .errors import InputError
from .nightly import DayOutcome, KillSwitch, NightlyJob, NightlySummary
from .periods import days_between
from .progress import Progress
from .redact import mask_argv
from .storage import Storage, default_url

__all__ = ["default_rules", "logged_command", "register", "run", "source_options"]


def default_rules() -> Path:
    """The bundled Vietnam pack (installed with the package, or the checkout's rulesets/)."""
    return bundled_pack()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD") from None


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE, e.g. corebank_url=sqlite:///bank.db")
    return key.strip(), value.strip()


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """The source options shared by ``nightly`` and ``report``-like commands."""
    p.add_argument("--rules", type=Path, help="rule pack directory (default: the bundled vn-sbv)")
    p.add_argument("--institutions", help="institutions YAML or JSON (file plugin)")
    p.add_argument("--balances", help="balances CSV (file plugin)")
    p.add_argument("--fx-rates", help="FX rates CSV (file plugin)")
    p.add_argument("--holdings", help="central-bank holdings CSV (file plugin)")
    p.add_argument("--source", action="append", type=_pair, default=[], metavar="KEY=VALUE",
                   help="an option for host plugins, e.g. corebank_url=... (repeatable); a "
                        "value env:NAME or file:PATH is read from that variable or file")


def source_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = dict(args.source)
    for key in ("institutions", "balances", "fx_rates", "holdings"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    return options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nightly", help="snapshot business dates, evaluate and close months, write reports",
        description="Snapshot each date's category totals into the results database; on the "
                    "first run of a month evaluate its requirement and close the previous "
                    "month against its holdings. One institution's bad input never stops "
                    "the others: it gets an error entry, they are stored.")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=_date, help="the business date YYYY-MM-DD")
    when.add_argument("--from", dest="date_from", type=_date, help="first date of a backfill")
    p.add_argument("--to", dest="date_to", type=_date, help="last date of a backfill (with --from)")
    p.add_argument("--db", help="results database URL (default: sqlite:///OUT/rrr.sqlite)")
    p.add_argument("--out", type=Path, default=Path("out"), help="output directory (default: out)")
    add_source_arguments(p)
    p.add_argument("--restate", action="store_true",
                   help="replace stored dates whose figures changed at the source")
    p.add_argument("--no-reports", action="store_true", help="store results but write no reports")
    p.add_argument("--production", action="store_true",
                   help="refuse a rule pack that is not approved (always so once the database "
                        "requires approval: rrr rules require-approval)")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when "
                   "stderr is not a terminal")
    add_lock_timeout_argument(p)
    p.set_defaults(func=run)


def logged_command(argv: list[str]) -> str:
    """The command line for the run log, secrets hidden (:func:`rrr_engine.redact.mask_argv`)."""
    return " ".join(["rrr", *mask_argv(argv)])


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
    from .engine import Engine

    dates = dates_of(args)
    rules = args.rules or default_rules()
    engine = Engine(rules)
    kill = KillSwitch.from_env()
    console = args.console
    job: NightlyJob | None = None
    try:
        with Storage.open(args.db or default_url(args.out),
                          lock_timeout=args.lock_timeout) as storage:
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
            print(render_summary(summary, storage.url), end="")
    finally:
        # printed whether the run succeeded or not: each institution's error entry
        done = getattr(job, "summary", None)
        if console.mode != "json":  # json: each was a log record already
            for err in done.errors if done is not None else ():
                console.error(err.line())
    return summary.exit_code


def _amount(text: str) -> str:
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def render_summary(summary: NightlySummary, db: str) -> str:
    """What the job did, for a log or a terminal."""
    out = []
    for day in summary.days:
        stored = [f"{s.stage} {s.period}: " + ", ".join(f"{i} v{v}" for i, v in s.written)
                  for s in day.stages if s.written]
        if stored or day.snapshot in ("restated", "completed"):
            added = f" ({', '.join(day.completed)} added)" if day.completed else ""
            out.append(f"{day.day}  snapshot {day.snapshot}{added}; "
                       + ("; ".join(stored) or "no result changed"))
    d = summary.as_dict()
    span = (f" {summary.days[0].day}..{summary.days[-1].day}" if len(summary.days) > 1
            else f" {summary.days[0].day}" if summary.days else "")
    completed = f", {d['completed']} completed" if d["completed"] else ""
    out.append(f"nightly: {d['dates']} date(s){span}: {d['new']} new, {d['unchanged']} unchanged, "
               f"{d['restated']} restated{completed}; {d['results_written']} result version(s) "
               "stored")
    failed = sorted({e.institution_id for e in summary.errors})
    if failed:
        shown = ", ".join(i if i.isprintable() else repr(i) for i in failed[:10])
        out.append(f"FAILED {len(failed)} institution(s): {shown}"
                   f"{' ...' if len(failed) > 10 else ''} (error entries on stderr and in the "
                   "run log; the others are stored)")
    for r in summary.shortfalls:
        gaps = ", ".join(f"{ccy} {_amount(v)}" for ccy, v in r.presented["shortfall"].items()
                         if Decimal(v) > 0)
        out.append(f"SHORTFALL {r.institution_id} {r.maintenance_period}: {gaps} "
                   f"(close v{r.result_version}, stored by the run of {r.as_of})")
    for old, new in summary.restated:
        out.append(f"RESTATEMENT {new.institution_id} {new.maintenance_period} {new.stage}: "
                   f"v{new.result_version} supersedes submitted v{old.result_version} "
                   f"(rrr restatements --period {new.maintenance_period})")
    folders = sorted({str(p.parent) for p in summary.reports})
    if folders:
        out.append(f"reports: {', '.join(folders)}")
    out.append(f"database: {db}")
    return "\n".join(out) + "\n"
