"""Exact money arithmetic and the one place rounding happens.

Every amount is a ``Decimal``; intermediate results (averages, FX conversions, ratio times
base) keep 40 significant digits so that a conversion such as EUR→đồng→USD carries no visible
error, and :class:`RoundingPolicy` rounds once, when a figure is presented.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CONTEXT", "RoundingPolicy", "dec_str", "exact"]

# 40 digits: far beyond any balance sheet (10^15 đồng needs 16) while divisions such as 1/31
# or 27500/26000 stay exact to well under a millionth of a đồng before presentation.
CONTEXT = Context(prec=40)

_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def exact() -> AbstractContextManager[Context]:
    """Context manager for engine arithmetic (``with exact(): ...``)."""
    return localcontext(CONTEXT)


class RoundingPolicy(BaseModel):
    """How a figure is rounded for presentation: per currency, to its minor unit.

    Declared by the rule pack (``minor_units`` per currency: 0 for whole đồng or yen, 2 for
    cents); a currency it does not name is rounded to ``default_minor_unit``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    mode: Literal["half_up", "half_even"] = "half_up"
    minor_units: dict[str, int] = Field(default_factory=dict)
    default_minor_unit: int = 2

    def round(self, amount: Decimal, currency: str) -> Decimal:
        """Round ``amount`` to the minor unit of ``currency`` by the declared mode."""
        places = self.minor_units.get(currency, self.default_minor_unit)
        with exact():
            return amount.quantize(Decimal(1).scaleb(-places), rounding=_MODES[self.mode])


def dec_str(value: Decimal) -> str:
    """A Decimal as plain positional text (never exponent notation), trailing zeros kept."""
    text = format(value, "f")
    return "0" if text in ("-0", "") else text


def group_digits(text: str | None) -> str:
    """A decimal string with its whole part grouped by thousands (``-`` for None), the
    digits kept exactly as given: for terminals and explanations, not for files."""
    if text is None:
        return "-"
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"

