"""A period's reports as one formatted XLSX workbook (openpyxl), a sheet per report.

Header row styled and frozen, an auto-filter, column widths from the content, and number
formats with thousands separators and the currency's own minor units (whole đồng, cents);
ratios as percentages. Values arrive already rounded by the pack's policy; Excel stores
numbers as binary doubles, exact for every amount under 15 significant digits (the CSV
files carry the exact decimal text). Text is stored as string cells, never formulas
(:mod:`rrr_engine.sheet_safety`). The report's provenance is a last sheet, ``Provenance``,
the printed footer of every sheet, and custom document properties.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from rrr_engine.engine import Engine
from rrr_engine.provenance import Provenance
from rrr_engine.reports.model import PeriodReport, ReportTable
from rrr_engine.sheet_safety import as_text_cell

__all__ = ["write_workbook"]

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_MAX_WIDTH = 60


def _money_format(places: int) -> str:
    return "#,##0" if places == 0 else "#,##0." + "0" * places


def _sheet(wb: Workbook, table: ReportTable, engine: Engine, title: str, footer: str) -> None:
    ws = wb.create_sheet(table.name)
    rounding = engine.pack.header.rounding
    ws.append([c.header for c in table.columns])
    for cell in ws[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [len(c.header) for c in table.columns]
    for row in table.rows:
        values = []
        for c in table.columns:
            value = row.get(c.key)
            if c.kind == "ratio" and value is not None:
                value = Decimal(value)
            values.append(value)
        ws.append(values)
        for i, (c, value) in enumerate(zip(table.columns, values, strict=True)):
            cell = ws.cell(row=ws.max_row, column=i + 1)
            if c.kind == "money" and value is not None:
                ccy = row.get(c.currency) or ""
                places = rounding.minor_units.get(ccy, rounding.default_minor_unit)
                cell.number_format = _money_format(places)
                shown = f"{value:,.{places}f}"
            elif c.kind == "ratio" and value is not None:
                cell.number_format = "0.00##%"
                shown = f"{value * 100}%"
            else:
                as_text_cell(cell)
                shown = "" if value is None else str(value)
            widths[i] = max(widths[i], len(shown))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, _MAX_WIDTH)
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{max(ws.max_row, 1)}"
    ws.sheet_properties.tabColor = "1F4E78"
    ws.title = table.name
    ws.oddHeader.center.text = title
    ws.oddFooter.left.text = footer
    ws.oddFooter.left.size = 7


def _provenance_sheet(wb: Workbook, source: Provenance) -> None:
    ws = wb.create_sheet("Provenance")
    ws.append(["Field", "Value"])
    for cell in ws[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for key, value in source.items():
        ws.append([key, value])
        for cell in ws[ws.max_row]:
            as_text_cell(cell)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = max(len(v) for _, v in source.items()) + 2


def write_workbook(report: PeriodReport, engine: Engine, file: IO[bytes] | str,
                   source: Provenance) -> None:
    """Write ``report`` to ``file`` as XLSX (one sheet per non-empty report table)."""
    wb = Workbook()
    wb.remove(wb.active)
    title = f"{engine.pack.header.title} - maintenance period {report.period}"
    # a printed page has room for a short form; the Provenance sheet has every field in full
    footer = (f"pack {source.pack_id} {source.pack_version} {source.pack_sha256[:12]} "
              f"({source.pack_approval}) - run {source.run_id} - audit head "
              f"{source.audit_head[:source.audit_head.find(':') + 13]}")
    for table in report.tables:
        _sheet(wb, table, engine, title, footer)
    _provenance_sheet(wb, source)
    wb.properties.title = f"Required reserves {report.period}"
    wb.properties.creator = "rrr-engine"
    wb.properties.description = "; ".join(source.lines())
    for key, value in source.items():
        wb.custom_doc_props.append(StringProperty(name=f"rrr_{key}", value=value))
    wb.save(file)
