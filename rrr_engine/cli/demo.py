"""``rrr demo``: a synthetic bank end to end - a year of history in a core-banking database,
the nightly job, submissions, a back-dated correction, a what-if pack, reports.

Creates a sample core-banking SQLite database with the synthetic bank of
``rrr_corebank_sample`` (deposit products, GL accounts, VND and FX accounts of individuals,
companies and credit institutions, margin deposits, overseas branches, an SBV payment account,
balance-sheet FX rates) from 1 September 2024 to 3 October 2025, and reads it through the
``rrr_corebank_sql`` adapter:

1. the pack version in use is proposed and approved (maker-checker, in the audit log);
2. a backfill over September 2024 - August 2025 evaluates each month's requirement on its
   first day and closes the month before against its holdings (no reports);
3. the nightly runs of September 2025 - 3 October 2025 write the reports of 2025-09 and
   2025-10 (October under the amended ratios of Decision 2977);
4. the results of October 2024 - August 2025 are submitted, as the bank reported them;
5. a back-dated correction in the core bank (a deposit of 15 July 2025) is taken in with
   ``--restate``: the submitted requirement of 2025-08 is restated;
6. a what-if copy of the pack (``whatif-pack/``: the VND short-term ratio of other credit
   institutions 4% instead of 3%) is written for ``rrr rules diff`` and ``rrr reevaluate``.

Everything goes under ``--out`` (default ``out``); the results database is ``OUT/rrr.sqlite``,
with the default ``--out`` the very database every other command reads when no ``--db``,
``RRR_DB`` or configuration file names one. The files it made last time are replaced, nothing
else there is touched, and a results database the demo did not make is never replaced.
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
from rrr_engine.errors import InputError, PluginError
from rrr_engine.periods import days_between

__all__ = ["DEMO_END", "DEMO_START", "register", "run", "write_whatif_pack"]

DEMO_START, DEMO_END = dt.date(2024, 9, 1), dt.date(2025, 10, 3)
BACKFILL_END = dt.date(2025, 8, 31)  # the backfill; the nightly runs with reports follow
SUBMITTED = ("2024-10", "2025-08")  # first and last period submitted
CORRECTION_DAY = dt.date(2025, 7, 15)  # a deposit of that day corrected at the source
INSTITUTION = "DEMO"
INSTITUTIONS_YAML = f'- {{id: {INSTITUTION}, name: "Demo Commercial Bank", class: other_ci}}\n'
COMMAND = "rrr demo"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a sample bank's year: nightly runs, submissions, a "
                       "restatement, a what-if pack, reports",
                       description="Generate a synthetic core-banking database with a year of "
                       "history, run the nightly job over it, submit the periods, take in a "
                       "back-dated correction (a restatement), write a what-if pack and the "
                       "reports of the last two periods. The results database is OUT/rrr.sqlite: "
                       "with the default --out, the one every command reads by default.")
    p.add_argument("--accounts", type=int, default=1000, help="deposit accounts (default 1000)")
    p.add_argument("--out", type=Path, default=Path("out"),
                   help="output directory (default: out, so the results database is "
                        "sqlite:///out/rrr.sqlite, every command's default; $RRR_DB and "
                        "configuration files are not used: the demo replaces its database)")
    p.add_argument("--seed", type=int, default=20251001,
                   help="generator seed (same seed, same bank)")
    p.add_argument("--progress", action="store_true", help="progress bar even without a terminal")
    p.set_defaults(func=run)


def _corebank() -> Any:
    """The corebank adapter and the synthetic bank: installed (the rrr-engine wheel carries
    both), or from this source checkout's plugins/ folder."""
    try:
        import rrr_corebank_sample  # noqa: F401
        import rrr_corebank_sql  # noqa: F401
    except ImportError:
        here = Path(__file__).resolve().parents[2] / "plugins" / "rrr_corebank_sql"
        if not (here / "rrr_corebank_sql").is_dir():
            raise PluginError("rrr demo needs the rrr_corebank_sql plugin and its synthetic "
                              "bank (rrr_corebank_sample), which the rrr-engine wheel carries: "
                              "reinstall rrr-engine") from None
        sys.path[:0] = [str(here), str(here / "sample")]
    from rrr_corebank_sample import generate
    from rrr_corebank_sql import plugin
    return generate, plugin


def _replace_own(out: Path) -> None:
    """Remove what the demo made last time; refuse a results database it did not make."""
    from rrr_engine.store.database import Storage

    db = out / "rrr.sqlite"
    if db.is_file():
        with Storage.open(f"sqlite:///{db}", read_only=True) as old:
            runs = old.runs()
        if runs and not str(runs[0]["command"]).startswith(COMMAND):
            raise InputError(f"{db} holds results rrr demo did not make (its first run: "
                             f"{runs[0]['command']}); rrr demo replaces only its own: give "
                             "another --out", field="--out")
    for old_file in (out / "corebank.sqlite", db):
        old_file.unlink(missing_ok=True)
    for folder in (out / "reports", out / "whatif-pack"):
        shutil.rmtree(folder, ignore_errors=True)


