"""Exemption timing from dated events, settings that change it, and working-day deadlines."""

import datetime as dt
import shutil
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from clirun import VN_PACK

from rrr_engine.engine import Engine
from rrr_engine.models import BalanceRow, Event, Institution
from rrr_engine.periods import Month


def bank(cls="other_ci", *events):
    return Institution(id="X", **{"class": cls},
                       events=[Event(type=t, date=dt.date.fromisoformat(d)) for t, d in events])


def balances(month, amount=D("1000"), days=None):
    return [BalanceRow("X", day, "vnd_short", "VND", amount) for day in Month.parse(month).dates()
            if days is None or day.day in days]


def result(engine, inst, period, rows=None):
    computation = Month.parse(period) - 1
    given = balances(str(computation)) if rows is None else rows
    return engine.to_json(engine.evaluate(period, institutions=[inst], balances=given))[0]


@pytest.fixture(scope="module")
def vn():
    return Engine(VN_PACK)


def test_special_control_exempts_from_the_month_after_the_decision(vn):
    inst = bank("other_ci", ("special_control_start", "2025-08-15"),
                ("special_control_end", "2025-12-10"))
    assert result(vn, inst, "2025-08")["status"] == "required"
    sept = result(vn, inst, "2025-09")
    assert sept["status"] == "exempt"
    assert sept["exemption"]["rule"] == "c30-special-control"
    assert (sept["exemption"]["from"], sept["exemption"]["to"]) == ("2025-09", "2025-12")
    assert "Circular 30/2019/TT-NHNN" in sept["exemption"]["citation"]
    assert sept["lines"] == [] and sept["required"] == {}
    assert result(vn, inst, "2025-12")["status"] == "exempt"  # the end month is included
    assert result(vn, inst, "2026-01")["status"] == "required"


def test_special_control_end_inclusive_is_a_live_setting(tmp_path):
    pack = tmp_path / "vn"
    shutil.copytree(VN_PACK, pack)
    text = (pack / "pack.yaml").read_text()
    marker = "  special_control_end_inclusive:\n    value: true"
    assert marker in text
    (pack / "pack.yaml").write_text(text.replace(marker, marker.replace("true", "false")))
    inst = bank("other_ci", ("special_control_start", "2025-08-15"),
                ("special_control_end", "2025-12-10"))
    engine = Engine(pack)
    assert result(engine, inst, "2025-11")["exemption"]["to"] == "2025-11"
    assert result(engine, inst, "2025-12")["status"] == "required"


def test_winding_up_exempts_from_the_month_after_permanently(vn):
    inst = bank("other_ci", ("licence_revoked", "2025-09-30"))
    assert result(vn, inst, "2025-09")["status"] == "required"
    later = result(vn, inst, "2027-03")
    assert later["status"] == "exempt" and later["exemption"]["rule"] == "c30-winding-up"
    assert (later["exemption"]["from"], later["exemption"]["to"]) == ("2025-10", None)


def test_policy_bank_exempt_from_october_2025(vn):
    out = result(vn, bank("policy_bank"), "2025-10")
    assert out["status"] == "exempt" and out["exemption"]["rule"] == "c23-policy-bank"
    assert (out["exemption"]["from"], out["exemption"]["to"]) == ("2025-10", None)


def test_new_institution_exempt_until_end_of_month_operations_start(vn):
    inst = bank("other_ci", ("licensed", "2025-03-01"), ("commenced_operations", "2025-09-10"))
    sept = result(vn, inst, "2025-09", rows=[])  # exempt: no balances needed
    assert sept["status"] == "exempt" and sept["exemption"]["rule"] == "c30-not-yet-operating"
    assert (sept["exemption"]["from"], sept["exemption"]["to"]) == ("2025-03", "2025-09")
    # written notice within 3 working days of 2025-09-10 (Wed): Thu 11, Fri 12, Mon 15
    notice = next(f for f in sept["findings"] if f["code"] == "operations_notice_due")
    assert notice["due"] == "2025-09-15"
    # first computation month: 9 days before opening count as zero, average over 30 days
    octo = result(vn, inst, "2025-10", rows=balances("2025-09", D("3000"), days=range(10, 31)))
    line = next(ln for ln in octo["lines"] if ln["category"] == "vnd_short")
    assert D(line["average_base"]) == D("2100")  # 3,000 × 21 days / 30
    assert next(f for f in octo["findings"] if f["code"] == "days_before_opening")["count"] == 9


def test_missing_days_are_carried_forward_and_listed(vn):
    # only business days sent; weekends carry the Friday balance; the first day carries
    # the last balance of August
    rows = [BalanceRow("X", day, "vnd_short", "VND", D(day.day)) for day in Month(2025, 9).dates()
            if day.weekday() < 5 and day.day != 1] + [
        BalanceRow("X", dt.date(2025, 8, 29), "vnd_short", "VND", D("100"))]
    out = result(vn, bank(), "2025-10", rows=rows)
    filled = next(f for f in out["findings"] if f["code"] == "filled_days")
    weekend = [str(d) for d in Month(2025, 9).dates() if d.weekday() >= 5]
    assert filled["dates"] == sorted(["2025-09-01"] + weekend)
    # independent sum: each day's value is the day-of-month of the last business day at or before it
    expected = D(0)
    for day in Month(2025, 9).dates():
        carried = day
        while carried.weekday() >= 5:
            carried -= dt.timedelta(days=1)
        expected += D(100) if carried.day == 1 or carried.month == 8 else D(carried.day)
    line = next(ln for ln in out["lines"] if ln["category"] == "vnd_short")
    assert D(line["average_base"]) == (expected / 30).quantize(D(1), rounding=ROUND_HALF_UP)


def test_dtbb001_due_on_third_working_day_skipping_national_day(vn):
    # September 2025: Mon 1 and Tue 2 are National Day holidays → Wed 3, Thu 4, Fri 5
    out = result(vn, bank(), "2025-09")
    due = next(f for f in out["findings"] if f["code"] == "dtbb001_due")
    assert due["due"] == "2025-09-05" and "warning" not in due


def test_dtbb001_due_outside_the_calendar_is_flagged(vn):
    out = result(vn, bank(), "2031-02")
    due = next(f for f in out["findings"] if f["code"] == "dtbb001_due")
    assert "does not cover 2031" in due["warning"]


def test_zero_ratio_classes_do_not_report(vn):
    out = result(vn, bank("people_credit_fund"), "2025-10", rows=[])
    codes = [f["code"] for f in out["findings"]]
    assert "not_reporting" in codes and "dtbb001_due" not in codes
    assert out["required"] == {"VND": "0", "USD": "0.00"}
