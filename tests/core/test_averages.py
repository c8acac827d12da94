"""Missing rows are carried per (category, currency), listed per key, or refused; never zero.

A day the host sent some rows for but not a key that had a balance the day before takes that
key's previous balance, as the pack's ``missing_days: carry_forward`` declares, and the
``filled_days`` finding names the key and the day; with ``missing_days: error`` the day is
refused. The nightly's stored DTBB001 averages use the same function as the engine.
"""

import datetime as dt
import shutil
from decimal import Decimal as D

import pytest
from clirun import FIXTURES, VN_PACK, rrr

from rrr_engine.core.averages import balance_at, daily_series, monthly_average
from rrr_engine.engine import Engine
from rrr_engine.errors import MissingDataError
from rrr_engine.models import BalanceRow, HoldingRow, Institution
from rrr_engine.periods import Month

SEPT = Month(2025, 9)
SHORT, LONG = ("vnd_short", "VND"), ("vnd_long", "VND")


def day(n, month=9):
    return dt.date(2025, month, n)


def rows(*spans):
    """(key, amount, first day, last day) spans of September as (date, key, amount) rows."""
    return [(day(n), key, D(amount)) for key, amount, first, last in spans
            for n in range(first, last + 1)]


def average(series, missing_days="carry_forward", period=SEPT):
    return monthly_average(daily_series(series), period, missing_days=missing_days,
                           what="balances", institution="X")


def test_a_key_left_out_of_a_day_with_rows_takes_its_previous_balance():
    # vnd_long is sent every day but the 10th; that day still has a vnd_short row
    avg = average(rows((SHORT, "300", 1, 30), (LONG, "60", 1, 9), (LONG, "60", 11, 30)))
    assert avg.averages == {SHORT: D("300"), LONG: D("60")}  # 30 × 60 / 30, not 29 × 60 / 30
    assert avg.filled == {LONG: (day(10),)}
    assert avg.filled_days == (day(10),) and avg.partial_days == (day(10),)


def test_a_key_carried_over_several_days_uses_its_last_sent_balance_each_day():
    avg = average(rows((SHORT, "1", 1, 30), (LONG, "90", 1, 4), (LONG, "30", 5, 27)))
    # 1-4 at 90, 5-27 at 30, 28-30 carried at 30: (360 + 690 + 90) / 30 = 38
    assert avg.averages[LONG] == D("38")
    assert avg.filled == {LONG: (day(28), day(29), day(30))}


def test_a_day_with_no_rows_carries_every_key_and_is_listed_per_key():
    avg = average(rows((SHORT, "10", 1, 5), (LONG, "20", 1, 5), (SHORT, "40", 8, 30),
                       (LONG, "50", 8, 30)))
    assert avg.filled == {SHORT: (day(6), day(7)), LONG: (day(6), day(7))}
    assert avg.filled_days == (day(6), day(7)) and avg.partial_days == ()
    assert avg.averages == {SHORT: (7 * D(10) + 23 * D(40)) / 30,
                            LONG: (7 * D(20) + 23 * D(50)) / 30}


def test_a_key_with_no_earlier_balance_is_not_missing():
    # vnd_long deposits start on the 16th: before that the institution had none
    avg = average(rows((SHORT, "30", 1, 30), (LONG, "30", 16, 30)))
    assert avg.averages[LONG] == D(15) and avg.filled == {}


def test_a_key_left_out_before_the_month_is_carried_into_it():
    # the carry window: vnd_long last sent on 28 Aug, vnd_short every day from 25 Aug
    series = [(dt.date(2025, 8, 25) + dt.timedelta(days=i), SHORT, D("10")) for i in range(37)]
    series += [(dt.date(2025, 8, 28), LONG, D("45"))]
    avg = average(series)
    assert avg.averages[LONG] == D("45")
    assert avg.filled[LONG] == tuple(SEPT.dates())


def test_missing_days_error_refuses_a_left_out_key_naming_it_and_the_day():
    with pytest.raises(MissingDataError) as err:
        average(rows((SHORT, "300", 1, 30), (LONG, "60", 1, 9), (LONG, "60", 11, 30)),
                missing_days="error")
    assert str(err.value) == ("balances: no balances row on 2025-09-10 for vnd_long VND, which "
                              "had a balance the day before (missing_days is 'error')")


def test_missing_days_error_still_refuses_a_day_without_rows():
    with pytest.raises(MissingDataError, match=r"no balances on 2025-09-06 \(missing_days"):
        average(rows((SHORT, "1", 1, 5), (SHORT, "1", 7, 30)), missing_days="error")


def test_days_before_operations_commenced_still_count_as_zero():
    avg = monthly_average(daily_series(rows((SHORT, "30", 11, 30))), SEPT,
                          missing_days="carry_forward", opened=day(11), what="balances",
                          institution="X")
    assert avg.averages == {SHORT: D(20)} and len(avg.zero_days) == 10 and avg.filled == {}