def write_whatif_pack(pack_dir: Path, target: Path) -> Path:
    """A copy of the pack at ``pack_dir`` in ``target`` where every ratio cell of
    the sample bank's what-if (``rrr_corebank_sample.WHATIF``) reads the what-if ratio: a pack
    change to try ``rrr rules diff`` and ``rrr reevaluate`` on, labelled ``LABEL-whatif``. The
    ratios and header files are rewritten from their data (their comments go)."""
    import yaml

    from rrr_corebank_sample import WHATIF  # the sample bank's pack, the sample's what-if

    cls, category, was, now = WHATIF
    shutil.copytree(pack_dir, target, ignore=shutil.ignore_patterns("scenarios", "tests"))
    ratios = target / "ratios.yaml"
    data = yaml.safe_load(ratios.read_text(encoding="utf-8"))
    changed = 0
    for table in data.get("ratios") or ():
        for row in table.get("rows") or ():
            values = row.get("values") or {}
            if cls in (row.get("classes") or ()) and values.get(category) == was:
                values[category] = now
                changed += 1
    if not changed:  # the pack's shape changed: the demo must say so, not write a no-op
        raise PluginError(f"{ratios}: no {cls} {category} ratio of {was} to change for the "
                          "what-if pack")
    note = f"# What-if copy written by rrr demo: {cls} {category} {was} -> {now}\n"
    ratios.write_text(note + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    header = target / "pack.yaml"  # its own label, so that diffs and run logs tell them apart
    pack = yaml.safe_load(header.read_text(encoding="utf-8"))
    pack["pack"]["label"] = f"{pack['pack']['label']}-whatif"
    header.write_text(note + yaml.safe_dump(pack, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    return target


def run(args: argparse.Namespace) -> int:
    from rrr_engine.cli.common import default_rules
    from rrr_engine.cli.render import render_summary
    from rrr_engine.engine import Engine
    from rrr_engine.governance.approvals import approve, propose
    from rrr_engine.governance.submissions import submit
    from rrr_engine.jobs.nightly import NightlyJob
    from rrr_engine.periods import Month
    from rrr_engine.store.database import Storage

    if args.accounts < 1:
        raise InputError(f"--accounts {args.accounts}: expected at least 1")
    generate, plugin = _corebank()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    _replace_own(out)
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
    pack = engine.pack
    dates = list(days_between(DEMO_START, DEMO_END))
    print(f"running rrr nightly for {len(dates)} dates ...", flush=True)
    with Storage.open(f"sqlite:///{out / 'rrr.sqlite'}") as storage:
        with storage.transaction() as conn:
            propose(conn, pack, by="demo rule author", why="the pack the demo bank runs")
            approve(conn, pack.sha256, by="demo compliance officer", pack=pack,
                    why="reviewed against Decision 1158 and Decision 2977")
        progress = Progress(len(dates), enabled=args.progress or args.console.terminal)
        step = lambda d: progress.step(str(d.day))  # noqa: E731
        try:
            backfill = NightlyJob(engine, storage, sources).run(
                [d for d in dates if d <= BACKFILL_END], command=f"{COMMAND} (backfill)",
                on_day=step)
            summary = NightlyJob(engine, storage, sources, reports_dir=out / "reports").run(
                [d for d in dates if d > BACKFILL_END], command=COMMAND, on_day=step)
        finally:
            progress.close()
        # the reference names the pack's return, as a bank's submission record would
        form = next((f.code for f in engine.pack.header.forms), "return")
        with storage.transaction() as conn:
            month = Month.parse(SUBMITTED[0])
            while str(month) <= SUBMITTED[1]:
                submit(conn, str(month), by="demo compliance officer",
                       reference=f"{form} {month}")
                month = month + 1
        generate.correct_balance(bank_url, CORRECTION_DAY, institution_id=INSTITUTION)
        restated = NightlyJob(engine, storage, sources, restate=True).run(
            [CORRECTION_DAY], command=f"{COMMAND} (a correction of {CORRECTION_DAY})")
        print(render_summary(summary, storage.url), end="")
        whatif = write_whatif_pack(pack.path, out / "whatif-pack")
        print(_explain(storage, out, whatif, len(backfill.days) + len(summary.days),
                       len(restated.restated), time.monotonic() - clock,
                       engine.pack.header.domestic_currency))
    return 0


def _explain(storage: Any, out: Path, whatif: Path, days: int, restatements: int,
             seconds: float, domestic: str) -> str:
    """The figures a first-time user looks for, where the files are, and what to try."""
    from rrr_engine.store.results import latest_for_period

    lines = ["", f"What happened ({days} dates, {DEMO_START} to {DEMO_END}):"]
    with storage.transaction() as conn:
        for period, stage in (("2025-09", "requirement"), ("2025-10", "requirement"),
                              ("2025-09", "close")):
            for r in latest_for_period(conn, period, stage):
                p = r.presented

                def shown(values: dict[str, str]) -> str:
                    ordered = sorted(values.items(), key=lambda cv: (cv[0] != domestic, cv[0]))
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
    lines.append(f"  periods {SUBMITTED[0]} to {SUBMITTED[1]} submitted; a correction of "
                 f"{CORRECTION_DAY} at the source restated {restatements} submitted result(s)")
    reports = out / "reports"
    db = f"sqlite:///{out / 'rrr.sqlite'}"
    default = out.resolve() == Path("out").resolve()
    flag = "" if default else f" --db {db}"
    lines += ["", f"Reports (CSV, XLSX, PNG): {reports}/2025-09 and {reports}/2025-10",
              f"Core-banking database: {out / 'corebank.sqlite'} (mapping: "
              f"{out / 'corebank_mapping.yaml'})",
              f"Results database: {db}" + (" (every command's default)" if default else ""),
              "", "Try:",
              f"  rrr periods status{flag}",
              f"  rrr restatements{flag}",
              f"  rrr audit verify{flag}",
              f"  rrr rules status{flag}",
              f"  rrr rules diff {_bundled()} {whatif} --db{' ' + db if flag else ''}",
              f"  rrr reevaluate --rules {whatif} --from-period 2025-06 --to-period 2025-09 "
              f"--why \"what if\"{flag}",
              f"Done in {seconds:.1f} s."]
    return "\n".join(lines)


def _bundled() -> str:
    from rrr_engine.cli.common import default_rules
    return str(default_rules())
