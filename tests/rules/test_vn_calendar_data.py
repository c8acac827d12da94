"""Data checks for rulesets/vn-sbv/calendar.yaml (Vietnamese public-holiday calendar).

Uses only PyYAML and the standard library. The expected facts below (lunar dates, the
Labour Code entitlements, announced breaks) are written out here independently of the YAML
file, so a wrong or missing date in the file makes a test fail.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

CALENDAR_PATH = Path(__file__).resolve().parents[2] / "rulesets" / "vn-sbv" / "calendar.yaml"

YEARS = [2024, 2025, 2026, 2027]

# Lunar new year's day (mùng 1 tháng Giêng) and 10th day of the 3rd lunar month (Hùng Kings),
# Vietnamese calendar (UTC+7).
LUNAR_NEW_YEAR = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
}
HUNG_KINGS = {
    2024: date(2024, 4, 18),
    2025: date(2025, 4, 7),
    2026: date(2026, 4, 26),
    2027: date(2027, 4, 16),
}

NEW_YEAR = "New Year's Day"
TET = "Tết Nguyên Đán"
HUNG = "Hùng Kings' Commemoration Day"
REUNIFICATION = "Reunification Day"
LABOUR = "Labour Day"
NATIONAL = "National Day"
HOLIDAY_NAMES = {NEW_YEAR, TET, HUNG, REUNIFICATION, LABOUR, NATIONAL}

COMPENSATORY = "compensatory day off"
SWAPPED = "swapped day off"
WEEKEND_IN_BREAK = "weekend within official break"
QUALIFIERS = {COMPENSATORY, SWAPPED, WEEKEND_IN_BREAK}

# Labour Code 45/2019/QH14 Art. 112(1): statutory holiday days per year, by holiday.
STATUTORY_DAYS = {NEW_YEAR: 1, TET: 5, HUNG: 1, REUNIFICATION: 1, LABOUR: 1, NATIONAL: 2}
STATUTORY_TOTAL = 11

ENTRY_KEYS = {"date", "name", "basis", "source"}
BASES = {"announced", "statutory"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME_RE = re.compile(r"^(?P<base>.+?)(?: \((?P<qualifier>[^()]+)\))?$")


def _is_weekend(d: date) -> bool:
    return d.weekday() >= 5


@pytest.fixture(scope="module")
def calendar() -> dict:
    with CALENDAR_PATH.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    assert isinstance(doc, dict) and set(doc) == {"calendar"}
    return doc["calendar"]


@pytest.fixture(scope="module")
def holidays(calendar) -> list[dict]:
    entries = calendar["holidays"]
    assert isinstance(entries, list) and entries
    return entries


@pytest.fixture(scope="module")
def working_weekend(calendar) -> list[dict]:
    entries = calendar.get("working_weekend_days") or []
    assert isinstance(entries, list)
    return entries


def _d(entry: dict) -> date:
    return date.fromisoformat(entry["date"])


def _split_name(entry: dict) -> tuple[str, str | None]:
    m = NAME_RE.match(entry["name"])
    assert m, entry
    return m.group("base"), m.group("qualifier")


def _by_year(holidays):
    out = defaultdict(list)
    for e in holidays:
        out[_d(e).year].append(e)
    return out


def _base_days(holidays, year: int, base: str) -> list[date]:
    """The statutory holiday days (no qualifier) of one holiday in one year."""
    return sorted(
        _d(e)
        for e in holidays
        if _d(e).year == year and _split_name(e) == (base, None)
    )


# --------------------------------------------------------------------------- structure


def test_header(calendar):
    assert calendar["id"] == "vn-public-holidays"
    assert calendar["weekend"] == ["saturday", "sunday"]
    assert calendar["citation"] == {"document": "Labour Code 45/2019/QH14", "article": "112"}
    assert calendar["years_covered"] == YEARS


@pytest.mark.parametrize("section", ["holidays", "working_weekend_days"])
def test_entries_well_formed(calendar, section):
    for e in calendar.get(section) or []:
        assert isinstance(e, dict) and set(e) == ENTRY_KEYS, e
        # Quoted ISO strings: an unquoted date would be loaded by YAML as a date object.
        assert isinstance(e["date"], str) and ISO_DATE.match(e["date"]), e
        date.fromisoformat(e["date"])  # raises on an impossible date such as 2025-02-30
        assert e["basis"] in BASES, e
        assert isinstance(e["name"], str) and e["name"].strip(), e
        assert isinstance(e["source"], str) and e["source"].strip(), e


@pytest.mark.parametrize("section", ["holidays", "working_weekend_days"])
def test_dates_unique_and_sorted(calendar, section):
    dates = [_d(e) for e in calendar.get(section) or []]
    dupes = [d for d, n in Counter(dates).items() if n > 1]
    assert not dupes, f"duplicate dates in {section}: {dupes}"
    assert dates == sorted(dates), f"{section} not sorted by date"


def test_dates_within_years_covered(calendar, holidays, working_weekend):
    covered = set(calendar["years_covered"])
    for e in holidays + working_weekend:
        assert _d(e).year in covered, e
    assert set(_by_year(holidays)) == covered


def test_names_follow_convention(holidays):
    for e in holidays:
        base, qualifier = _split_name(e)
        assert base in HOLIDAY_NAMES, e
        assert qualifier is None or qualifier in QUALIFIERS, e


def test_qualifier_weekday_rules(holidays):
    all_dates = {_d(e) for e in holidays}
    for e in holidays:
        d = _d(e)
        _, qualifier = _split_name(e)
        if qualifier in (COMPENSATORY, SWAPPED):
            assert not _is_weekend(d), f"{qualifier} must be a weekday: {e}"
        if qualifier == WEEKEND_IN_BREAK:
            assert _is_weekend(d), e
            assert e["basis"] == "announced", f"bridging weekends only for announced breaks: {e}"
            # must be part of a contiguous break: a neighbouring day is also listed
            assert (d - timedelta(1)) in all_dates or (d + timedelta(1)) in all_dates, e


# --------------------------------------------------------------------------- content per year


@pytest.mark.parametrize("year", YEARS)
def test_fixed_date_holidays(holidays, year):
    assert _base_days(holidays, year, NEW_YEAR) == [date(year, 1, 1)]
    assert _base_days(holidays, year, REUNIFICATION) == [date(year, 4, 30)]
    assert _base_days(holidays, year, LABOUR) == [date(year, 5, 1)]


@pytest.mark.parametrize("year", YEARS)
def test_national_day_two_days(holidays, year):
    # 2/9 plus the day immediately before or after it (Art. 112(1)(e), in force since 2021).
    days = _base_days(holidays, year, NATIONAL)
    assert len(days) == 2, days
    assert date(year, 9, 2) in days
    other = [d for d in days if d != date(year, 9, 2)][0]
    assert other in (date(year, 9, 1), date(year, 9, 3)), days


@pytest.mark.parametrize("year", YEARS)
def test_hung_kings_on_lunar_date(holidays, year):
    assert _base_days(holidays, year, HUNG) == [HUNG_KINGS[year]]


@pytest.mark.parametrize("year", YEARS)
def test_tet(holidays, year):
    lny = LUNAR_NEW_YEAR[year]
    base = _base_days(holidays, year, TET)
    assert len(base) == 5, base
    # five consecutive calendar days
    assert base == [base[0] + timedelta(i) for i in range(5)], base
    # always covering mùng 1-3 of the new lunar year
    for i in range(3):
        assert lny + timedelta(i) in base, (lny + timedelta(i), base)
    # every date of the Tết break lies close to the lunar new year
    all_tet = [_d(e) for e in holidays if _d(e).year == year and _split_name(e)[0] == TET]
    assert all(lny - timedelta(6) <= d <= lny + timedelta(9) for d in all_tet), all_tet
    # at least 5 weekdays off (weekend Tết days are compensated)
    assert sum(not _is_weekend(d) for d in all_tet) >= 5, all_tet


@pytest.mark.parametrize("year", YEARS)
def test_statutory_day_counts(holidays, year):
    for name, n in STATUTORY_DAYS.items():
        assert len(_base_days(holidays, year, name)) == n, (year, name)


@pytest.mark.parametrize("year", YEARS)
def test_weekend_holidays_are_compensated(holidays, year):
    # Art. 111(3): each holiday day on a Sat/Sun gives one compensatory weekday off.
    for name in HOLIDAY_NAMES:
        base = _base_days(holidays, year, name)
        comp = sorted(
            _d(e) for e in holidays if _d(e).year == year and _split_name(e) == (name, COMPENSATORY)
        )
        on_weekend = [d for d in base if _is_weekend(d)]
        assert len(comp) == len(on_weekend), (year, name, on_weekend, comp)
        if comp:
            assert min(comp) > max(on_weekend), (year, name)
            assert max(comp) - max(on_weekend) <= timedelta(7), (year, name)


@pytest.mark.parametrize("year", YEARS)
def test_weekdays_off_match_entitlement(holidays, working_weekend, year):
    """Weekdays off = 11 statutory days (weekend ones compensated) + swapped days off."""
    entries = [e for e in holidays if _d(e).year == year]
    weekdays_off = [e for e in entries if not _is_weekend(_d(e))]
    swapped = [e for e in entries if _split_name(e)[1] == SWAPPED]
    worked_weekend = [e for e in working_weekend if _d(e).year == year]
    assert len(swapped) == len(worked_weekend), (year, swapped, worked_weekend)
    assert len(weekdays_off) - len(swapped) == STATUTORY_TOTAL, [e["date"] for e in weekdays_off]


def test_swapped_days_only_in_announced_schedules(holidays):
    for e in holidays:
        if _split_name(e)[1] == SWAPPED:
            assert e["basis"] == "announced", e


def test_working_weekend_days(holidays, working_weekend):
    holiday_dates = {_d(e) for e in holidays}
    for e in working_weekend:
        d = _d(e)
        assert _is_weekend(d), f"a working weekend day must be a Saturday or Sunday: {e}"
        assert d not in holiday_dates, f"listed both as holiday and as working day: {e}"
        assert e["basis"] == "announced", e


# --------------------------------------------------------------------------- known schedules
# Dates of announced civil-service breaks (press reports of the ministry / Government Office
# notices); each must be fully non-working, and the day after must be a working day.

ANNOUNCED_BREAKS = [
    (date(2024, 2, 8), date(2024, 2, 14)),   # Tết 2024
    (date(2024, 4, 27), date(2024, 5, 1)),   # 30/4-1/5 2024
    (date(2024, 8, 31), date(2024, 9, 3)),   # National Day 2024
    (date(2025, 1, 25), date(2025, 2, 2)),   # Tết 2025
    (date(2025, 4, 30), date(2025, 5, 4)),   # 30/4-1/5 2025
    (date(2025, 8, 30), date(2025, 9, 2)),   # National Day 2025
    (date(2026, 1, 1), date(2026, 1, 4)),    # New Year 2026
    (date(2026, 2, 14), date(2026, 2, 22)),  # Tết 2026
    (date(2026, 8, 29), date(2026, 9, 2)),   # National Day 2026
]
ANNOUNCED_WORKING_WEEKEND = [date(2024, 5, 4), date(2025, 4, 26), date(2026, 1, 10),
                             date(2026, 8, 22)]


def _working_day_checker(holidays, working_weekend):
    off = {_d(e) for e in holidays}
    on = {_d(e) for e in working_weekend}

    def is_working(d: date) -> bool:
        if d in on:
            return True
        return not _is_weekend(d) and d not in off

    return is_working


def _nth_working_day(is_working, start: date, n: int) -> date:
    d, seen = start, 0
    while True:
        if is_working(d):
            seen += 1
            if seen == n:
                return d
        d += timedelta(1)


@pytest.mark.parametrize("first,last", ANNOUNCED_BREAKS)
def test_announced_breaks_are_non_working(holidays, working_weekend, first, last):
    is_working = _working_day_checker(holidays, working_weekend)
    d = first
    while d <= last:
        assert not is_working(d), d
        d += timedelta(1)
    assert is_working(last + timedelta(1)) or _is_weekend(last + timedelta(1))


def test_announced_working_weekend_days_present(working_weekend):
    assert sorted(_d(e) for e in working_weekend) == ANNOUNCED_WORKING_WEEKEND


@pytest.mark.parametrize(
    "start,n,expected",
    [
        # DTBB001-style deadline: the 3rd working day of the month
        (date(2025, 2, 1), 3, date(2025, 2, 5)),   # 1-2/2 weekend (end of Tết break)
        (date(2025, 5, 1), 3, date(2025, 5, 7)),   # 1/5 holiday, 2/5 swapped, 3-4/5 weekend
        (date(2026, 1, 1), 3, date(2026, 1, 7)),   # 1/1, 2/1 swapped, 3-4/1 weekend
        (date(2026, 9, 1), 3, date(2026, 9, 7)),   # 1-2/9 holiday
        (date(2026, 2, 16), 1, date(2026, 2, 23)), # Tết 2026: back to work on mùng 7
        (date(2024, 2, 1), 3, date(2024, 2, 5)),   # ordinary week before Tết
        # working Saturday counts: Thu 8/1, Fri 9/1, Sat 10/1/2026
        (date(2026, 1, 8), 3, date(2026, 1, 10)),
        # 2027 statutory: 1/5 Sat -> Mon 3/5 compensatory
        (date(2027, 5, 1), 1, date(2027, 5, 4)),
    ],
)
def test_working_day_deadlines(holidays, working_weekend, start, n, expected):
    is_working = _working_day_checker(holidays, working_weekend)
    assert _nth_working_day(is_working, start, n) == expected
