"""The row contract: one check and one wording per problem, whichever source has the row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from rrr_engine import rows
from rrr_engine.defaults.inputs import read_balances, read_fx_rates, read_holdings
from rrr_engine.errors import InputError


def hook(field: str, problem: str) -> InputError:
    return InputError(f"institution B1, 2025-09-15, vnd_short VND: {problem}", field=field)


@pytest.mark.parametrize("check, value, field, problem", [
    (lambda v, at: rows.balance(v, at), D("-5"), "amount",
     "negative balance -5; expected zero or more"),
    (lambda v, at: rows.balance(v, at), 0.5, "amount",
     "0.5 (float) is not an exact amount; amounts must be finite Decimal values, never float"),
    (lambda v, at: rows.balance(v, at), D("NaN"), "amount",
     "Decimal('NaN') (Decimal) is not an exact amount; amounts must be finite Decimal values, "
     "never float"),
    (lambda v, at: rows.rate(v, at, "vnd_per_unit"), D("0"), "vnd_per_unit",
     "rate 0 must be positive"),
    (lambda v, at: rows.currency(v, at), "vnd", "currency",
     "'vnd' is not an ISO currency code (three capital letters, such as USD)"),
    (lambda v, at: rows.category(v, ("dom", "fx"), at), "savings", "category",
     "unknown category 'savings'; expected one of dom, fx"),
    (lambda v, at: rows.institution_id(v, at), "B\x07", "institution_id",
     "'B\\x07' contains the control or invisible character U+0007; an institution id is "
     "printable text"),
    (lambda v, at: rows.institution_id(v, at), "B" * 65, "institution_id",
     f"{'B' * 40!r}… is 65 characters long; an institution id has at most 64"),
    (lambda v, at: rows.institution_id(v, at), 7, "institution_id",
     "7 (int) is not text; expected an institution id"),
])
def test_each_problem_has_one_wording_and_names_its_field(check, value, field, problem):
    with pytest.raises(InputError) as caught:
        check(value, hook)
    assert caught.value.context["field"] == field
    assert str(caught.value) == f"{field}: institution B1, 2025-09-15, vnd_short VND: {problem}"


def test_good_values_pass_through_exactly():
    assert rows.balance(D("0"), hook) == D("0") and rows.rate(D("25.1"), hook, "r") == D("25.1")
    assert rows.institution_id("BANK1", hook) == "BANK1" and rows.currency("USD", hook) == "USD"


def test_the_second_row_of_a_key_names_the_first():
    seen = rows.Duplicates("date and currency")
    seen.check((dt.date(2025, 9, 1), "USD"), "line 2", hook)
    seen.check((dt.date(2025, 9, 1), "EUR"), "line 3", hook)
    with pytest.raises(InputError, match=r"duplicate row \(same date and currency as line 2\)"):
        seen.check((dt.date(2025, 9, 1), "USD"), "line 4", hook)


def test_the_file_adapter_words_a_problem_as_the_contract_does(tmp_path):
    # the same negative balance, from a balances file and a holdings file: one wording
    balances = tmp_path / "balances.csv"
    balances.write_text("institution_id,date,category,currency,amount\n"
                        "B1,2025-09-15,vnd_short,VND,-5\n")
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("institution_id,date,currency,amount\nB1,2025-09-15,VND,-5\n")
    rates = tmp_path / "fx.csv"
    rates.write_text("date,currency,vnd_per_unit\n2025-09-15,USD,0\n")
    with pytest.raises(InputError) as a:
        read_balances(balances, ("vnd_short",))
    with pytest.raises(InputError) as b:
        read_holdings(holdings)
    with pytest.raises(InputError) as c:
        read_fx_rates(rates, columns=("domestic_per_unit", "vnd_per_unit"))  # as the pack says
    assert str(a.value) == f"{balances}:2: amount: negative balance -5; expected zero or more"
    assert str(b.value) == f"{holdings}:2: amount: negative balance -5; expected zero or more"
    assert str(c.value) == f"{rates}:2: vnd_per_unit: rate 0 must be positive"
