"""Averages of end-of-day balances over every calendar day (Circular 30 Art. 5), and the
balance at a reference date.

The period is a calendar month or any dated period (:mod:`rrr_engine.periods`); the divisor is
always its number of calendar days. A day the host sent nothing for takes the previous day's
closing balances (the pack's ``missing_days`` setting) and is listed; a period whose first day
has neither a balance nor an earlier one is an error, except for the days before a new
institution commenced operations, which count as zero. :func:`balance_at` is the base of a
pack whose reserve base is the balance sheet at the end of the computation period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from .errors import MissingDataError
from .money import exact
from .periods import DatedPeriod, Month

__all__ = ["MonthlyAverage", "balance_at", "daily_series", "monthly_average", "period_average"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class MonthlyAverage:
    averages: dict  # key -> exact Decimal average
    filled_days: tuple[dt.date, ...]
    zero_days: tuple[dt.date, ...]


def daily_series(rows: Iterable[tuple[dt.date, K, Decimal]]) -> dict[dt.date, dict[K, Decimal]]:
    """Group ``(date, key, amount)`` rows into one mapping per day."""
    series: dict[dt.date, dict[K, Decimal]] = defaultdict(dict)
    for day, key, amount in rows:
        series[day][key] = amount
    return dict(series)


def monthly_average(series: Mapping[dt.date, Mapping[K, Decimal]], month: Month | DatedPeriod, *,
                    missing_days: str, opened: dt.date | None = None, what: str,
                    institution: str) -> MonthlyAverage:
    """Average each key's end-of-day balance over the calendar days of ``month``.

    ``month`` may be any dated period (a calendar pack's computation or maintenance period).

    :param series: balances by day; days before ``month`` are used only to carry forward.
    :param missing_days: ``carry_forward`` or ``error`` (the pack setting).
    :param opened: the day the institution commenced operations, when inside ``month``;
        days before it count as zero.
    :param what: ``balances`` or ``holdings``, for messages.
    """
    if missing_days not in ("carry_forward", "error"):
        raise MissingDataError(f"setting missing_days is {missing_days!r}; expected "
                               "carry_forward or error", field="settings.missing_days")
    earlier = [d for d in series if d < month.first]
    current = series[max(earlier)] if earlier else None
    totals: dict[K, Decimal] = defaultdict(Decimal)
    filled: list[dt.date] = []
    zero: list[dt.date] = []
    for day in month.dates():
        if opened is not None and day < opened:
            zero.append(day)
            continue
        if day in series:
            current = series[day]
        elif current is None:
            raise MissingDataError(
                f"no {what} on {day} and none before it: the average for {month} "
                f"cannot be computed", field=what, institution=institution, period=str(month))
        elif missing_days == "error":
            raise MissingDataError(f"no {what} on {day} (missing_days is 'error')",
                                   field=what, institution=institution, period=str(month))
        else:
            filled.append(day)
        for key, amount in current.items():
            totals[key] += amount
    with exact():
        averages = {key: total / month.days for key, total in totals.items()}
    return MonthlyAverage(averages, tuple(filled), tuple(zero))


period_average = monthly_average  # the same arithmetic over any DatedPeriod


def balance_at(series: Mapping[dt.date, Mapping[K, Decimal]], period: Any, *,
               missing_days: str, what: str, institution: str) -> MonthlyAverage:
    """Each key's end-of-day balance on the last day of ``period`` (a reference date).

    A reference date without rows takes the latest earlier day's balances when
    ``missing_days`` is ``carry_forward`` (and is listed as filled), else it is an error.
    """
    if missing_days not in ("carry_forward", "error"):
        raise MissingDataError(f"setting missing_days is {missing_days!r}; expected "
                               "carry_forward or error", field="settings.missing_days")
    day = period.last
    if day in series:
        return MonthlyAverage(dict(series[day]), (), ())
    earlier = [d for d in series if d < day]
    if not earlier or missing_days == "error":
        more = "" if earlier else " and none before it"
        raise MissingDataError(f"no {what} on the reference date {day}{more}: the base for "
                               f"{period} cannot be computed", field=what,
                               institution=institution, period=str(period))
    return MonthlyAverage(dict(series[max(earlier)]), (day,), ())
