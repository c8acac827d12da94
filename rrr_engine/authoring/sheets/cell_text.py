"""A ratio cell as the text of one spreadsheet cell, and back, exactly.

A decision table gives each class × category one cell of text: a ratio (``0.03`` or ``3%``),
``unset`` where the law gives no number, or a tiered cell written band by band, lowest first,
separated by semicolons::

    0 up to 16900000; 0.03 up to 127500000; 0.10 above

Each band's ratio applies to the part of the base above the previous band's amount up to and
including its own (:mod:`rrr_engine.rules.bands`); the last band is ``above`` (optionally followed
by the previous amount, which must then match). Amounts are exact decimals in the pack's domestic
currency, in ASCII digits; thousands may be grouped with commas (``16,900,000``). :func:`cell_text`
writes what :func:`parse_cell` reads back to the same value.
"""

from __future__ import annotations

import re
from decimal import Decimal

from rrr_engine.money import dec_str
from rrr_engine.notation import plain_decimal
from rrr_engine.rules.bands import Cell, parse_bands

__all__ = ["CellTextError", "UNSET", "cell_text", "parse_cell"]

UNSET = "unset"
_BAND = re.compile(r"^(?P<ratio>\S+)\s+(?:up\s*to\s+(?P<upto>\S.*)|above(?:\s+(?P<above>\S.*))?)$",
                   re.IGNORECASE)
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")


class CellTextError(ValueError):
    """The text is not a ratio, ``unset`` or a list of bands; the message says why."""


def cell_text(cell: Cell) -> str:
    """The text of a ratio cell, as the export writes it."""
    if cell is None:
        return UNSET
    if not isinstance(cell, tuple):
        return dec_str(cell)
    return "; ".join(f"{dec_str(b.ratio)} up to {dec_str(b.upto)}" if b.upto is not None
                     else f"{dec_str(b.ratio)} above" for b in cell)


def _ratio(text: str) -> Decimal:
    try:
        number = plain_decimal(text[:-1].strip()).scaleb(-2) if text.endswith("%") \
            else plain_decimal(text)
    except ValueError:
        raise CellTextError(f"{text!r} is not a ratio; write an exact decimal such as 0.03 or "
                            "3%") from None
    return number


def _amount(text: str) -> Decimal:
    plain = text.replace(",", "") if _GROUPED.match(text) else text
    try:
        number = plain_decimal(plain)
    except ValueError:
        raise CellTextError(f"{text!r} is not an amount; write an exact decimal such as "
                            "16900000 or 16,900,000") from None
    return number


def parse_cell(text: str, category: str) -> Cell:
    """The cell ``text`` means (non-empty); :class:`CellTextError` if it means nothing."""
    if text.lower() in (UNSET, "null"):
        return None
    if ";" not in text and not re.search(r"\b(up\s*to|above)\b", text, re.IGNORECASE):
        try:
            return _ratio(text)
        except CellTextError as exc:
            raise CellTextError(f"{exc}, 'unset', bands such as '0 up to 16900000; 0.03 "
                                "above', or leave it empty") from None
    bands: list[dict[str, Decimal]] = []
    for number, part in enumerate((p.strip() for p in text.split(";")), 1):
        found = _BAND.match(part)
        if not found:
            raise CellTextError(f"band {number} {part!r} is not 'RATIO up to AMOUNT' or "
                                "'RATIO above'; e.g. 0 up to 16900000; 0.03 above")
        ratio = _ratio(found["ratio"])
        if found["upto"] is not None:
            bands.append({"upto": _amount(found["upto"].strip()), "ratio": ratio})
            continue
        if found["above"] is not None:
            lower = _amount(found["above"].strip())
            previous = bands[-1]["upto"] if bands else Decimal(0)
            if lower != previous:
                raise CellTextError(f"band {number} is above {dec_str(lower)}, but the band "
                                    f"before it ends at {dec_str(previous)}")
        bands.append({"ratio": ratio})
    try:
        return parse_bands(category, bands)
    except ValueError as exc:
        raise CellTextError(str(exc).removeprefix(f"{category}: ")) from None

