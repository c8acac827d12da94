"""Text that a spreadsheet would run as a formula, made inert (CSV and XLSX output).

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-`` or ``@``
(and, in some versions, a tab or carriage return before one) as a formula, in an XLSX file and
in a CSV file alike: an institution named ``=HYPERLINK(...)`` would become a live link.
Every text cell rrr-engine writes goes through here:

* in a CSV file, :func:`inert` puts a single quote before such text (the usual defence: the
  spreadsheet shows the text with the quote, and runs nothing); :func:`restore` takes it off
  again when rrr-engine reads its own export back (``rrr rules import``);
* in an XLSX file, text is stored as a string cell (:func:`as_text_cell`), never a formula,
  so it shows exactly as written, without the quote.

Numbers are not text: amounts and ratios are written from ``Decimal`` as plain decimal
notation (``-5``, ``1234.50``) in their own columns, and stay numbers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_START", "as_text_cell", "inert", "restore"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def inert(text: str) -> str:
    """``text`` for a CSV cell: quoted with ``'`` if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def restore(text: str) -> str:
    """The text :func:`inert` was given (a quote before anything else is the author's own)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def as_text_cell(cell: Any) -> None:
    """Make an openpyxl cell holding a str a string cell, whatever its first character."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
