"""An institution's statuses in a month, derived from its dated events by the pack's timing.

The law times exemptions and reductions by events ("from the month after the decision",
"until the end of the month operations start"); the pack states that timing as data
(:class:`~rrr_engine.rules_model.StatusDef`) and this module only applies it: it turns events
into windows of months, so the result can say from which month to which month a status holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Institution
from .periods import Month
from .rules_model import StatusDef, StatusEdge

__all__ = ["Window", "status_windows", "statuses_in"]


@dataclass(frozen=True)
class Window:
    """Months ``start``..``end`` inclusive; ``None`` is unbounded on that side."""

    start: Month | None
    end: Month | None

    def covers(self, month: Month) -> bool:
        return (self.start is None or self.start <= month) and (self.end is None or month <= self.end)


def _effect_month(edge: StatusEdge, day_month: Month) -> Month:
    return day_month + 1 if edge.month == "next" else day_month


def status_windows(status: StatusDef, institution: Institution) -> list[Window]:
    """Windows in which ``status`` holds for ``institution``, in date order.

    Events are paired in date order: a start opens a window (if none is open), an end closes
    the open one. An end with nothing open closes a window that held from the beginning; a
    start never closed stays open. An end whose effect falls before its window's start (same
    month, exclusive end) yields no window at all.
    """
    starts = set(status.starts.event) if status.starts else set()
    ends = set(status.ends.event) if status.ends else set()
    windows: list[Window] = []
    open_from: Month | None = None
    is_open = False
    for event in sorted(institution.events, key=lambda e: e.date):
        month = Month.of(event.date)
        if event.type in starts and not is_open:
            open_from, is_open = _effect_month(status.starts, month), True
        elif event.type in ends and status.ends is not None:
            last = _effect_month(status.ends, month)
            last = last if status.ends.inclusive else last - 1
            if is_open or status.starts is None or not windows:
                start = open_from if is_open else None
                if start is None or start <= last:
                    windows.append(Window(start, last))
            is_open, open_from = False, None
    if is_open:
        windows.append(Window(open_from, None))
    return windows


def statuses_in(statuses: dict[str, StatusDef], institution: Institution,
                month: Month) -> dict[str, Window]:
    """Each status that holds in ``month``, with the window that makes it hold."""
    held: dict[str, Window] = {}
    for name, status in statuses.items():
        for window in status_windows(status, institution):
            if window.covers(month):
                held[name] = window
                break
    return held
