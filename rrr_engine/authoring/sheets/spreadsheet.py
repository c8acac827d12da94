"""Ratio tables as decision tables in CSV or XLSX, for staff who author ratios in Excel.

``export_table`` writes one table as a grid: a header note, the table's id, title, effective dates
(months, or a calendar pack's days) and citation as labelled cells, then one row per group of
classes and one column per reserve category (plus ``unset_reason``); a tiered cell is one text cell
listing its bands (:mod:`rrr_engine.authoring.sheets.cell_text`). ``import_table`` reads such a grid
back (:mod:`rrr_engine.authoring.sheets.reader`: all problems at once, each pointing at its cell),
writes the table into the pack's ratios file in place (:mod:`rrr_engine.authoring.sheets.writer`),
runs ``rrr rules check`` on the result in a scratch copy, and writes nothing if that fails. Ratios
and band amounts stay exact: cells are text, a cell Excel stored as a binary number is refused with
a pointer to it, and ``3%`` means ``0.03``. Exported ``at`` a date, the grid shows the figures in
force then; imported with ``amendment_from`` filled, the changed cells become the table's
amendments (:mod:`rrr_engine.authoring.sheets.amend`) and the table's rows stay.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from rrr_engine.authoring.sheets.amend import amend_from_sheet
from rrr_engine.authoring.sheets.cell_text import cell_text
from rrr_engine.authoring.sheets.reader import col, read_table
from rrr_engine.authoring.sheets.writer import (
    render_table,
    table_span,
    with_table,
    write_atomically,
)
from rrr_engine.errors import RuleFileError
from rrr_engine.periods import Month
from rrr_engine.rules.bands import Cell
from rrr_engine.rules.issues import Issue, counted
from rrr_engine.rules.model import Effective, RatioTable
from rrr_engine.rules.pack import RulePack, load_pack
from rrr_engine.rules.spans import Point
from rrr_engine.safe_files import write_atomic, write_text
from rrr_engine.sheet_safety import inert

__all__ = ["ImportOutcome", "export_table", "import_table", "read_table", "table_grid"]

SHEET = "ratios"
NOTE = ("Decision table for ratio table {table} of rule pack {pack}. One row per group of "
        "institution classes (comma-separated), one column per reserve category. A cell is the "
        "ratio as an exact decimal (0.03 or 3%); leave it empty where the row sets no ratio for "
        "that category; write 'unset' where the law gives no number and say why under "
        "unset_reason. A tiered cell lists its bands lowest first, each ratio applying to the "
        "part of the base above the previous amount: '0 up to 16900000; 0.03 up to 127500000; "
        "0.10 above' (amounts in {currency}). effective_from and effective_to are {dates}; an "
        "empty effective_to is open. In Excel keep every cell as Text. Import with: rrr rules "
        "import FILE --into PACK --table {table}")

AMEND_NOTE = (" The figures are those in force on {at}. To amend them from amendment_from, type "
              "the new figures and the amending document (amendment_citation_document and "
              "_article); the import adds each changed cell as an amendment of the table from "
              "that date and leaves the table's own rows, dates and citation as they are.")


def table_grid(pack: RulePack, table: RatioTable, at: Point | None = None) -> list[list[str]]:
    """The decision table as rows of text cells; with ``at``, the figures in force then (the
    table as amended), ready to be amended from ``at``."""
    cats = list(pack.header.categories)
    c, eff = table.citation, table.effective
    dates = ("maintenance months (YYYY-MM)" if pack.periods.kind == "monthly" else
             "days (YYYY-MM-DD; a rule governs the periods that start within its dates)")
    note = NOTE.format(table=table.id, pack=pack.id, currency=pack.header.domestic_currency,
                       dates=dates)
    if at is not None:
        note += AMEND_NOTE.format(at=at)
    grid = [["rrr-engine ratio table", note],
            ["pack", pack.id], ["table", table.id], ["title", table.title],
            ["effective_from", str(eff.from_)],
            ["effective_to", "" if eff.to is None else str(eff.to)],
            ["citation_document", c.document], ["citation_article", c.article],
            ["citation_clause", c.clause or ""],
            ["citation_amended_by", "; ".join(c.amended_by)], ["citation_note", c.note or ""]]
    if at is not None:
        grid += [["amendment_from", str(at)], *([f"amendment_citation_{part}", ""]
                                                for part in ("document", "article", "clause",
                                                             "note"))]
    grid += [[], ["classes", *cats, "unset_reason"]]
    for r, row in enumerate(table.rows):
        # with ``at``, a row whose classes were amended apart splits into one row per figure set
        groups: dict[tuple[str, ...], list[str]] = {}
        for cls in row.classes:
            cells = tuple("" if cat not in row.values else cell_text(
                row.values[cat] if at is None else table.cell_at(r, cls, cat, at)[0])
                for cat in cats)
            groups.setdefault(cells, []).append(cls)
        for cells, classes in groups.items():
            grid.append([", ".join(classes), *cells, row.unset_reason or ""])
    return grid


def _find(pack: RulePack, table_id: str) -> RatioTable:
    for table in pack.ratios:
        if table.id == table_id:
            return table
    raise RuleFileError(f"no ratio table {table_id!r} in pack {pack.id}; tables: "
                        f"{', '.join(t.id for t in pack.ratios) or 'none'}", file=pack.path)


def export_table(pack_dir: Path, table_id: str, out: Path, at: str | None = None) -> Path:
    """Write ratio table ``table_id`` of the pack to ``out`` (.csv or .xlsx); with ``at``
    (a month, or a calendar pack's day), the figures in force then, ready to amend."""
    pack = load_pack(pack_dir)
    table = _find(pack, table_id)
    point = None
    if at is not None:
        try:
            bound = Effective.model_validate({"from": at}).from_
        except ValidationError:
            raise RuleFileError(f"--at {at!r} is not a month (YYYY-MM) or a day (YYYY-MM-DD)",
                                file=pack.path) from None
        point = bound if pack.periods.kind == "monthly" else (
            bound.first if isinstance(bound, Month) else bound)
        if isinstance(point, dt.date) and pack.periods.kind == "monthly":
            raise RuleFileError(f"--at {at}: pack {pack.id} is dated by months (YYYY-MM)",
                                file=pack.path)
        if not table.effective.covers(point):
            raise RuleFileError(f"--at {at}: table {table.id} is not in force then "
                                f"({table.effective.from_} to {table.effective.to or 'open'})",
                                file=pack.path)
    grid = table_grid(pack, table, point)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        csv.writer(buf).writerows([[inert(text) for text in row] for row in grid])
        write_text(out, buf.getvalue(), bom=True, what="export")  # BOM: Excel reads UTF-8
    elif suffix == ".xlsx":
        write_atomic(out, lambda handle: _write_xlsx(grid, handle), what="export")
    else:
        raise RuleFileError("expected a .csv or .xlsx file name", file=out)
    return out


def _write_xlsx(grid: list[list[str]], out: IO[bytes]) -> None:
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
        ws.column_dimensions[col(c - 1)].width = 16
    wb.save(out)


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


def _same(new: Any, old: Any) -> Any:
    """``old`` when it equals ``new``, so an unchanged figure keeps its spelling (0.10, not 0.1)."""
    return old if old is not None and new is not None and new == old else new


def _keep_spelling(table: RatioTable, existing: RatioTable) -> RatioTable:
    """The table with every cell and band that did not change taken from the pack, so the
    YAML shows only the changed figures (a typed ``0%`` is the same ratio as the pack's ``0``)."""
    old_rows = {row.classes: row for row in existing.rows}
    rows = []
    for row in table.rows:
        old = old_rows.get(row.classes)
        if old is None:
            rows.append(row)
            continue
        values: dict[str, Cell] = {}
        for cat, cell in row.values.items():
            before = old.values.get(cat)
            if isinstance(cell, tuple) and isinstance(before, tuple):
                values[cat] = tuple(
                    band.model_copy(update={"upto": _same(band.upto, prior.upto),
                                            "ratio": _same(band.ratio, prior.ratio)})
                    if prior is not None else band
                    # padded with None: a band the old cell lacks has no prior
                    for band, prior in zip(cell, (*before, *[None] * len(cell)), strict=False))
            elif not isinstance(cell, tuple) and not isinstance(before, tuple):
                values[cat] = _same(cell, before)
            else:
                values[cat] = cell
        rows.append(row.model_copy(update={"values": values}))
    return table.model_copy(update={"rows": tuple(rows)})


def import_table(file: Path, pack_dir: Path, table_id: str) -> ImportOutcome:
    """Import ``file`` as ratio table ``table_id`` of the pack in ``pack_dir``, if it checks."""
    from rrr_engine.authoring.check.report import check_pack
    pack = load_pack(pack_dir)
    outcome = ImportOutcome(file, table_id)
    amendment: dict[str, tuple[str, str]] = {}
    table, outcome.issues, named_pack = read_table(file, pack, amendment)
    if table is not None and table.id != table_id:
        outcome.issues.append(Issue("error", "cell", str(file), None, "table",
                                    f"the file holds table {table.id!r}, not {table_id!r}"))
    if named_pack and named_pack != pack.id:
        outcome.issues.append(Issue(
            "error", "cell", str(file), None, "pack",
            f"the file was exported from pack {named_pack!r}, not {pack.id!r}"))
    if table is None or outcome.issues:
        return outcome
    existing = next((t for t in pack.ratios if t.id == table_id), None)
    if "amendment_from" in amendment:
        if existing is None:
            outcome.issues.append(Issue("error", "cell", str(file), None, "amendment_from",
                                        f"pack {pack.id} has no table {table_id!r} to amend"))
            return outcome
        table, outcome.issues = amend_from_sheet(existing, table, file, amendment)
        if table is None:
            return outcome
    elif amendment:
        outcome.issues.append(Issue("error", "cell", str(file), None, "amendment_from",
                                    "an amendment needs the date it takes effect from"))
        return outcome
    elif existing is not None:  # the sheet gives the table's own figures: amendments stay
        table = table.model_copy(update={"amendments": existing.amendments})
    target = Path(pack.files.get("ratios") or pack_dir / "ratios.yaml")
    outcome.target = target
    if existing == table:
        outcome.unchanged = True
        return outcome
    if existing is not None:
        table = _keep_spelling(table, existing)
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

