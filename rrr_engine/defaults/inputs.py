"""Reading the host file formats: institutions (YAML/JSON), balances, FX rates and holdings (CSV).

Every problem is an :class:`~rrr_engine.errors.InputError` naming the file, the line and the
column, with what was expected. Amounts are parsed straight to ``Decimal`` from the text, in
plain ASCII notation only (:mod:`rrr_engine.notation`); a negative deposit balance, a blank
amount or an unknown category is refused, never zeroed. Files are untrusted: a CSV is read
line by line through :mod:`rrr_engine.safe_read` (a regular UTF-8 file of at most
:data:`MAX_CSV_BYTES`, lines of at most :data:`MAX_CSV_LINE` bytes, no NUL), so memory stays
bounded, and the process-wide :func:`csv.field_size_limit` is never changed.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from rrr_engine.errors import InputError
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.notation import DECIMAL_EXPECTED, check_id, iso_date, plain_decimal, shown
from rrr_engine.rules.yamlsrc import load_document, parse_model
from rrr_engine.safe_read import MiB, csv_rows

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_LINE", "read_balances", "read_fx_rates", "read_holdings",
           "read_institutions"]

T = TypeVar("T")

# A month of balances of all 1,300 credit institutions of Viet Nam is about 10 MB; a row is
# under 100 bytes. A file is read whole on every run, so a longer history belongs in more files.
MAX_CSV_BYTES = 64 * MiB
MAX_CSV_LINE = 4096
_CCY_CODE = re.compile("[A-Z]{3}")


def read_institutions(path: str | Path,
                      classes: tuple[str, ...] | None = None) -> list[Institution]:
    """Institutions from a YAML or JSON list; ids unique, classes among ``classes`` if given."""
    doc = load_document(path, error=InputError)
    if doc.data is None:
        raise InputError("the file is empty (or only comments); expected a list of "
                         "institutions", file=path, line=1)
    if not isinstance(doc.data, list) or not doc.data:
        raise InputError("expected a non-empty list of institutions (- id: ...)", file=path,
                         line=1)
    seen: dict[str, int] = {}
    out = []
    for index, item in enumerate(doc.data):
        inst = parse_model(doc, Institution, data=item, prefix=(index,), error=InputError)
        if inst.id in seen:
            raise InputError(f"duplicate institution id {inst.id!r} "
                             f"(first at item {seen[inst.id]})",
                             file=path, line=doc.line_of((index, "id")), field=f"{index}.id")
        if classes is not None and inst.class_ not in classes:
            raise InputError(f"unknown institution class {inst.class_!r}; expected one of "
                             f"{', '.join(classes)}", file=path,
                             line=doc.line_of((index, "class")), field=f"{index}.class")
        seen[inst.id] = index
        out.append(inst)
    return out


def _rows(path: str | Path, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    with csv_rows(path, limit=MAX_CSV_BYTES, max_line=MAX_CSV_LINE) as records:
        first = next(records, None)
        if first is None:
            raise InputError(f"the file is empty; expected the header {','.join(header)}",
                             file=path, line=1)
        if tuple(h.strip() for h in first[1]) != header:
            raise InputError(f"header must be exactly {','.join(header)}", file=path, line=1)
        for line, row in records:
            if not row:
                continue  # a blank line, as csv.DictReader skips it
            if len(row) != len(header):
                raise InputError(f"expected {len(header)} columns, found {len(row)}",
                                 file=path, line=line)
            yield line, {k: v.strip() for k, v in zip(header, row, strict=True)}


def _field(path: Any, line: int, name: str, text: str, parse: Callable[[str], T],
           expected: str) -> T:
    try:
        return parse(text)
    except ValueError:
        raise InputError(f"{shown(text)} is not {expected}", file=path, line=line,
                         field=name) from None


def _id(path: Any, line: int, text: str) -> str:
    try:
        return sys.intern(check_id(text, "an institution id"))  # interned: repeated per row
    except ValueError as exc:
        raise InputError(str(exc), file=path, line=line, field="institution_id") from None


def _currency(text: str) -> str:
    if not _CCY_CODE.fullmatch(text):
        raise ValueError
    return sys.intern(text)


_AMOUNT = DECIMAL_EXPECTED.replace("a decimal number", "a decimal amount", 1)
_DATE = "a date YYYY-MM-DD"
_CCY = "an ISO currency code such as VND or USD"


Window = tuple[dt.date, dt.date] | None


def _inside(day: dt.date, window: Window) -> bool:
    return window is None or window[0] <= day <= window[1]


def read_balances(path: str | Path, categories: tuple[str, ...], *,
                  window: Window = None) -> list[BalanceRow]:
    """End-of-day category balances; one row per institution, date, category and currency.

    :param window: keep only rows dated in it (every row is still checked), so memory is
        bounded by the days a run reads, not by the file.
    """
    out: list[BalanceRow] = []
    seen: dict[tuple[str, dt.date, str, str], int] = {}
    for line, r in _rows(path, ("institution_id", "date", "category", "currency", "amount")):
        inst = _id(path, line, r["institution_id"])
        day = _field(path, line, "date", r["date"], iso_date, _DATE)
        if r["category"] not in categories:
            raise InputError(f"unknown category {r['category']!r}; expected one of "
                             f"{', '.join(categories)}", file=path, line=line, field="category")
        ccy = _field(path, line, "currency", r["currency"], _currency, _CCY)
        amount = _field(path, line, "amount", r["amount"], plain_decimal, _AMOUNT)
        if amount < 0:
            raise InputError(f"negative balance {amount}; a reservable balance is zero or more",
                             file=path, line=line, field="amount")
        key = (inst, day, r["category"], ccy)
        if key in seen:
            raise InputError(f"duplicate row (same institution, date, category and currency "
                             f"as line {seen[key]})", file=path, line=line)
        seen[key] = line
        if _inside(day, window):
            out.append(BalanceRow(inst, day, sys.intern(r["category"]), ccy, amount))
    return out


def read_fx_rates(path: str | Path, *, window: Window = None) -> list[FxRate]:
    """Balance-sheet rates, VND per unit of currency (those dated in ``window``, if given)."""
    out = []
    seen: dict[tuple[dt.date, str], int] = {}
    for line, r in _rows(path, ("date", "currency", "vnd_per_unit")):
        day = _field(path, line, "date", r["date"], iso_date, _DATE)
        ccy = _field(path, line, "currency", r["currency"], _currency, _CCY)
        rate = _field(path, line, "vnd_per_unit", r["vnd_per_unit"], plain_decimal,
                      DECIMAL_EXPECTED.replace("a decimal number", "a positive decimal rate", 1))
        if rate <= 0:
            raise InputError(f"rate {rate} must be positive", file=path, line=line,
                             field="vnd_per_unit")
        if (day, ccy) in seen:
            raise InputError(f"duplicate row (same date and currency as line {seen[day, ccy]})",
                             file=path, line=line)
        seen[day, ccy] = line
        if _inside(day, window):
            out.append(FxRate(day, ccy, rate))
    return out


def read_holdings(path: str | Path, *, window: Window = None) -> list[HoldingRow]:
    """End-of-day balances of payment accounts at the central bank (may not be negative),
    those dated in ``window`` if given."""
    out = []
    seen: dict[tuple[str, dt.date, str], int] = {}
    for line, r in _rows(path, ("institution_id", "date", "currency", "amount")):
        inst = _id(path, line, r["institution_id"])
        day = _field(path, line, "date", r["date"], iso_date, _DATE)
        ccy = _field(path, line, "currency", r["currency"], _currency, _CCY)
        amount = _field(path, line, "amount", r["amount"], plain_decimal, _AMOUNT)
        if amount < 0:
            raise InputError(f"negative balance {amount}; expected zero or more", file=path,
                             line=line, field="amount")
        key = (inst, day, ccy)
        if key in seen:
            raise InputError(f"duplicate row (same institution, date and currency as line "
                             f"{seen[key]})", file=path, line=line)
        seen[key] = line
        if _inside(day, window):
            out.append(HoldingRow(inst, day, ccy, amount))
    return out
