"""Period calendars: a pack's maintenance periods, and the computation period of each.

A pack's ``periods:`` section says which kind it is. ``monthly`` (the default, Vietnam): the
maintenance period is a calendar month, named ``YYYY-MM``, and the computation period the month
``computation_lag_months`` before it. ``calendar`` (the ECB, Regulation D): an explicit list of
dated maintenance periods with ids, each with its computation period given or derived by one
rule (the whole calendar month N months before the start's month, or N days that end a fixed
number of days before the start). A ``repeat`` rule generates back-to-back periods of a fixed
length (fortnights) instead of listing each. ``base`` says how the reserve base is taken from
the computation period: the ``daily_average`` of every calendar day, or the balance at its end
(``end_of_period``, a balance-sheet reference date).

Rules are dated by months in a monthly pack and by days in a calendar pack, where a rule is in
force for a period when the period's start date is within its effective dates: :meth:`point`
gives that key. Status timing ("the period after the decision") goes through
:meth:`effect_start` and :meth:`effect_end`, so statuses work on either kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rrr_engine.errors import InputError, RuleFileError
from rrr_engine.periods import DatedPeriod, Month
from rrr_engine.rules.model import Citation
from rrr_engine.rules.yamlsrc import SourceDoc, parse_model

__all__ = ["CalendarPeriods", "MonthlyPeriods", "Periods", "PeriodsSection", "build_periods"]

_DAY = dt.timedelta(days=1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComputationRule(_Strict):
    """How a period's computation period is derived when its entry gives none.

    Either ``months_before_start`` (the whole calendar month that many months before the
    month the maintenance period starts in) or ``end_days_before_start`` with
    ``length_days`` (the computation period ends that many days before the start).
    """

    months_before_start: int | None = Field(default=None, ge=0)
    end_days_before_start: int | None = Field(default=None, ge=1)
    length_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_form(self) -> ComputationRule:
        by_month = self.months_before_start is not None
        by_days = self.end_days_before_start is not None or self.length_days is not None
        if by_month == by_days:
            raise ValueError("give either months_before_start, or end_days_before_start "
                             "with length_days")
        if by_days and (self.end_days_before_start is None or self.length_days is None):
            raise ValueError("end_days_before_start and length_days go together")
        return self

    def derive(self, start: dt.date) -> DatedPeriod:
        if self.months_before_start is not None:
            month = Month.of(start) - self.months_before_start
            return DatedPeriod(str(month), month.first, month.last)
        last = start - dt.timedelta(days=self.end_days_before_start or 0)
        first = last - dt.timedelta(days=(self.length_days or 1) - 1)
        return DatedPeriod(f"{first}..{last}", first, last)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


class DaySpan(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DaySpan:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class MaintenanceEntry(_Strict):
    """One maintenance period; ``id`` defaults to its start date."""

    id: str | None = None
    start: dt.date
    end: dt.date
    computation: DaySpan | None = None
    reference_date: dt.date | None = None
    note: str | None = None

    _i = field_validator("id", mode="before")(lambda cls, v: _iso(v))

    @model_validator(mode="after")
    def _check(self) -> MaintenanceEntry:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.computation is not None and self.reference_date is not None:
            raise ValueError("give computation or reference_date, not both")
        return self


_MAX_REPEATS = 10_000  # a few centuries of fortnights; a typo in a year stays a load error


class RepeatRule(_Strict):
    """Back-to-back maintenance periods of ``length_days`` days, the first starting on
    ``from``, generated for every start on or before ``to`` (so the last one may end after
    ``to``). Their ids are their start dates; each takes the calendar's computation rule."""

    from_: dt.date = Field(alias="from")
    to: dt.date
    length_days: int = Field(ge=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> RepeatRule:
        if self.to < self.from_:
            raise ValueError(f"to {self.to} is before from {self.from_}")
        if (self.to - self.from_).days // self.length_days >= _MAX_REPEATS:
            raise ValueError(f"more than {_MAX_REPEATS} periods; list fewer years")
        return self

    def starts(self) -> list[dt.date]:
        step = dt.timedelta(days=self.length_days)
        out, day = [], self.from_
        while day <= self.to:
            out.append(day)
            day += step
        return out


class PeriodsSection(_Strict):
    """The ``periods:`` section of a pack."""

    kind: Literal["monthly", "calendar"] = "monthly"
    base: Literal["daily_average", "end_of_period"] = "daily_average"
    computation_lag_months: int | None = Field(default=None, ge=0)
    computation: ComputationRule | None = None
    maintenance: tuple[MaintenanceEntry, ...] = ()
    repeat: RepeatRule | None = None
    citation: Citation | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _kind(self) -> PeriodsSection:
        if self.kind == "monthly" and (self.maintenance or self.computation or self.repeat):
            raise ValueError("a monthly calendar has no maintenance list, repeat or computation "
                             "rule; use kind: calendar")
        if self.kind == "calendar" and not self.maintenance and self.repeat is None:
            raise ValueError("kind calendar needs a maintenance list of periods, or a repeat rule")
        if self.kind == "calendar" and self.computation_lag_months is not None:
            raise ValueError("computation_lag_months is for monthly calendars; use computation")
        return self


_YEARS = (1900, 2999)


class MonthlyPeriods:
    """Maintenance = calendar month; computation = ``lag`` months earlier."""

    kind: Literal["monthly"] = "monthly"

    def __init__(self, lag: int = 1, base: str = "daily_average") -> None:
        self.lag = lag
        self.base = base

    def parse(self, text: object) -> Month:
        try:
            month = Month.parse(text)
        except ValueError as exc:
            raise InputError(str(exc), field="period") from None
        if not _YEARS[0] <= month.year <= _YEARS[1]:  # room for the lag and the carry window
            raise InputError(f"{month} is outside the years {_YEARS[0]} to {_YEARS[1]}",
                             field="period")
        return month

    def computation(self, period: Month | DatedPeriod) -> Month:
        if not isinstance(period, Month):  # a caller mixing up two packs' calendars
            raise TypeError(f"a monthly pack's periods are months, not {period!r}")
        return period - self.lag

    def point(self, period: Any) -> Month:
        return period if isinstance(period, Month) else Month.of(getattr(period, "first", period))

    def containing(self, day: dt.date) -> Month:
        return Month.of(day)

    def effect_start(self, day: dt.date, next_: bool) -> Month:
        return Month.of(day) + 1 if next_ else Month.of(day)

    def effect_end(self, day: dt.date, next_: bool, inclusive: bool) -> Month:
        last = self.effect_start(day, next_)
        return last if inclusive else last - 1


class CalendarPeriods:
    """An explicit list of dated maintenance periods, each with its computation period."""

    kind: Literal["calendar"] = "calendar"

    def __init__(self, periods: list[DatedPeriod], computations: dict[str, DatedPeriod], *,
                 base: str = "daily_average", pack: str = "") -> None:
        self.periods = tuple(sorted(periods))
        self._by_id = {p.id: p for p in self.periods}
        self._computations = computations
        self.base = base
        self.pack = pack

    def parse(self, text: object) -> DatedPeriod:
        """The period named ``text``; an unknown id is a one-line error with a hint."""
        if isinstance(text, DatedPeriod):
            text = text.id
        key = _iso(text)
        if key in self._by_id:
            return self._by_id[key]
        hint = f"periods run from {self.periods[0].id} to {self.periods[-1].id}"
        try:
            day = dt.date.fromisoformat(str(key))
        except ValueError:
            day = None
        inside = self.containing(day) if day else None
        if inside is not None:
            hint = f"{key} falls in period {inside.id} ({inside.span})"
        raise InputError(f"unknown maintenance period {str(key)!r} in pack {self.pack} "
                         f"(a calendar pack names periods by id; {hint})", field="period")

    def computation(self, period: Month | DatedPeriod) -> DatedPeriod:
        if not isinstance(period, DatedPeriod):  # a caller mixing up two packs' calendars
            raise TypeError(f"a calendar pack's periods are listed periods, not {period!r}")
        return self._computations[period.id]

    def point(self, period: Any) -> dt.date:
        return period if isinstance(period, dt.date) else period.first

    def containing(self, day: dt.date) -> DatedPeriod | None:
        return next((p for p in self.periods if p.first <= day <= p.last), None)

    def _around(self, day: dt.date) -> DatedPeriod:
        # a day outside every listed period acts as a one-day period of its own
        return self.containing(day) or DatedPeriod(str(day), day, day)

    def _next_start(self, period: DatedPeriod) -> dt.date:
        later = [p.first for p in self.periods if p.first > period.last]
        return min(later) if later else period.last + _DAY

    def effect_start(self, day: dt.date, next_: bool) -> dt.date:
        period = self._around(day)
        return self._next_start(period) if next_ else period.first

    def effect_end(self, day: dt.date, next_: bool, inclusive: bool) -> dt.date:
        period = self._around(day)
        if next_:
            return self._next_start(period) if inclusive else period.first
        return period.first if inclusive else period.first - _DAY


Periods = MonthlyPeriods | CalendarPeriods


def build_periods(doc: SourceDoc | None, data: Any, *, pack: str,
                  default_lag: int) -> Periods:
    """The pack's calendar from its ``periods:`` section (monthly when there is none)."""
    if doc is None:
        return MonthlyPeriods(default_lag)
    section = parse_model(doc, PeriodsSection, data=data, prefix=("periods",))
    if section.kind == "monthly":
        lag = section.computation_lag_months
        return MonthlyPeriods(default_lag if lag is None else lag, section.base)

    def fail(index: int | str, key: str, problem: str) -> NoReturn:
        path: tuple[Any, ...] = (("periods", "repeat") if index == "repeat"
                                 else ("periods", "maintenance", index, key))
        raise RuleFileError(problem, file=doc.file, line=doc.line_of(path),
                            field=".".join(map(str, path)))

    # (index in the listed periods, or "repeat" for a generated one, the entry)
    entries: list[tuple[int | str, MaintenanceEntry]] = list(enumerate(section.maintenance))
    if section.repeat is not None:  # generated periods, merged with the listed ones by date
        length = dt.timedelta(days=section.repeat.length_days - 1)
        entries += [("repeat", MaintenanceEntry(start=day, end=day + length))
                    for day in section.repeat.starts()]
        entries.sort(key=lambda item: item[1].start)
    periods: list[DatedPeriod] = []
    computations: dict[str, DatedPeriod] = {}
    for index, entry in entries:
        period = DatedPeriod(entry.id or entry.start.isoformat(), entry.start, entry.end)
        if period.id in computations:
            fail(index, "id", f"duplicate maintenance period id {period.id!r}")
        if periods and period.first <= periods[-1].last:
            fail(index, "start", f"period {period.id} starts {period.first}, not after the "
                 f"previous period {periods[-1].id} ends ({periods[-1].last}); list periods in "
                 "date order without overlaps (the repeat rule's periods included)")
        if entry.computation is not None:
            span = entry.computation
            computation = DatedPeriod(f"{span.start}..{span.end}", span.start, span.end)
        elif entry.reference_date is not None:
            computation = DatedPeriod(str(entry.reference_date), entry.reference_date,
                                      entry.reference_date)
        elif section.computation is not None:
            computation = section.computation.derive(period.first)
        else:
            fail(index, "computation", "no computation period: give computation or "
                 "reference_date here, or a computation rule for the whole calendar")
        periods.append(period)
        computations[period.id] = computation
    return CalendarPeriods(periods, computations, base=section.base, pack=pack)
