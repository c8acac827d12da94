"""Tiered ratio cells: marginal bands over the average base, in exact ``Decimal``.

A ratio cell may be a list of bands instead of one ratio (Regulation D: 0% up to the
exemption amount, 3% up to the low-reserve tranche, 10% above). Each band's ratio applies to
the part of the base above the previous band's ``upto`` up to and including its own; the last
band is open. Thresholds are in the line's reserve currency, so tiered cells are allowed on
domestic categories only (checked when the pack loads).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rrr_engine.money import exact
from rrr_engine.notation import Exact

__all__ = ["Band", "Cell", "Tranche", "cell_is_zero", "parse_bands", "split"]


def _no_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not an exact decimal; quote it (\"0.03\")")
    return value


class Band(BaseModel):
    """One band: ``ratio`` on the base above the previous ``upto``, up to this ``upto``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    upto: Exact | None = Field(default=None, gt=0)
    ratio: Exact = Field(ge=0, le=1)

    _f = field_validator("upto", "ratio", mode="before")(lambda cls, v: _no_float(v))


Cell = Exact | None | tuple[Band, ...]


def parse_bands(category: str, raw: list[Any] | tuple[Any, ...]) -> tuple[Band, ...]:
    """A tiered cell, checked: ``upto`` strictly increasing and only the last band open."""
    if not raw:
        raise ValueError(f"{category}: a tiered ratio needs at least one band")
    bands: list[Band] = []
    for number, item in enumerate(raw, 1):
        if isinstance(item, Band):
            band = item
        elif not isinstance(item, dict):
            raise ValueError(f"{category}: band {number} must be a mapping with upto and ratio")
        else:
            try:
                band = Band.model_validate(item)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                msg = first["msg"].removeprefix("Value error, ")
                if first["type"] == "extra_forbidden":
                    msg = "unknown field (a band has upto and ratio)"
                raise ValueError(f"{category}: band {number}: {where}: {msg}") from None
        previous = bands[-1].upto if bands else None
        if bands and previous is None:
            raise ValueError(f"{category}: band {number} follows an open band (band "
                             f"{number - 1} has no upto); only the last band may be open")
        if previous is not None and band.upto is not None and band.upto <= previous:
            raise ValueError(f"{category}: band {number} upto {band.upto} is not above band "
                             f"{number - 1} upto {previous}; bands go in increasing order")
        bands.append(band)
    if bands[-1].upto is not None:
        raise ValueError(f"{category}: the last band (band {len(bands)}) has upto "
                         f"{bands[-1].upto}; it must be open (no upto) so every amount has a ratio")
    return tuple(bands)


def cell_is_zero(cell: Cell) -> bool:
    """A cell that requires nothing at any base (a null cell is unset, not zero)."""
    if isinstance(cell, tuple):
        return all(band.ratio == 0 for band in cell)
    return cell is not None and cell == 0


@dataclass(frozen=True)
class Tranche:
    """The part of one line's base that falls in one band, and what it requires."""

    lower: Decimal
    upper: Decimal | None
    class_ratio: Decimal  # the band's ratio in the table
    ratio: Decimal  # after reductions
    base: Decimal
    required: Decimal


def split(bands: tuple[Band, ...], base: Decimal, factor: Decimal = Decimal(1)) -> list[Tranche]:
    """``base`` cut into ``bands``; each part times its band ratio times ``factor``, exactly."""
    out: list[Tranche] = []
    lower = Decimal(0)
    with exact():
        for band in bands:
            top = base if band.upto is None else min(base, band.upto)
            part = max(top - lower, Decimal(0))
            ratio = band.ratio * factor
            out.append(Tranche(lower, band.upto, band.ratio, ratio, part, part * ratio))
            if band.upto is not None:
                lower = band.upto
    return out
