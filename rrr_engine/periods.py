"""Calendar months, dated periods, calendar days and working days.

A :class:`Month` is the period of a monthly pack (maintenance and computation periods are
calendar months, as in Vietnam). A :class:`DatedPeriod` is a run of calendar days with an id,
the period of a pack whose maintenance periods follow a published calendar (the ECB's six
weeks, Regulation D's two weeks). Both offer ``first``, ``last``, ``days`` and ``dates()``, so
averages and holdings work on either. Working days come from a :class:`WorkingCalendar`, whose
holidays are data in the rule pack, because Tết and the other holidays move from year to year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import total_ordering

__all__ = ["DatedPeriod", "Month", "WorkingCalendar", "days_between"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@total_ordering
@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month; ``Month.parse("2025-10")``; ordered; ``+ n`` moves n months."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a calendar month")

    @classmethod
    def parse(cls, text: object) -> Month:
        """Parse ``YYYY-MM``; raise ``ValueError`` naming the expected form otherwise."""
        if isinstance(text, Month):
            return text
        if isinstance(text, (dt.date,)):
            return cls(text.year, text.month)
        found = _MONTH.match(str(text).strip())
        if not found:
            raise ValueError(f"{text!r} is not a month; expected YYYY-MM such as 2025-10")
        try:
            return cls(int(found.group(1)), int(found.group(2)))
        except ValueError:
            raise ValueError(f"{text!r} is not a month; expected YYYY-MM such as 2025-10") from None

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __lt__(self, other: Month | dt.date) -> bool:
        # a rule's dates are months or days (``Point``); a day compares as the month it is in
        return (self.year, self.month) < (other.year, other.month)

    def __add__(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __sub__(self, months: int) -> Month:
        return self + (-months)

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last(self) -> dt.date:
        return (self + 1).first - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        """Number of calendar days (the divisor of every average)."""
        return self.last.day

    def dates(self) -> Iterator[dt.date]:
        day = self.first
        for _ in range(self.days):
            yield day
            day += dt.timedelta(days=1)

    @property
    def index(self) -> int:
        """``yyyymm`` as an integer, for comparisons inside the rule kernel."""
        return self.year * 100 + self.month


@total_ordering
@dataclass(frozen=True, slots=True)
class DatedPeriod:
    """Calendar days ``first``..``last`` inclusive, named ``id``; ordered by its dates."""

    id: str
    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"period {self.id}: end {self.last} is before start {self.first}")

    def __str__(self) -> str:
        return self.id

    def __lt__(self, other: DatedPeriod) -> bool:
        return (self.first, self.last) < (other.first, other.last)

    @property
    def days(self) -> int:
        """Number of calendar days (the divisor of every average over the period)."""
        return (self.last - self.first).days + 1

    def dates(self) -> Iterator[dt.date]:
        return days_between(self.first, self.last)

    @property
    def span(self) -> str:
        return f"{self.first}..{self.last}"


def days_between(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every calendar day from ``start`` to ``end`` inclusive."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekends plus dated holidays; swapped working weekend days count as working days."""

    holidays: frozenset[dt.date]
    working_weekend_days: frozenset[dt.date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})  # Monday is 0
    years: frozenset[int] = frozenset()

    def covers(self, day: dt.date) -> bool:
        """Whether the calendar knows this year's holidays (else deadlines are unreliable)."""
        return not self.years or day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_weekend_days:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def nth_working_day_from(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day counting ``start`` itself if it is one (n >= 1)."""
        day, seen = start, 0
        while True:
            if self.is_working_day(day):
                seen += 1
                if seen == n:
                    return day
            day += dt.timedelta(days=1)

    def nth_working_day_after(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``start``."""
        return self.nth_working_day_from(start + dt.timedelta(days=1), n)
