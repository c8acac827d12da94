"""Findings that are not figures: filled days and working-day deadlines.

Deadlines need the pack's holiday calendar; a date outside the years it covers is still
computed (weekends only) but flagged, because Tết moves and a guessed deadline is a risk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import Institution
from .periods import Month
from .rulesets import RulePack

__all__ = ["deadline_findings", "filled_finding"]

_DAYS_SHOWN = 10


def filled_finding(what: str, days: tuple[dt.date, ...]) -> dict[str, Any]:
    """A finding listing the days whose balances were carried forward."""
    shown = ", ".join(str(d) for d in days[:_DAYS_SHOWN])
    more = f" and {len(days) - _DAYS_SHOWN} more" if len(days) > _DAYS_SHOWN else ""
    return {"code": "filled_days", "source": what, "count": len(days),
            "dates": [str(d) for d in days],
            "message": f"{len(days)} day(s) of {what} carried forward from the previous day: "
                       f"{shown}{more}"}


def _due(pack: RulePack, code: str, start: dt.date, n: int, *, after: bool, text: str) -> dict:
    cal = pack.calendar
    day = cal.nth_working_day_after(start, n) if after else cal.nth_working_day_from(start, n)
    finding = {"code": code, "due": str(day), "message": f"{text} due by {day}"}
    if not (cal.covers(start) and cal.covers(day)):
        finding["warning"] = (f"the pack's holiday calendar does not cover {day.year}: "
                              "weekends only were skipped")
    return finding


def deadline_findings(pack: RulePack, inst: Institution, month: Month) -> list[dict[str, Any]]:
    """DTBB001 due date for the month, and the operations notice for a new institution."""
    out = []
    zero_class = all(
        all(v == 0 for v in row.values.values())
        for table in pack.in_force(month)["ratios"] for row in table.rows
        if inst.class_ in row.classes)
    has_rows = any(inst.class_ in row.classes for t in pack.in_force(month)["ratios"] for row in t.rows)
    if not (zero_class and has_rows and pack.header.zero_ratio_classes_do_not_report):
        out.append(_due(pack, "dtbb001_due", month.first, 3, after=False,
                        text=f"Form DTBB001 (average reservable balances of {month - 1}) is"))
    for event in inst.events:
        if event.type == "commenced_operations" and Month.of(event.date) == month:
            out.append(_due(pack, "operations_notice_due", event.date, 3, after=True,
                            text=f"Written notice to the SBV of operations started {event.date} is"))
    return out
