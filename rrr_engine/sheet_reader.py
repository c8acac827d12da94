"""Reading a decision table (CSV or XLSX) back into a ratio table, with every bad cell named.

Each problem is an issue pointing at its cell, ``file:Sheet!C4: key: problem`` in a workbook
or ``file:line: C4 (key): problem`` in a CSV, and all of them are collected before anything
is decided. Cells are read as text; a cell Excel stored as a binary number is refused, since
it is not exact. A ratio cell is a ratio, ``unset`` or bands (:mod:`rrr_engine.cell_text`).
The effective dates are months in a monthly pack and days (or months) in a calendar pack,
where a date cell Excel made of a typed day is read as that day.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .bands import Cell
from .cell_text import CellTextError, parse_cell
from .errors import RuleFileError
from .pack_issues import Issue
from .rules_model import RatioTable
from .rulesets import RulePack
from .sheet_safety import restore

__all__ = ["LABELS", "col", "read_table"]

LABELS = ("pack", "table", "title", "effective_from", "effective_to", "citation_document",
          "citation_article", "citation_clause", "citation_amended_by", "citation_note")


def col(index: int) -> str:
    """The spreadsheet column name of a 0-based index: 0 → A, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


class _Grid:
    """Cells of a CSV or XLSX file with their references, and the issues found reading them."""

    def __init__(self, path: Path, calendar: bool = False) -> None:
        self.path, self.issues, self.calendar = path, [], calendar
        self.xlsx = path.suffix.lower() == ".xlsx"
        if self.xlsx:
            self.rows, self.sheet = _read_xlsx(path)
        elif path.suffix.lower() == ".csv":
            self.sheet = ""
            try:
                with path.open(newline="", encoding="utf-8-sig") as handle:
                    # the export quoted text a spreadsheet would run: take the quote off again
                    self.rows = [[restore(c) for c in r] for r in csv.reader(handle)]
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleFileError(f"cannot read file ({exc.__class__.__name__})", file=path) from None
        else:
            raise RuleFileError("expected a .csv or .xlsx file", file=path)

    def raw(self, r: int, c: int) -> Any:
        return self.rows[r][c] if r < len(self.rows) and c < len(self.rows[r]) else None

    def issue(self, r: int, c: int, what: str, problem: str) -> None:
        ref = f"{col(c)}{r + 1}"
        if self.xlsx:
            self.issues.append(Issue("error", "cell", str(self.path), f"{self.sheet}!{ref}", what, problem))  # type: ignore[arg-type]
        else:
            self.issues.append(Issue("error", "cell", str(self.path), r + 1, f"{ref} ({what})", problem))

    def text(self, r: int, c: int, what: str, *, month: bool = False) -> str:
        value = self.raw(r, c)
        if value is None:
            return ""
        if isinstance(value, bool):
            self.issue(r, c, what, f"{value} is a TRUE/FALSE cell; type the text instead")
            return ""
        if isinstance(value, float):
            self.issue(r, c, what, f"{value!r} is stored as a binary number, which is not exact; "
                       "format the cell as Text and type the value (e.g. 0.03 or 3%)")
            return ""
        if isinstance(value, (dt.date, dt.datetime)):
            day = value.date() if isinstance(value, dt.datetime) else value
            if month and self.calendar:  # a calendar pack's rules are dated by days
                return day.isoformat()
            if month and value.day == 1:
                return f"{value.year:04d}-{value.month:02d}"
            self.issue(r, c, what, f"{value} is a date cell; type the month as text, e.g. 2025-10")
            return ""
        return str(value).strip()


def _read_xlsx(path: Path) -> tuple[list[list[Any]], str]:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise RuleFileError(f"cannot read the workbook ({exc.__class__.__name__}: {exc})",
                            file=path) from None
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return rows, ws.title


def _cell(grid: _Grid, r: int, c: int, cat: str) -> tuple[bool, Cell]:
    """(present, value) of one ratio cell; an unreadable cell is an issue and absent."""
    value = grid.raw(r, c)
    if isinstance(value, int) and not isinstance(value, bool):
        return True, Decimal(value)
    text = grid.text(r, c, cat)
    if not text:
        return False, None
    try:
        return True, parse_cell(text, cat)
    except CellTextError as exc:
        grid.issue(r, c, cat, str(exc))
        return False, None


