"""Runs of a pack's time unit for the rule tools: months in a monthly pack, days in a calendar one.

A monthly pack's rules are dated by maintenance months; a calendar pack's by days, and a rule
governs the listed maintenance periods whose start day lies within its dates. The analyses of
``rrr rules check`` work on :class:`Span` s of such points (a version lasts until the day, or
month, before the next one) and, in a calendar pack, ask which listed periods start in a span
(those a gap would refuse) and whether a span lies wholly inside listed periods (then no
period can ever start in it: the list is authoritative and periods never overlap).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rrr_engine.periods import DatedPeriod, Month

__all__ = ["Point", "Span", "after", "before", "inside_listed", "periods_phrase",
           "rule_span", "starting_in"]

Point = Month | dt.date
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """Maintenance months, or days, ``start``..``end`` inclusive; ``end`` ``None`` is open-ended."""

    start: Point
    end: Point | None

    def __str__(self) -> str:
        if self.end is None:
            return f"{self.start} onwards"
        return str(self.start) if self.end == self.start else f"{self.start} to {self.end}"

    def as_dict(self) -> dict[str, str | None]:
        return {"from": str(self.start), "to": None if self.end is None else str(self.end)}

    def covers(self, point: Point) -> bool:
        return self.start <= point and (self.end is None or point <= self.end)


def before(point: Point) -> Point:
    """The month or day before ``point``."""
    return point - 1 if isinstance(point, Month) else point - _DAY


def after(point: Point) -> Point:
    """The month or day after ``point``."""
    return point + 1 if isinstance(point, Month) else point + _DAY


def rule_span(effective: Any, kind: str) -> Span:
    """A rule's (or declaration's) dates in the pack's unit: months, or days (a month bound
    of a calendar pack's rule meaning its first or last day)."""
    if kind == "monthly":
        return Span(effective.from_, effective.to)
    return Span(effective.first_day, effective.last_day)


def starting_in(periods: Any, span: Span) -> list[DatedPeriod]:
    """The listed maintenance periods of a calendar whose start day lies in ``span``."""
    return [p for p in getattr(periods, "periods", ()) if span.covers(p.first)]


def inside_listed(periods: Any, span: Span) -> bool:
    """Whether every day of a closed day ``span`` lies inside some listed period."""
    if span.end is None or not isinstance(span.start, dt.date):
        return False
    day = span.start
    for period in getattr(periods, "periods", ()):
        if period.last < day:
            continue
        if period.first > day:
            return False
        day = period.last + _DAY
        if day > span.end:
            return True
    return False


def periods_phrase(found: Sequence[DatedPeriod], limit: int = 3) -> str:
    """``period 2020-03-26 (2020-03-26..2020-04-08)``, or the first and last of many."""
    if len(found) == 1:
        return f"period {found[0].id} ({found[0].span})"
    if len(found) <= limit:
        return "periods " + ", ".join(p.id for p in found)
    return f"{len(found)} periods, {found[0].id} to {found[-1].id}"
