"""The records hosts hand the engine: institutions with their dated events, end-of-day
category balances, FX rates and central-bank holdings.

These are the contract between host adapters (files, a core-banking database, anything a
plugin reads) and the evaluation. Amounts are ``Decimal`` in the deposit's own currency;
nothing here is ever a float.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rrr_engine.notation import check_id, check_text

__all__ = [
    "ID_LENGTH",
    "BalanceRow",
    "EmptyDay",
    "Event",
    "FxRate",
    "HoldingRow",
    "Institution",
]

# the longest id (institution, category, rule) the results database stores
ID_LENGTH = 64


class Event(BaseModel):
    """A dated fact about an institution (a decision taking effect, operations starting).

    ``type`` is one of the rule pack's declared events (``pack.events``), checked against the
    pack when the institution is read from a file and when it is evaluated.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str = Field(min_length=1, max_length=ID_LENGTH)
    date: dt.date


class Institution(BaseModel):
    """One credit institution as the host describes it.

    ``class``, the event types, the elected ``reserve_currency`` and every other field (the
    pack's institution attributes, such as a lending share) are validated against the rule
    pack's declarations (:mod:`rrr_engine.rules.vocabulary`), so a pack for another country
    names its own. The attributes are kept as given beside the fixed fields.
    """

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    id: str = Field(min_length=1)
    name: str = ""
    class_: str = Field(alias="class", min_length=1)
    reserve_currency: str | None = None
    events: tuple[Event, ...] = ()

    @field_validator("id")
    @classmethod
    def _printable_id(cls, value: str) -> str:
        # an id travels into SQL, file names and one-line messages: no NUL, no control codes
        return check_id(value, "an institution id")

    @field_validator("name")
    @classmethod
    def _one_line_name(cls, value: str) -> str:
        return check_text(value, "a name")

    @field_validator("reserve_currency")
    @classmethod
    def _currency_code(cls, value: str | None) -> str | None:
        if value is not None and not _CCY.fullmatch(value):
            raise ValueError(f"{value!r} is not a currency code (three capital letters)")
        return value

    @property
    def attributes(self) -> dict[str, Any]:
        """The fields beyond the fixed ones, as given: the pack's institution attributes."""
        return dict(self.model_extra or {})


_CCY = re.compile("[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """End-of-day reservable balance of one category in one deposit currency."""

    institution_id: str
    date: dt.date
    category: str
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FxRate:
    """Balance-sheet rate: units of the pack's domestic currency per one unit of ``currency``
    on ``date``."""

    date: dt.date
    currency: str
    domestic_per_unit: Decimal


@dataclass(frozen=True, slots=True)
class HoldingRow:
    """End-of-day balance of the institution's payment account(s) at the central bank."""

    institution_id: str
    date: dt.date
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class EmptyDay:
    """Returned by ``rrr_daily_balances`` instead of rows: the date has no balances on purpose.

    The nightly job refuses a working day without balances (the source may not have loaded
    it yet); a host that knows the day is empty (e.g. a day the bank was closed) says why.
    """

    reason: str
