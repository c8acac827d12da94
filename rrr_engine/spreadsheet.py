"""Ratio tables as decision tables in CSV or XLSX, for staff who author ratios in Excel.

``export_table`` writes one table as a grid: a header note, the table's id, title, effective
months and citation as labelled cells, then one row per group of classes and one column per
reserve category (plus ``unset_reason``). ``import_table`` reads such a grid back, validates
every cell (all problems at once, each as ``file:Sheet!C4: key: problem`` or ``file:line:
C4 (key): problem``), writes the table into the pack's ratios file in place
(:mod:`rrr_engine.pack_writer`), runs ``rrr rules check`` on the result in a scratch copy,
and writes nothing if that fails. Ratios stay exact: XLSX cells are read as text, a cell Excel
stored as a binary number is refused with a pointer to it, and ``3%`` means ``0.03``.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import RuleFileError
from .money import dec_str
from .pack_issues import Issue, counted
from .pack_writer import render_table, table_span, with_table, write_atomically
from .rules_model import RatioTable
from .rulesets import RulePack, load_pack

__all__ = ["ImportOutcome", "export_table", "import_table", "read_table", "table_grid"]

SHEET = "ratios"
LABELS = ("pack", "table", "title", "effective_from", "effective_to", "citation_document",
          "citation_article", "citation_clause", "citation_note")
UNSET = "unset"
NOTE = ("Decision table for ratio table {table} of rule pack {pack}. One row per group of "
        "institution classes (comma-separated), one column per reserve category. A cell is the "
        "ratio as an exact decimal (0.03 or 3%); leave it empty where the row sets no ratio for "
        "that category; write 'unset' where the law gives no number and say why under "
        "unset_reason. In Excel keep every cell as Text. Import with: rrr rules import FILE "
        "--into PACK --table {table}")


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def table_grid(pack: RulePack, table: RatioTable) -> list[list[str]]:
    """The decision table as rows of text cells."""
    cats = list(pack.header.categories)
    c, eff = table.citation, table.effective
    grid = [["rrr-engine ratio table", NOTE.format(table=table.id, pack=pack.id)],
            ["pack", pack.id], ["table", table.id], ["title", table.title],
            ["effective_from", str(eff.from_)], ["effective_to", "" if eff.to is None else str(eff.to)],
            ["citation_document", c.document], ["citation_article", c.article],
            ["citation_clause", c.clause or ""], ["citation_note", c.note or ""], [],
            ["classes", *cats, "unset_reason"]]
    for row in table.rows:
        cells = ["" if cat not in row.values else UNSET if row.values[cat] is None
                 else dec_str(row.values[cat]) for cat in cats]
        grid.append([", ".join(row.classes), *cells, row.unset_reason or ""])
    return grid


def _find(pack: RulePack, table_id: str) -> RatioTable:
    for table in pack.ratios:
        if table.id == table_id:
            return table
    raise RuleFileError(f"no ratio table {table_id!r} in pack {pack.id}; tables: "
                        f"{', '.join(t.id for t in pack.ratios) or 'none'}", file=pack.path)


def export_table(pack_dir: Path, table_id: str, out: Path) -> Path:
    """Write ratio table ``table_id`` of the pack to ``out`` (.csv or .xlsx)."""
    pack = load_pack(pack_dir)
    grid = table_grid(pack, _find(pack, table_id))
    suffix = out.suffix.lower()
    if suffix == ".csv":
        with out.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel reads UTF-8
            csv.writer(handle).writerows(grid)
    elif suffix == ".xlsx":
        _write_xlsx(grid, out)
    else:
        raise RuleFileError("expected a .csv or .xlsx file name", file=out)
    return out


def _write_xlsx(grid: list[list[str]], out: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for r, row in enumerate(grid, start=1):
        for c, text in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=text)
            cell.number_format = "@"  # Text: Excel must not turn 0.03 into a binary number
            cell.data_type = "s"
    header = next(r for r, row in enumerate(grid, start=1) if row[:1] == ["classes"])
    for cell in ws[header]:
        cell.font = Font(bold=True)
    ws["A1"].font = Font(bold=True)
    ws["B1"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 34
    for c in range(2, len(grid[header - 1]) + 1):
        ws.column_dimensions[_col(c - 1)].width = 16
    wb.save(out)


class _Grid:
    """Cells of a CSV or XLSX file with their references, and the issues found reading them."""

    def __init__(self, path: Path) -> None:
        self.path, self.issues = path, []
        self.xlsx = path.suffix.lower() == ".xlsx"
        if self.xlsx:
            self.rows, self.sheet = _read_xlsx(path)
        elif path.suffix.lower() == ".csv":
            self.sheet = ""
            try:
                with path.open(newline="", encoding="utf-8-sig") as handle:
                    self.rows = [list(r) for r in csv.reader(handle)]
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleFileError(f"cannot read file ({exc.__class__.__name__})", file=path) from None
        else:
            raise RuleFileError("expected a .csv or .xlsx file", file=path)

    def raw(self, r: int, c: int) -> Any:
        return self.rows[r][c] if r < len(self.rows) and c < len(self.rows[r]) else None

    def issue(self, r: int, c: int, what: str, problem: str) -> None:
        ref = f"{_col(c)}{r + 1}"
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


def _ratio(grid: _Grid, r: int, c: int, cat: str) -> tuple[bool, Decimal | None]:
    """(present, value) of one ratio cell; an unreadable cell is an issue and absent."""
    value = grid.raw(r, c)
    if isinstance(value, int) and not isinstance(value, bool):
        return True, Decimal(value)
    text = grid.text(r, c, cat)
    if not text:
        return False, None
    if text.lower() in (UNSET, "null"):
        return True, None
    try:
        number = Decimal(text[:-1].strip()).scaleb(-2) if text.endswith("%") else Decimal(text)
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        grid.issue(r, c, cat, f"{text!r} is not a ratio; write an exact decimal such as 0.03 "
                   "or 3%, 'unset', or leave it empty")
        return False, None
    return True, number


def read_table(path: Path, pack: RulePack) -> tuple[RatioTable | None, list[Issue], str | None]:
    """(table, issues, pack id the file names) from a decision table file."""
    grid = _Grid(path)
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
        values = {cat: v for c, cat in cats.items() for present, v in [_ratio(grid, r, c, cat)] if present}
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
                         "note": value.get("citation_note") or None},
            "rows": rows}
    try:
        table = RatioTable.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            r, c, what = _cell_of(err["loc"], labels, header, where, cats, reason_col)
            msg = err["msg"].removeprefix("Value error, ")
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


@dataclass
class ImportOutcome:
    file: Path
    table: str
    target: Path | None = None
    written: bool = False
    unchanged: bool = False
    issues: list[Issue] = field(default_factory=list)
    summary: str = ""

    def to_text(self) -> str:
        lines = [str(i) for i in self.issues]
        if self.unchanged:
            lines.append(f"ratio table {self.table} in {self.target} is unchanged: nothing written")
        elif self.written:
            lines.append(f"wrote ratio table {self.table} into {self.target}; {self.summary}")
        else:
            if self.target is not None:
                lines.append(f"(lines refer to {self.target} as the import would have written it)")
            lines.append(f"import of {self.file} refused: nothing written")
        return "\n".join(lines) + "\n"


def import_table(file: Path, pack_dir: Path, table_id: str) -> ImportOutcome:
    """Import ``file`` as ratio table ``table_id`` of the pack in ``pack_dir``, if it checks."""
    from .rules_check import check_pack
    pack = load_pack(pack_dir)
    outcome = ImportOutcome(file, table_id)
    table, outcome.issues, named_pack = read_table(file, pack)
    if table is not None and table.id != table_id:
        outcome.issues.append(Issue("error", "cell", str(file), None, "table",
                                    f"the file holds table {table.id!r}, not {table_id!r}"))
    if named_pack and named_pack != pack.id:
        outcome.issues.append(Issue("error", "cell", str(file), None, "pack",
                                    f"the file was exported from pack {named_pack!r}, not {pack.id!r}"))
    if table is None or outcome.issues:
        return outcome
    existing = next((t for t in pack.ratios if t.id == table_id), None)
    target = Path(pack.files.get("ratios") or pack_dir / "ratios.yaml")
    outcome.target = target
    if existing == table:
        outcome.unchanged = True
        return outcome
    cats = list(pack.header.categories)
    if target.exists():
        text = with_table(target.read_text(encoding="utf-8"), table, cats)
    else:
        text = "ratios:\n" + "\n".join(render_table(table, cats)) + "\n"
    with tempfile.TemporaryDirectory(prefix="rrr-import-") as scratch:
        copy = Path(scratch) / pack_dir.name
        shutil.copytree(pack_dir, copy, ignore=shutil.ignore_patterns("scenarios", ".*"))
        (copy / target.name).write_text(text, encoding="utf-8")
        report = check_pack(copy)
    for issue in report.issues:
        if issue.file:
            issue.file = str(pack_dir / Path(issue.file).relative_to(copy))
    errors = [i for i in report.issues if i.is_error]
    if errors:
        outcome.issues = errors
        return outcome
    write_atomically(target, text)
    span = table_span(text, table_id)
    lines = f"lines {span[0] + 1}-{span[1]}" if span else "appended"
    counts = ", ".join(counted(report.count(s), s) for s in ("error", "warning", "note"))
    outcome.written = True
    outcome.summary = (f"{lines}; rrr rules check on the result: {counts}; pack sha256 "
                       f"{pack.sha256[:12]} → {load_pack(pack_dir).sha256[:12]}")
    return outcome

