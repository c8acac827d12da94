"""Findings that are not figures: filled days and working-day deadlines.

Which reports and notices are due is the pack's data (``pack.reports`` and ``pack.notices``,
:mod:`rrr_engine.rules.deadlines`); this module only counts working days. Deadlines need the pack's
holiday calendar; a date outside the years it covers is still computed (weekends only) but
flagged, because Tết moves and a guessed deadline is a risk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rrr_engine.core.averages import MonthlyAverage, key_label
from rrr_engine.models import Institution
from rrr_engine.rules.bands import cell_is_zero
from rrr_engine.rules.pack import RulePack

__all__ = ["deadline_findings", "filled_finding"]

_DAYS_SHOWN = 10


def _dates(days: Any) -> str:
    shown = ", ".join(str(d) for d in days[:_DAYS_SHOWN])
    return shown + (f" and {len(days) - _DAYS_SHOWN} more" if len(days) > _DAYS_SHOWN else "")


def filled_finding(what: str, avg: MonthlyAverage) -> dict[str, Any]:
    """A finding listing the days whose balances were carried forward, per key.

    ``dates``/``count`` are the days on which anything was carried; ``keys`` says, per
    category and currency (per currency for holdings), on which days it was; ``partial_dates``
    are the days the host sent some rows but not all, which the message names key by key.
    """
    days = avg.filled_days
    keys = []
    for key, dates in sorted(avg.filled.items(), key=lambda item: key_label(item[0])):
        entry: dict[str, Any] = ({"category": key[0], "currency": key[1]}
                                 if isinstance(key, tuple) else {"currency": key})
        keys.append({**entry, "count": len(dates), "dates": [str(d) for d in dates]})
    message = f"{len(days)} day(s) of {what} carried forward from the previous day: {_dates(days)}"
    if avg.partial_days:
        partial = set(avg.partial_days)
        rows = [f"{key_label(key)} on {_dates([d for d in dates if d in partial])}"
                for key, dates in sorted(avg.filled.items(), key=lambda i: key_label(i[0]))
                if partial.intersection(dates)]
        message += f"; rows the host did not send, carried forward per key: {'; '.join(rows)}"
    return {"code": "filled_days", "source": what, "count": len(days),
            "dates": [str(d) for d in days], "keys": keys,
            "partial_dates": [str(d) for d in avg.partial_days], "message": message}


def _due(pack: RulePack, code: str, start: dt.date, n: int, *, after: bool,
         text: str) -> dict[str, Any]:
    cal = pack.calendar
    day = cal.nth_working_day_after(start, n) if after else cal.nth_working_day_from(start, n)
    finding = {"code": code, "due": str(day), "message": f"{text} due by {day}"}
    if not (cal.covers(start) and cal.covers(day)):
        finding["warning"] = (f"the pack's holiday calendar does not cover {day.year}: "
                              "weekends only were skipped")
    return finding


def deadline_findings(pack: RulePack, inst: Institution, month: Any,
                      ratios: list[Any]) -> list[dict[str, Any]]:
    """The pack's reports due for the maintenance period, and notices for its events.

    :param ratios: the ratio tables in force for the period (the caller has them).
    """
    out = []
    header = pack.header
    if header.reports:
        point = pack.periods.point(month)
        rows = [(table, r) for table in ratios
                for r, row in enumerate(table.rows) if inst.class_ in row.classes]
        zero_class = all(cell_is_zero(table.cell_at(r, inst.class_, cat, point)[0])  # as amended
                         for table, r in rows for cat in table.rows[r].values)
        excused = bool(rows) and zero_class and header.zero_ratio_classes_do_not_report
        computation = pack.periods.computation(month)
        for report in header.reports if not excused else ():
            text = report.text.format(computation=computation, maintenance=month)
            out.append(_due(pack, report.code, month.first, report.working_day, after=False,
                            text=text))
    for notice in header.notices:
        for event in inst.events:
            if event.type == notice.event and month.first <= event.date <= month.last:
                out.append(_due(pack, notice.code, event.date, notice.working_days_after,
                                after=True, text=notice.text.format(date=event.date)))
    return out
