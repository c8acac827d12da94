"""Reading the host file formats: institutions (YAML/JSON), balances, FX rates and holdings (CSV).

Every problem is an :class:`~rrr_engine.errors.InputError` naming the file, the line and the
column, with what was expected; what a row must hold is the row contract shared with plugin
rows (:mod:`rrr_engine.rows`). Amounts are parsed straight to ``Decimal`` from the text, in
plain ASCII notation only (:mod:`rrr_engine.notation`); a negative deposit balance, a blank
amount or an unknown category is refused, never zeroed. Files are untrusted: a CSV is read
line by line through :mod:`rrr_engine.safe_read` (a regular UTF-8 file of at most
:data:`MAX_CSV_BYTES`, lines of at most :data:`MAX_CSV_LINE` bytes, no NUL), so memory stays
bounded, and the process-wide :func:`csv.field_size_limit` is never changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from rrr_engine import rows
from rrr_engine.errors import InputError
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.notation import DECIMAL_EXPECTED, iso_date, plain_decimal, shown
from rrr_engine.rules.model import PackHeader
from rrr_engine.rules.vocabulary import institution_problem
from rrr_engine.rules.yamlsrc import SourceDoc, load_document, parse_model
from rrr_engine.safe_read import MiB, csv_rows

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_LINE", "read_balances", "read_fx_rates", "read_holdings",
           "read_institutions"]

T = TypeVar("T")

# A month of balances of all 1,300 credit institutions of Viet Nam is about 10 MB; a row is
# under 100 bytes. A file is read whole on every run, so a longer history belongs in more files.
MAX_CSV_BYTES = 64 * MiB
MAX_CSV_LINE = 4096


def read_institutions(path: str | Path, classes: tuple[str, ...] | None = None, *,
                      vocabulary: PackHeader | None = None) -> list[Institution]:
    """Institutions from a YAML or JSON list; ids unique, classes among ``classes`` if given.

    With the pack's ``vocabulary``, every record is also checked against its declarations
    (event types and their order, the elected reserve currency, the institution attributes)
    naming the file and line, and comes back with every declared attribute parsed (``null``
    / ``{}`` when not given), as the evaluation reads it.
    """
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
        if vocabulary is not None:
            inst = _declared(doc, index, inst, vocabulary)
        seen[inst.id] = index
        out.append(inst)
    return out


def _declared(doc: SourceDoc, index: int, inst: Institution, vocabulary: PackHeader) -> Institution:
    """``inst`` checked against the pack's declarations, its attributes parsed."""
    values = parse_model(doc, vocabulary.attribute_model, data=inst.attributes, prefix=(index,),
                         error=InputError)
    resolved = Institution.model_validate(
        {**inst.model_dump(by_alias=True, exclude=set(inst.attributes)), **dict(values)})
    problem = institution_problem(vocabulary, resolved)
    if problem is not None:
        where, message = (index, *problem[0]), problem[1]
        if where[1] == "events" and len(where) == 2:
            message = f"institution {inst.id}: {message}"
        raise InputError(message, file=doc.file, line=doc.line_of(where),
                         field=".".join(map(str, where)))
    return resolved


def _rows(path: str | Path, header: tuple[str, ...],
          *aliases: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows under ``header`` (or one of its ``aliases``: the same columns under other
    names), as dicts keyed by the names the file uses."""
    with csv_rows(path, limit=MAX_CSV_BYTES, max_line=MAX_CSV_LINE) as records:
        first = next(records, None)
        if first is None:
            raise InputError(f"the file is empty; expected the header {','.join(header)}",
                             file=path, line=1)
        names = tuple(h.strip() for h in first[1])
        if names not in (header, *aliases):
            other = "".join(f" or {','.join(a)}" for a in aliases)
            raise InputError(f"header must be exactly {','.join(header)}{other}", file=path,
                             line=1)
        for line, row in records:
            if not row:
                continue  # a blank line, as csv.DictReader skips it
            if len(row) != len(header):
                raise InputError(f"expected {len(header)} columns, found {len(row)}",
                                 file=path, line=line)
            yield line, {k: v.strip() for k, v in zip(names, row, strict=True)}


def _field(path: Any, line: int, name: str, text: str, parse: Callable[[str], T],
           expected: str) -> T:
    try:
        return parse(text)
    except ValueError:
        raise InputError(f"{shown(text)} is not {expected}", file=path, line=line,
                         field=name) from None


def _at(path: Any, line: int) -> rows.At:
    """Where a row contract problem is: this file and line."""
    return lambda field, problem: InputError(problem, file=path, line=line, field=field)


_AMOUNT = DECIMAL_EXPECTED.replace("a decimal number", "a decimal amount", 1)
_DATE = "a date YYYY-MM-DD"


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
    seen = rows.Duplicates("institution, date, category and currency", "institution_id")
    for line, r in _rows(path, ("institution_id", "date", "category", "currency", "amount")):
        at = _at(path, line)
        inst = rows.institution_id(r["institution_id"], at)
        day = _field(path, line, "date", r["date"], iso_date, _DATE)
        cat = rows.category(r["category"], categories, at)
        ccy = rows.currency(r["currency"], at)
        amount = rows.balance(_field(path, line, "amount", r["amount"], plain_decimal, _AMOUNT),
                              at)
        seen.check((inst, day, cat, ccy), f"line {line}", at)
        if _inside(day, window):
            out.append(BalanceRow(inst, day, cat, ccy, amount))
    return out


def read_fx_rates(path: str | Path, *, window: Window = None,
                  columns: tuple[str, ...] = ("domestic_per_unit",)) -> list[FxRate]:
    """Balance-sheet rates, units of the domestic currency per unit of a currency (those
    dated in ``window``, if given).

    :param columns: the names the rate column may have (the generic ``domestic_per_unit``,
        then the pack's own, ``pack.fx_rate_column``); a message names the one the file uses.
    """
    out = []
    seen = rows.Duplicates("date and currency")
    header, *aliases = [("date", "currency", c) for c in columns]
    for line, r in _rows(path, header, *aliases):
        at = _at(path, line)
        day = _field(path, line, "date", r["date"], iso_date, _DATE)
        ccy = rows.currency(r["currency"], at)
        named = next(c for c in columns if c in r)  # the file's name for it, in messages
        rate = rows.rate(_field(path, line, named, r[named], plain_decimal,
                                DECIMAL_EXPECTED.replace("a decimal number",
                                                         "a positive decimal rate", 1)),
                         at, named)
        seen.check((day, ccy), f"line {line}", at)
        if _inside(day, window):
            out.append(FxRate(day, ccy, rate))
    return out


def read_holdings(path: str | Path, *, window: Window = None) -> list[HoldingRow]:
    """End-of-day balances of payment accounts at the central bank (may not be negative),
    those dated in ``window`` if given."""
    out = []
    seen = rows.Duplicates("institution, date and currency", "institution_id")
    for line, r in _rows(path, ("institution_id", "date", "currency", "amount")):
        at = _at(path, line)
        inst = rows.institution_id(r["institution_id"], at)
        day = _field(path, line, "date", r["date"], iso_date, _DATE)
        ccy = rows.currency(r["currency"], at)
        amount = rows.balance(_field(path, line, "amount", r["amount"], plain_decimal, _AMOUNT),
                              at)
        seen.check((inst, day, ccy), f"line {line}", at)
        if _inside(day, window):
            out.append(HoldingRow(inst, day, ccy, amount))
    return out