def test_reference_date_carries_a_left_out_key():
    series = daily_series(rows((SHORT, "5", 1, 30), (LONG, "7", 1, 29)))
    at = balance_at(series, SEPT, missing_days="carry_forward", what="balances", institution="X")
    assert at.averages == {SHORT: D(5), LONG: D(7)}
    assert at.filled == {LONG: (day(30),)} and at.partial_days == (day(30),)
    with pytest.raises(MissingDataError, match="vnd_long VND"):
        balance_at(series, SEPT, missing_days="error", what="balances", institution="X")


def test_holdings_are_carried_per_currency():
    series = daily_series([(day(n), "VND", D("100")) for n in range(1, 31)]
                          + [(day(n), "USD", D("8")) for n in range(1, 30) if n != 12])
    avg = monthly_average(series, SEPT, missing_days="carry_forward", what="holdings",
                          institution="X")
    assert avg.averages == {"VND": D(100), "USD": D(8)}
    assert avg.filled == {"USD": (day(12), day(30))}


@pytest.fixture(scope="module")
def vn():
    return Engine(VN_PACK)


def _bank_rows():
    """vnd_short every September day; vnd_long left out on 10 Sep; fx_short every day."""
    out = []
    for date in SEPT.dates():
        out.append(BalanceRow("X1", date, "vnd_short", "VND", D("30000")))
        if date.day != 10:
            out.append(BalanceRow("X1", date, "vnd_long", "VND", D("6000")))
        out.append(BalanceRow("X1", date, "fx_short", "USD", D("100")))
    return out


def test_the_engine_lists_the_left_out_row_per_key(vn):
    inst = Institution(id="X1", **{"class": "other_ci"})
    (result,) = vn.to_json(vn.evaluate("2025-10", institutions=[inst], balances=_bank_rows()))
    line = next(ln for ln in result["lines"] if ln["category"] == "vnd_long")
    assert D(line["average_base"]) == D("6000") and D(line["required"]) == D("60")
    filled = next(f for f in result["findings"] if f["code"] == "filled_days")
    assert filled["source"] == "balances" and filled["count"] == 1
    assert filled["dates"] == ["2025-09-10"] and filled["partial_dates"] == ["2025-09-10"]
    assert filled["keys"] == [{"category": "vnd_long", "currency": "VND", "count": 1,
                               "dates": ["2025-09-10"]}]
    assert filled["message"] == (
        "1 day(s) of balances carried forward from the previous day: 2025-09-10; rows the host "
        "did not send, carried forward per key: vnd_long VND on 2025-09-10")


def test_the_result_carries_the_base_averages_the_nightly_stores(vn):
    # the nightly stores these per category and deposit currency (the form's figures) as the
    # result has them: carried forward the same way, never recomputed
    inst = Institution(id="X1", **{"class": "other_ci"})
    (result,) = vn.evaluate("2025-10", institutions=[inst], balances=_bank_rows())
    assert result.base_averages == {
        SHORT: D("30000"), LONG: D("6000"), ("fx_short", "USD"): D("100")}
    assert result.version == Month(2025, 10) and result.ruleset["version"] == "2025-10"


def test_missing_days_error_in_the_pack_refuses_the_left_out_row(tmp_path, capsys):
    pack = tmp_path / "vn"
    shutil.copytree(VN_PACK, pack, ignore=shutil.ignore_patterns("scenarios"))
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    marker = "  missing_days:\n    value: carry_forward"
    assert marker in text
    (pack / "pack.yaml").write_text(text.replace(marker, "  missing_days:\n    value: error"),
                                    encoding="utf-8")
    balances = tmp_path / "balances.csv"
    balances.write_text("institution_id,date,category,currency,amount\n" + "".join(
        f"X1,{r.date},{r.category},{r.currency},{r.amount}\n" for r in _bank_rows()))
    code, out, err = rrr(capsys, "evaluate", "--rules", pack, "--institutions",
                         FIXTURES / "bad_inputs" / "ok_bank.yaml", "--balances", balances,
                         "--period", "2025-10")
    assert code == 2 and out == ""
    assert err == ("rrr: error: institution X1: balances: no balances row on 2025-09-10 for "
                   "vnd_long VND, which had a balance the day before (missing_days is 'error')\n")


def test_holding_rows_left_out_are_listed_as_holdings(vn):
    inst = Institution(id="X1", **{"class": "other_ci"})
    holdings = [HoldingRow("X1", date, "VND", D("1000")) for date in Month(2025, 10).dates()]
    holdings += [HoldingRow("X1", date, "USD", D("10")) for date in Month(2025, 10).dates()
                 if date.day < 20]
    (result,) = vn.to_json(vn.evaluate("2025-10", institutions=[inst], balances=_bank_rows(),
                                       holdings=holdings))
    filled = next(f for f in result["findings"]
                  if f["code"] == "filled_days" and f["source"] == "holdings")
    assert filled["keys"] == [{"currency": "USD", "count": 12,
                               "dates": [str(day(n, 10)) for n in range(20, 32)]}]
    assert D(result["held"]["USD"]) == D("10.00")
