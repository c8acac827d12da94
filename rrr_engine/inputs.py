"""Reading the host file formats: institutions (YAML/JSON), balances, FX rates and holdings (CSV).

Every problem is an :class:`~rrr_engine.errors.InputError` naming the file, the line and the
column, with what was expected. Amounts are parsed straight to ``Decimal`` from the text; a
negative deposit balance, a blank amount or an unknown category is refused, never zeroed.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from .errors import InputError
from .models import BalanceRow, FxRate, HoldingRow, Institution
from .yamlsrc import load_document, parse_model

__all__ = ["read_balances", "read_fx_rates", "read_holdings", "read_institutions"]

T = TypeVar("T")


def read_institutions(path: str | Path, classes: tuple[str, ...] | None = None) -> list[Institution]:
    """Institutions from a YAML or JSON list; ids unique, classes among ``classes`` if given."""
    doc = load_document(path, error=InputError)
    if not isinstance(doc.data, list) or not doc.data:
        raise InputError("expected a non-empty list of institutions", file=path, line=1)
    seen: dict[str, int] = {}
    out = []
    for index, item in enumerate(doc.data):
        inst = parse_model(doc, Institution, data=item, prefix=(index,), error=InputError)
        if inst.id in seen:
            raise InputError(f"duplicate institution id {inst.id!r} (first at item {seen[inst.id]})",
                             file=path, line=doc.line_of((index, "id")), field=f"{index}.id")
        if classes is not None and inst.class_ not in classes:
            raise InputError(f"unknown institution class {inst.class_!r}; expected one of "
                             f"{', '.join(classes)}", file=path,
                             line=doc.line_of((index, "class")), field=f"{index}.class")
        seen[inst.id] = index
        out.append(inst)
    return out


def _rows(path: str | Path, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    with handle:
        reader = csv.DictReader(handle)
        if tuple(h.strip() for h in (reader.fieldnames or ())) != header:
            raise InputError(f"header must be exactly {','.join(header)}", file=path, line=1)
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise InputError(f"expected {len(header)} columns", file=path, line=reader.line_num)
            yield reader.line_num, {k.strip(): v.strip() for k, v in row.items()}


def _field(path: Any, line: int, name: str, text: str, parse: Callable[[str], T], expected: str) -> T:
    try:
        return parse(text)
    except (ValueError, InvalidOperation):
        raise InputError(f"{text!r} is not {expected}", file=path, line=line, field=name) from None


def _amount(text: str) -> Decimal:
    if not text:
        raise ValueError
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError
    return value


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _currency(text: str) -> str:
    if len(text) != 3 or not text.isalpha() or not text.isupper():
        raise ValueError
    return text


_AMOUNT = "a decimal amount such as 1250000.50"
_DATE = "a date YYYY-MM-DD"
_CCY = "an ISO currency code such as VND or USD"


def read_balances(path: str | Path, categories: tuple[str, ...]) -> list[BalanceRow]:
    """End-of-day category balances; one row per institution, date, category and currency."""
    out: list[BalanceRow] = []
    seen: dict[tuple[str, dt.date, str, str], int] = {}
    for line, r in _rows(path, ("institution_id", "date", "category", "currency", "amount")):
        if not r["institution_id"]:
            raise InputError("is empty; expected an institution id", file=path, line=line,
                             field="institution_id")
        day = _field(path, line, "date", r["date"], _date, _DATE)
        if r["category"] not in categories:
            raise InputError(f"unknown category {r['category']!r}; expected one of "
                             f"{', '.join(categories)}", file=path, line=line, field="category")
        ccy = _field(path, line, "currency", r["currency"], _currency, _CCY)
        amount = _field(path, line, "amount", r["amount"], _amount, _AMOUNT)
        if amount < 0:
            raise InputError(f"negative balance {amount}; a reservable balance is zero or more",
                             file=path, line=line, field="amount")
        key = (r["institution_id"], day, r["category"], ccy)
        if key in seen:
            raise InputError(f"duplicate row (same institution, date, category and currency "
                             f"as line {seen[key]})", file=path, line=line)
        seen[key] = line
        out.append(BalanceRow(r["institution_id"], day, r["category"], ccy, amount))
    return out


def read_fx_rates(path: str | Path) -> list[FxRate]:
    """Balance-sheet rates, VND per unit of currency."""
    out = []
    for line, r in _rows(path, ("date", "currency", "vnd_per_unit")):
        day = _field(path, line, "date", r["date"], _date, _DATE)
        ccy = _field(path, line, "currency", r["currency"], _currency, _CCY)
        rate = _field(path, line, "vnd_per_unit", r["vnd_per_unit"], _amount, "a positive decimal rate")
        if rate <= 0:
            raise InputError(f"rate {rate} must be positive", file=path, line=line, field="vnd_per_unit")
        out.append(FxRate(day, ccy, rate))
    return out


def read_holdings(path: str | Path) -> list[HoldingRow]:
    """End-of-day balances of payment accounts at the central bank (may not be negative)."""
    out = []
    for line, r in _rows(path, ("institution_id", "date", "currency", "amount")):
        day = _field(path, line, "date", r["date"], _date, _DATE)
        ccy = _field(path, line, "currency", r["currency"], _currency, _CCY)
        amount = _field(path, line, "amount", r["amount"], _amount, _AMOUNT)
        if amount < 0:
            raise InputError(f"negative balance {amount}; expected zero or more", file=path,
                             line=line, field="amount")
        out.append(HoldingRow(r["institution_id"], day, ccy, amount))
    return out
