"""The daily minimum: every day's closing holding against a share of the requirement.

Uses tests/fixtures/generality/floor-fortnights: ratio 10% of the balance on the day 15 days
before the fortnight starts; daily minimum 80% until 2024-02-16, 100% from 2024-02-17.
Expected figures are worked out in the comments; amounts are shown with two decimals (the
pack's default rounding, applied once when presented).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from clirun import FIXTURES, ROOT

from rrr_engine.core.minimums import daily_minimums
from rrr_engine.engine import Engine
from rrr_engine.models import BalanceRow, HoldingRow, Institution
from rrr_engine.money import exact
from rrr_engine.rules.model import DailyMinimum

FLOOR = FIXTURES / "generality" / "floor-fortnights"


def days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(n) for n in range((end - start).days + 1)]


def held(amount: str, first: str, last: str, inst: str = "B") -> list[HoldingRow]:
    return [HoldingRow(inst, day, "EUR", D(amount)) for day in days(first, last)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(FLOOR, entry_points=False)


def run(engine: Engine, period: str, base_day: str, holdings: list[HoldingRow]):
    bank = Institution(id="B", **{"class": "bank"})
    base = [BalanceRow("B", dt.date.fromisoformat(base_day), "liabilities", "EUR", D("1000"))]
    [result] = engine.evaluate(period, institutions=[bank], balances=base, holdings=holdings)
    return result, engine.to_json([result])[0]


def test_a_day_below_the_floor_is_listed_with_its_gap_though_the_average_is_met(engine):
    # period 2024-01-20..02-02, base 2024-01-05: 10% × 1000 = 100; floor 80% × 100 = 80.
    # 13 days at 110 and Sat 2024-01-27 at 70: average (13 × 110 + 70) / 14 = 1500 / 14
    # = 107.14…, no shortfall; 2024-01-27 is 80 − 70 = 10 below the floor.
    rows = held("110", "2024-01-20", "2024-01-26") + held("70", "2024-01-27", "2024-01-27") \
        + held("110", "2024-01-28", "2024-02-02")
    result, shown = run(engine, "2024-01-20", "2024-01-05", rows)
    assert result.shortfall == {"EUR": D(0)}
    assert shown["daily_minimum"] == {"EUR": {
        "rule": "floor-80", "citation": "Test law, Art. 2", "share": "0.8", "minimum": "80.00",
        "days_below": [{"date": "2024-01-27", "held": "70.00", "short": "10.00"}]}}
    finding = next(f for f in shown["findings"] if f["code"] == "below_daily_minimum")
    assert finding["dates"] == ["2024-01-27"] and finding["count"] == 1
    assert "(80% of the requirement) on 1 day(s): 2024-01-27" in finding["message"]
    # a day below the floor is a breach: the result counts as a shortfall (nightly exit 3)
    assert result.has_shortfall


def test_a_day_exactly_at_the_floor_is_not_below(engine):
    rows = held("80", "2024-01-20", "2024-01-20") + held("120", "2024-01-21", "2024-02-02")
    result, shown = run(engine, "2024-01-20", "2024-01-05", rows)
    assert shown["daily_minimum"]["EUR"]["days_below"] == []
    assert not any(f["code"] == "below_daily_minimum" for f in shown["findings"])
    assert not result.has_shortfall


def test_a_carried_day_is_judged_on_the_carried_balance(engine):
    # no row on 2024-01-21..22: Saturday's 75 is carried over both days, both below 80
    rows = held("75", "2024-01-20", "2024-01-20") + held("100", "2024-01-23", "2024-02-02")
    _, shown = run(engine, "2024-01-20", "2024-01-05", rows)
    assert [(d["date"], d["short"]) for d in shown["daily_minimum"]["EUR"]["days_below"]] == [
        ("2024-01-20", "5.00"), ("2024-01-21", "5.00"), ("2024-01-22", "5.00")]


def test_the_floor_in_force_is_chosen_by_the_period_start(engine):
    # 2024-02-17..03-01 (base 2024-02-02) is the first period at 100%: the floor is the
    # whole requirement, 100; a day at 99 is 1 short
    rows = held("101", "2024-02-17", "2024-02-29") + held("99", "2024-03-01", "2024-03-01")
    result, shown = run(engine, "2024-02-17", "2024-02-02", rows)
    floor = shown["daily_minimum"]["EUR"]
    assert (floor["rule"], floor["share"], floor["minimum"]) == ("floor-full", "1", "100.00")
    assert floor["days_below"] == [{"date": "2024-03-01", "held": "99.00", "short": "1.00"}]
    with exact():  # (13 × 101 + 99) / 14 = 1412 / 14, at the engine's 40 digits
        assert result.held == {"EUR": D(1412) / 14}


def test_no_holdings_no_daily_minimum_and_other_packs_unchanged(engine):
    bank = Institution(id="B", **{"class": "bank"})
    base = [BalanceRow("B", dt.date(2024, 1, 5), "liabilities", "EUR", D("1000"))]
    [shown] = engine.to_json(engine.evaluate("2024-01-20", institutions=[bank], balances=base))
    assert "daily_minimum" not in shown
    # a pack without daily_minimum rules keeps its former output
    regd = Engine(ROOT / "rulesets" / "us-regd", entry_points=False)
    inst = Institution(id="D", **{"class": "depository_institution"})
    bal = [BalanceRow("D", d, "net_transaction_accounts", "USD", D("1"))
           for d in days("2019-12-17", "2019-12-30")]
    [out] = regd.to_json(regd.evaluate("2020-01-16", institutions=[inst], balances=bal,
                                       holdings=[HoldingRow("D", dt.date(2020, 1, 16), "USD",
                                                            D("1"))]))
    assert "daily_minimum" not in out


def test_daily_minimums_apply_only_to_the_reserves_named():
    rule = DailyMinimum.model_validate({
        "id": "f", "effective": {"from": "2024-01-01"},
        "citation": {"document": "L", "article": "1"},
        "applies_to": "foreign", "share": "0.5"})

    class Span:
        first, last = dt.date(2024, 1, 1), dt.date(2024, 1, 2)

    series = {dt.date(2024, 1, 1): {"USD": D("40")}}  # 2024-01-02 carries 40
    out = daily_minimums([rule], {"EUR": D("100"), "USD": D("100")}, "EUR", series, Span())
    assert list(out) == ["USD"]  # the domestic requirement has no floor here
    # 50% × 100 = 50; 40 held on both days, 10 short each
    assert [(d.date.day, d.short) for d in out["USD"].days_below] == [(1, D(10)), (2, D(10))]
    # a currency with no holding at all holds nothing, every day
    none = daily_minimums([rule], {"USD": D("100")}, "EUR", {}, Span())
    assert [d.held for d in none["USD"].days_below] == [D(0), D(0)]
