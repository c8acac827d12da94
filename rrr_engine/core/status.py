"""An institution's statuses in a month, derived from its dated events by the pack's timing.

The law times exemptions and reductions by events ("from the month after the decision",
"until the end of the month operations start"); the pack states that timing as data
(:class:`~rrr_engine.rules.model.StatusDef`) and this module only applies it: it turns events
into windows of months, so the result can say from which month to which month a status holds.
In a calendar pack "month" reads "maintenance period": the pack's period calendar
(:mod:`rrr_engine.rules.calendars`) places each event, and a window runs between period start days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rrr_engine.models import Institution
from rrr_engine.periods import Month
from rrr_engine.rules.calendars import MonthlyPeriods, Periods
from rrr_engine.rules.model import StatusDef

__all__ = ["Window", "status_windows", "statuses_in"]


_MONTHLY = MonthlyPeriods()


@dataclass(frozen=True)
class Window:
    """Months ``start``..``end`` inclusive (in a calendar pack: the periods whose start day
    lies in ``start``..``end``); ``None`` is unbounded on that side."""

    start: Month | dt.date | None
    end: Month | dt.date | None

    def covers(self, month: Month | dt.date) -> bool:
        return ((self.start is None or self.start <= month)
                and (self.end is None or month <= self.end))


def status_windows(status: StatusDef, institution: Institution,
                   periods: Periods = _MONTHLY) -> list[Window]:
    """Windows in which ``status`` holds for ``institution``, in date order.

    Events are paired in date order: a start opens a window (if none is open), an end closes
    the open one. An end with nothing open closes a window that held from the beginning; a
    start never closed stays open. An end whose effect falls before its window's start (same
    month, exclusive end) yields no window at all.
    """
    starts = set(status.starts.event) if status.starts else set()
    ends = set(status.ends.event) if status.ends else set()
    windows: list[Window] = []
    open_from: Any = None
    is_open = False
    for event in sorted(institution.events, key=lambda e: e.date):
        if status.starts is not None and event.type in starts and not is_open:
            open_from = periods.effect_start(event.date, status.starts.month == "next")
            is_open = True
        elif event.type in ends and status.ends is not None:
            last = periods.effect_end(event.date, status.ends.month == "next",
                                      status.ends.inclusive)
            if is_open or status.starts is None or not windows:
                start = open_from if is_open else None
                if start is None or start <= last:
                    windows.append(Window(start, last))
            is_open, open_from = False, None
    if is_open:
        windows.append(Window(open_from, None))
    return windows


def statuses_in(statuses: dict[str, StatusDef], institution: Institution,
                month: Any, periods: Periods = _MONTHLY) -> dict[str, Window]:
    """Each status that holds in maintenance period ``month``, with the window that makes it
    hold."""
    held: dict[str, Window] = {}
    point = periods.point(month)
    for name, status in statuses.items():
        for window in status_windows(status, institution, periods):
            if window.covers(point):
                held[name] = window
                break
    return held
