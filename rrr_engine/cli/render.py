"""Text the commands print that more than one command prints: a nightly run's summary
(``rrr nightly``, ``rrr demo``) and restatements (``rrr restatements``, ``rrr reevaluate``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["render_restatements", "render_summary"]


def _amount(text: str) -> str:
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def render_summary(summary: Any, db: str) -> str:
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



def _exact(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,f}"


def render_restatements(rows: list) -> str:
    """The restatement rows for a terminal, grouped by restated result."""
    out: list[str] = []
    head = None
    for r in rows:
        key = (r.institution_id, r.maintenance_period, r.stage, r.new_version)
        if key != head:
            head = key
            out.append(f"{r.institution_id} {r.maintenance_period} {r.stage}: v{r.new_version} "
                       f"restates submitted v{r.old_version} (pack {r.old_ruleset_sha256[:12]} "
                       f"{r.old_ruleset_version} -> {r.new_ruleset_sha256[:12]} "
                       f"{r.new_ruleset_version})")
        if r.old is None:
            out.append(f"  {r.figure}")
            continue
        rule = (r.new_rule if r.old_rule == r.new_rule
                else f"{r.old_rule or '-'} -> {r.new_rule or '-'}")
        sign = "+" if r.difference > 0 else ""
        out.append(f"  {r.category} {r.currency} {r.figure}: {_exact(r.old)} -> {_exact(r.new)} "
                   f"({sign}{_exact(r.difference)})" + (f"  rule {rule}" if rule else ""))
    return "\n".join(out) + ("\n" if out else "")

