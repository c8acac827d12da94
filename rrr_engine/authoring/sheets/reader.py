"""Reading a decision table (CSV or XLSX) back into a ratio table, with every bad cell named.

Each problem is an issue pointing at its cell, ``file:Sheet!C4: key: problem`` in a workbook or
``file:line: C4 (key): problem`` in a CSV, and all of them are collected before anything is decided.
Cells are read as text; a cell Excel stored as a binary number is refused, since it is not exact. A
ratio cell is a ratio, ``unset`` or bands (:mod:`rrr_engine.authoring.sheets.cell_text`). The
effective dates are months in a monthly pack and days (or months) in a calendar pack, where a date
cell Excel made of a typed day is read as that day.

The file is untrusted: it is opened through :mod:`rrr_engine.safe_read` (a regular file of at
most :data:`MAX_TABLE_BYTES`); a workbook whose parts unpack to more than
:data:`MAX_UNPACKED_BYTES` (a zip bomb) is refused before openpyxl reads it, and a table of
more than :data:`MAX_ROWS` rows or :data:`MAX_COLUMNS` columns, or a cell longer than
:data:`MAX_CELL` characters, is refused rather than read into memory.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rrr_engine.authoring.sheets.cell_text import CellTextError, parse_cell
from rrr_engine.errors import RuleFileError
from rrr_engine.rules.bands import Cell
from rrr_engine.rules.issues import Issue
from rrr_engine.rules.model import RatioTable
from rrr_engine.rules.pack import RulePack
from rrr_engine.safe_read import MiB, csv_rows, open_regular
from rrr_engine.sheet_safety import restore

__all__ = ["AMENDMENT_LABELS", "LABELS", "MAX_CELL", "MAX_COLUMNS", "MAX_ROWS", "MAX_TABLE_BYTES",
           "MAX_UNPACKED_BYTES", "col", "read_table"]

# A decision table is a few dozen rows of short cells: a few kilobytes, as CSV or XLSX.
MAX_TABLE_BYTES = 8 * MiB
MAX_UNPACKED_BYTES = 32 * MiB
MAX_ROWS = 10_000
MAX_COLUMNS = 200
MAX_CELL = 4096

LABELS = ("pack", "table", "title", "effective_from", "effective_to", "citation_document",
          "citation_article", "citation_clause", "citation_amended_by", "citation_note")
# an amendment made in the sheet: the cells typed differently take effect from amendment_from
AMENDMENT_LABELS = ("amendment_from", "amendment_citation_document",
                    "amendment_citation_article", "amendment_citation_clause",
                    "amendment_citation_note")
_DATES = ("effective_from", "effective_to", "amendment_from")


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
        self.path, self.calendar = path, calendar
        self.issues: list[Issue] = []
        self.xlsx = path.suffix.lower() == ".xlsx"
        if self.xlsx:
            self.rows, self.sheet = _read_xlsx(path)
        elif path.suffix.lower() == ".csv":
            self.sheet = ""
            # the export quoted text a spreadsheet would run: take the quote off again
            self.rows = [[restore(c) if isinstance(c, str) else c for c in r]
                         for r in _read_csv(path)]
        else:
            raise RuleFileError("expected a .csv or .xlsx file", file=path)

    def raw(self, r: int, c: int) -> Any:
        return self.rows[r][c] if r < len(self.rows) and c < len(self.rows[r]) else None

    def issue(self, r: int, c: int, what: str, problem: str) -> None:
        ref = f"{col(c)}{r + 1}"
        if self.xlsx:
            self.issues.append(Issue("error", "cell", str(self.path), f"{self.sheet}!{ref}", what,
                                     problem))
        else:
            self.issues.append(Issue("error", "cell", str(self.path), r + 1, f"{ref} ({what})",
                                     problem))

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
        if isinstance(value, str) and len(value) > MAX_CELL:
            self.issue(r, c, what, f"the cell holds {len(value)} characters; at most {MAX_CELL}")
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


def _bounded(rows: Any, path: Path) -> list[list[Any]]:
    """At most MAX_ROWS rows of at most MAX_COLUMNS cells (trailing empty cells dropped)."""
    out: list[list[Any]] = []
    for row in rows:
        if len(out) == MAX_ROWS:
            raise RuleFileError(f"more than {MAX_ROWS} rows; a decision table has one row per "
                                "group of classes", file=path)
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise RuleFileError(f"row {len(out) + 1} has more than {MAX_COLUMNS} cells; a "
                                "decision table has one column per category", file=path)
        out.append(cells)
    return out


def _read_csv(path: Path) -> list[list[Any]]:
    with csv_rows(path, limit=MAX_TABLE_BYTES, max_line=64 * 1024, error=RuleFileError,
                  what="decision table") as records:
        return _bounded((row for _, row in records), path)


def _read_xlsx(path: Path) -> tuple[list[list[Any]], str]:
    from openpyxl import load_workbook
    with open_regular(path, limit=MAX_TABLE_BYTES, error=RuleFileError, what="workbook") as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                # zipfile stops each part at its declared size, so the sum bounds the reading
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise RuleFileError(f"cannot read the workbook: not an XLSX file ({exc})",
                                file=path) from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise RuleFileError(f"the workbook unpacks to {unpacked // MiB} MiB; a decision table "
                                f"is far smaller (limit {MAX_UNPACKED_BYTES // MiB} MiB)",
                                file=path)
        handle.seek(0)
        try:
            wb = load_workbook(handle, data_only=True, read_only=True)
            try:
                ws = wb.worksheets[0]
                ws.reset_dimensions()  # a stale A1:XFD1048576 must not pad a million rows
                return _bounded(ws.iter_rows(values_only=True), path), ws.title
            finally:
                wb.close()
        except RuleFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
            raise RuleFileError(f"cannot read the workbook ({exc.__class__.__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else ''})",
                                file=path) from None


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


def read_table(path: Path, pack: RulePack, amendment: dict[str, tuple[str, str]] | None = None,
               ) -> tuple[RatioTable | None, list[Issue], str | None]:
    """(table, issues, pack id the file names) from a decision table file; the amendment
    labels the file fills go into ``amendment`` as label → (cell reference, text)."""
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
            if key not in LABELS + AMENDMENT_LABELS:
                grid.issue(r, 0, "label", f"unknown label {first!r}; expected one of "
                           f"{', '.join(LABELS + AMENDMENT_LABELS)}")
            labels[key] = r
    if header is None:
        grid.issue(len(grid.rows), 0, "classes", "no header row starting with 'classes'")
        return None, grid.issues, None
    value = {k: grid.text(r, 1, k, month=k in _DATES) for k, r in labels.items()}
    if amendment is not None:
        amendment.update({k: (f"{col(1)}{labels[k] + 1}", value[k]) for k in AMENDMENT_LABELS
                          if value.get(k)})
    cats: dict[int, str] = {}  # column -> category
    reason_col = None
    for c in range(1, len(grid.rows[header])):
        name = grid.text(header, c, "header")
        if name == "unset_reason":
            reason_col = c
        elif name in pack.header.categories and name not in cats.values():
            cats[c] = name
        elif name:
            grid.issue(header, c, "header", f"unknown or repeated category {name!r}; the pack's "
                       f"categories: {', '.join(pack.header.categories)}")
    rows: list[dict[str, Any]] = []
    where: dict[int, int] = {}  # row of the table -> row of the sheet
    for r in range(header + 1, len(grid.rows)):
        classes = [x.strip() for x in grid.text(r, 0, "classes").split(",") if x.strip()]
        values = {cat: v for c, cat in cats.items()
                  for present, v in [_cell(grid, r, c, cat)] if present}
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
            empty = err["type"] in ("missing", "string_too_short")
            grid.issue(r, c, what, "required, but empty" if empty else msg)
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
