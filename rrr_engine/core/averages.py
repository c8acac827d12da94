"""Averages of end-of-day balances over every calendar day (Circular 30 Art. 5), and the
balance at a reference date.

The period is a calendar month or any dated period (:mod:`rrr_engine.periods`); the divisor is
always its number of calendar days. Missing rows are carried per key (category and currency
for balances, currency for holdings), as the pack's ``missing_days`` setting declares: a day
the host sent nothing for takes every previous closing balance, and a day whose rows leave out
a key that had a balance the day before takes that key's previous balance. Either way the
day is listed per key (``filled``), never counted as zero; with ``missing_days: error`` it is
refused instead. A key with no balance on any earlier day is not missing: the institution had
none. A period whose first day has neither a balance nor an earlier one is an error, except
for the days before a new institution commenced operations, which count as zero.
:func:`balance_at` is the base of a pack whose reserve base is the balance sheet at the end
of the computation period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from rrr_engine.errors import MissingDataError
from rrr_engine.money import exact
from rrr_engine.periods import DatedPeriod, Month

__all__ = ["MonthlyAverage", "balance_at", "daily_series", "end_of_day", "key_label",
           "monthly_average", "period_average"]

K = TypeVar("K", bound=Hashable)
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class MonthlyAverage:
    averages: dict[Any, Decimal]  # key -> exact Decimal average
    filled_days: tuple[dt.date, ...]  # days on which any key was carried forward
    zero_days: tuple[dt.date, ...]
    filled: dict[Any, tuple[dt.date, ...]] = field(default_factory=dict)  # key -> days filled
    partial_days: tuple[dt.date, ...] = ()  # filled days on which the host sent other rows


def key_label(key: Any) -> str:
    """``deposits EUR`` for a (category, currency) key, ``EUR`` for a currency."""
    return " ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def daily_series(rows: Iterable[tuple[dt.date, K, Decimal]]) -> dict[dt.date, dict[K, Decimal]]:
    """Group ``(date, key, amount)`` rows into one mapping per day."""
    series: dict[dt.date, dict[K, Decimal]] = defaultdict(dict)
    for day, key, amount in rows:
        series[day][key] = amount
    return dict(series)


def _check_setting(missing_days: str) -> None:
    if missing_days not in ("carry_forward", "error"):
        raise MissingDataError(f"setting missing_days is {missing_days!r}; expected "
                               "carry_forward or error", field="settings.missing_days")


def _carried(series: Mapping[dt.date, Mapping[K, Decimal]], first: dt.date, last: dt.date,
             skip: dt.date | None = None
             ) -> Iterator[tuple[dt.date, dict[K, Decimal] | None, list[K], bool]]:
    """For each day ``first``..``last``: (day, closing balance per key or ``None`` if there is
    none yet, the keys carried from the day before, whether the host sent rows that day).

    Days before ``first`` set the opening state, carried the same way. Days before ``skip``
    (operations commenced) are yielded with no state, and their rows are not used.
    """
    earlier = [d for d in series if d < first]
    state: dict[K, Decimal] | None = None
    day = min(earlier) if earlier else first
    while day <= last:
        if skip is not None and first <= day < skip:
            yield day, None, [], False
            day += _DAY
            continue
        rows = series.get(day)
        carried: list[K] = []
        if rows is not None:
            carried = [k for k in state if k not in rows] if state else []
            state = {**(state or {}), **rows}
        elif state is not None:
            carried = list(state)
        if day >= first:
            yield day, state, carried, rows is not None
        day += _DAY


def _refuse(what: str, day: dt.date, carried: list[Any], sent: bool, institution: str,
            period: Any) -> MissingDataError:
    if not sent:
        return MissingDataError(f"no {what} on {day} (missing_days is 'error')", field=what,
                                institution=institution, period=str(period))
    keys = ", ".join(key_label(k) for k in carried)
    return MissingDataError(f"no {what} row on {day} for {keys}, which had a balance the day "
                            "before (missing_days is 'error')", field=what,
                            institution=institution, period=str(period))


def _collect(filled: dict[Any, list[dt.date]], day: dt.date, carried: list[Any]) -> None:
    for key in carried:
        filled.setdefault(key, []).append(day)


def _average_of(filled: dict[Any, list[dt.date]], partial: set[dt.date],
                averages: dict[Any, Decimal], zero: list[dt.date]) -> MonthlyAverage:
    days = sorted({d for dates in filled.values() for d in dates})
    return MonthlyAverage(averages, tuple(days), tuple(zero),
                          {k: tuple(v) for k, v in filled.items()}, tuple(sorted(partial)))


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
    _check_setting(missing_days)
    totals: dict[K, Decimal] = defaultdict(Decimal)
    filled: dict[K, list[dt.date]] = {}
    partial: set[dt.date] = set()
    zero: list[dt.date] = []
    for day, state, carried, sent in _carried(series, month.first, month.last, skip=opened):
        if opened is not None and day < opened:
            zero.append(day)
            continue
        if state is None:
            raise MissingDataError(
                f"no {what} on {day} and none before it: the average for {month} "
                f"cannot be computed", field=what, institution=institution, period=str(month))
        if carried:
            if missing_days == "error":
                raise _refuse(what, day, carried, sent, institution, month)
            _collect(filled, day, carried)
            if sent:
                partial.add(day)
        for key, amount in state.items():
            totals[key] += amount
    with exact():
        averages = {key: total / month.days for key, total in totals.items()}
    return _average_of(filled, partial, averages, zero)


period_average = monthly_average  # the same arithmetic over any DatedPeriod


def end_of_day(series: Mapping[dt.date, Mapping[K, Decimal]], period: Any
               ) -> Iterator[tuple[dt.date, dict[K, Decimal]]]:
    """Each day of ``period`` with every key's closing balance, carried as the average
    carries it (the average has already refused or listed missing days); a key with no
    balance yet is absent, i.e. nothing held."""
    for day, state, _, _ in _carried(series, period.first, period.last):
        yield day, dict(state or {})


def balance_at(series: Mapping[dt.date, Mapping[K, Decimal]], period: Any, *,
               missing_days: str, what: str, institution: str) -> MonthlyAverage:
    """Each key's end-of-day balance on the last day of ``period`` (a reference date).

    A reference date without rows, or without a row for a key that had a balance before,
    takes the latest earlier balance when ``missing_days`` is ``carry_forward`` (and is listed
    as filled), else it is an error.
    """
    _check_setting(missing_days)
    day = period.last
    *_, (_, state, carried, sent) = _carried(series, day, day)
    if state is None or (carried and missing_days == "error" and not sent):
        more = "" if state is not None else " and none before it"
        raise MissingDataError(f"no {what} on the reference date {day}{more}: the base for "
                               f"{period} cannot be computed", field=what,
                               institution=institution, period=str(period))
    if carried and missing_days == "error":
        raise _refuse(what, day, carried, sent, institution, period)
    filled: dict[Any, list[dt.date]] = {}
    _collect(filled, day, carried)
    return _average_of(filled, {day} if carried and sent else set(), dict(state), [])