def read_table(path: Path, pack: RulePack) -> tuple[RatioTable | None, list[Issue], str | None]:
    """(table, issues, pack id the file names) from a decision table file."""
    grid = _Grid(path, calendar=pack.periods.kind != "monthly")
    labels: dict[str, int] = {}
    header = None
    for r in range(1, len(grid.rows)):
        first = grid.text(r, 0, "label")
        if first.lower() == "classes":
            header = r
            break
        if first:
            key = first.lower().replace(" ", "_")
            if key not in LABELS:
                grid.issue(r, 0, "label", f"unknown label {first!r}; expected one of {', '.join(LABELS)}")
            labels[key] = r
    if header is None:
        grid.issue(len(grid.rows), 0, "classes", "no header row starting with 'classes'")
        return None, grid.issues, None
    value = {k: grid.text(r, 1, k, month=k.startswith("effective")) for k, r in labels.items()}
    cats, reason_col = {}, None
    for c in range(1, len(grid.rows[header])):
        name = grid.text(header, c, "header")
        if name == "unset_reason":
            reason_col = c
        elif name in pack.header.categories and name not in cats.values():
            cats[c] = name
        elif name:
            grid.issue(header, c, "header", f"unknown or repeated category {name!r}; the pack's "
                       f"categories: {', '.join(pack.header.categories)}")
    rows, where = [], {}
    for r in range(header + 1, len(grid.rows)):
        classes = [x.strip() for x in grid.text(r, 0, "classes").split(",") if x.strip()]
        values = {cat: v for c, cat in cats.items() for present, v in [_cell(grid, r, c, cat)] if present}
        reason = grid.text(r, reason_col, "unset_reason") if reason_col is not None else ""
        if not classes and not values and not reason:
            continue
        for name in classes:
            if name not in pack.header.classes:
                grid.issue(r, 0, "classes", f"unknown class {name!r}; the pack's classes: "
                           f"{', '.join(pack.header.classes)}")
        where[len(rows)] = r
        rows.append({"classes": classes, "values": values,
                     **({"unset_reason": reason} if reason else {})})
    data = {"id": value.get("table", ""), "title": value.get("title", ""),
            "effective": {"from": value.get("effective_from") or None,
                          "to": value.get("effective_to") or None},
            "citation": {"document": value.get("citation_document", ""),
                         "article": value.get("citation_article", ""),
                         "clause": value.get("citation_clause") or None,
                         # amending documents, separated by semicolons
                         "amended_by": [d.strip() for d in
                                        value.get("citation_amended_by", "").split(";")
                                        if d.strip()],
                         "note": value.get("citation_note") or None},
            "rows": rows}
    try:
        table = RatioTable.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors:
            if err["type"] == "too_short" and any(
                    e is not err and e["loc"][:len(err["loc"])] == err["loc"] for e in errors):
                continue  # "no rows" only because a row itself failed: said already
            r, c, what = _cell_of(err["loc"], labels, header, where, cats, reason_col)
            msg = err["msg"].removeprefix("Value error, ")
            head, _, rest = msg.partition(": ")
            if what == "classes" and rest and head in cats.values():  # a row's "cat: problem"
                c, what, msg = next(k for k, v in cats.items() if v == head), head, rest
            grid.issue(r, c, what, "required, but empty" if err["type"] in ("missing", "string_too_short") else msg)
        table = None
    return (None if grid.issues else table), grid.issues, value.get("pack") or None


def _cell_of(loc: tuple[Any, ...], labels: dict[str, int], header: int, where: dict[int, int],
             cats: dict[int, str], reason_col: int | None) -> tuple[int, int, str]:
    """The cell a validation error is about: (row, column, key)."""
    head = loc[0] if loc else ""
    if head == "rows" and len(loc) > 1 and isinstance(loc[1], int):
        r = where.get(loc[1], header)
        if len(loc) > 3 and loc[2] == "values":
            col = next((c for c, cat in cats.items() if cat == loc[3]), 0)
            return r, col, str(loc[3])
        if len(loc) > 2 and loc[2] == "unset_reason" and reason_col is not None:
            return r, reason_col, "unset_reason"
        return r, 0, "classes"
    if head in ("effective", "citation"):
        part = loc[1] if len(loc) > 1 else ("to" if head == "effective" else "document")
        key = f"{head}_{'from' if part == 'from_' else part}"
        return labels.get(key, 0), 1, key
    key = {"id": "table"}.get(str(head), str(head))
    return labels.get(key, header), 1 if key in labels else 0, key
