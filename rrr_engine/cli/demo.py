"""``rrr demo``: a synthetic bank end to end - core-banking database, nightly job, reports.

Creates a sample core-banking SQLite database with the ``rrr_corebank_sql`` generator (deposit
products, GL accounts, VND and FX accounts of individuals, companies and credit institutions,
margin deposits, overseas branches, an SBV payment account, balance-sheet FX rates), then runs
the nightly job over every calendar day from 1 August to 3 October 2025 through the corebank
plugin: September's and October's requirements are evaluated on their first days (October
under the amended ratios of Decision 2977), and September is closed against its holdings on
1 October. Prints where the reports are and a short summary. Everything goes under ``--out``;
the files it made last time are replaced, nothing else there is touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from rrr_engine.cli.progress import Progress
from rrr_engine.errors import PluginError
from rrr_engine.periods import days_between

__all__ = ["DEMO_END", "DEMO_START", "register", "run"]

DEMO_START, DEMO_END = dt.date(2025, 8, 1), dt.date(2025, 10, 3)
INSTITUTION = "DEMO"
INSTITUTIONS_YAML = f'- {{id: {INSTITUTION}, name: "Demo Commercial Bank", class: other_ci}}\n'


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="generate a sample bank, run the nightly job, write reports",
                       description="Generate a synthetic core-banking database, run the nightly "
                                   "job over two months and a few days, and write the reports.")
    p.add_argument("--accounts", type=int, default=3000, help="deposit accounts (default 3000)")
    p.add_argument("--out", type=Path, default=Path("out") / "demo",
                   help="output directory (default out/demo)")
    p.add_argument("--seed", type=int, default=20251001,
                   help="generator seed (same seed, same bank)")
    p.add_argument("--progress", action="store_true", help="progress bar even without a terminal")
    p.set_defaults(func=run)


def _corebank() -> Any:
    """The corebank adapter: installed, or from this source checkout's plugins/ folder."""
    try:
        import rrr_corebank_sql  # noqa: F401
    except ImportError:
        here = Path(__file__).resolve().parent.parent / "plugins" / "rrr_corebank_sql"
        if not (here / "rrr_corebank_sql").is_dir():
            raise PluginError("rrr demo needs the rrr_corebank_sql plugin: install it with "
                              "pip install -e plugins/rrr_corebank_sql") from None
        sys.path.insert(0, str(here))
    from rrr_corebank_sql import generate, plugin
    return generate, plugin


def run(args: argparse.Namespace) -> int:
    from rrr_engine.cli.common import default_rules
    from rrr_engine.cli.render import render_summary
    from rrr_engine.engine import Engine
    from rrr_engine.errors import InputError
    from rrr_engine.jobs.nightly import NightlyJob
    from rrr_engine.store.database import Storage

    if args.accounts < 1:
        raise InputError(f"--accounts {args.accounts}: expected at least 1")
    generate, plugin = _corebank()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for old in (out / "corebank.sqlite", out / "rrr.sqlite"):
        old.unlink(missing_ok=True)
    shutil.rmtree(out / "reports", ignore_errors=True)
    clock = time.monotonic()

    bank_url = f"sqlite:///{out / 'corebank.sqlite'}"
    print(f"generating a core bank of {args.accounts:,} accounts, {DEMO_START} to {DEMO_END} ...",
          flush=True)
    generate.generate_bank(bank_url, accounts=args.accounts, start=DEMO_START, end=DEMO_END,
                           seed=args.seed, institution_id=INSTITUTION)
    mapping = generate.write_mapping(out / "corebank_mapping.yaml")
    (out / "institutions.yaml").write_text(INSTITUTIONS_YAML, encoding="utf-8")
    sources = {"institutions": str(out / "institutions.yaml"), "corebank_url": bank_url,
               "corebank_mapping": str(mapping)}

    # the plugin is registered here rather than found by entry point, so a source checkout
    # without the plugin installed runs the same demo
    engine = Engine(default_rules(), plugins=[plugin], entry_points=False)
    dates = list(days_between(DEMO_START, DEMO_END))
    print(f"running rrr nightly for {len(dates)} dates ...", flush=True)
    with Storage.open(f"sqlite:///{out / 'rrr.sqlite'}") as storage:
        job = NightlyJob(engine, storage, sources, reports_dir=out / "reports")
        progress = Progress(len(dates), enabled=args.progress or args.console.terminal)
        try:
            summary = job.run(dates, command="rrr demo", on_day=lambda d: progress.step(str(d.day)))
        finally:
            progress.close()
        print(render_summary(summary, storage.url), end="")
        print(_explain(storage, out, time.monotonic() - clock))
    return 0


def _explain(storage: Any, out: Path, seconds: float) -> str:
    """The figures a first-time user looks for, and where the files are."""
    from rrr_engine.store.results import latest_for_period

    lines = ["", "What happened:"]
    with storage.transaction() as conn:
        for period, stage in (("2025-09", "requirement"), ("2025-10", "requirement"),
                              ("2025-09", "close")):
            for r in latest_for_period(conn, period, stage):
                p = r.presented

                def shown(values: dict[str, str]) -> str:
                    ordered = sorted(values.items(), key=lambda cv: (cv[0] != "VND", cv[0]))
                    return ", ".join(f"{c} {Decimal(v):,}" for c, v in ordered)

                figures = shown(p["required"])
                what = f"  {stage} {period} (rules {r.ruleset_version}): required {figures}"
                if stage == "close":
                    gaps = {c: Decimal(v) for c, v in p["shortfall"].items() if Decimal(v) > 0}
                    held = shown(p["held"])
                    verdict = ("SHORTFALL " + ", ".join(f"{c} {v:,}" for c, v in gaps.items())
                               if gaps else "compliant")
                    what = f"  close {period}: held {held} against required {figures}: {verdict}"
                lines.append(what)
    reports = out / "reports"
    lines += ["", f"Reports (CSV, XLSX, PNG): {reports}/2025-09 and {reports}/2025-10",
              f"Core-banking database: {out / 'corebank.sqlite'} (mapping: "
              f"{out / 'corebank_mapping.yaml'})",
              f"Results database: {out / 'rrr.sqlite'}",
              f"Done in {seconds:.1f} s."]
    return "\n".join(lines)
