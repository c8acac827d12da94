"""The records hosts hand the engine: institutions with their dated events, end-of-day
category balances, FX rates and central-bank holdings.

These are the contract between host adapters (files, a core-banking database, anything a
plugin reads) and the evaluation. Amounts are ``Decimal`` in the deposit's own currency;
nothing here is ever a float.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "CATEGORIES",
    "EVENT_TYPES",
    "FX_CATEGORIES",
    "INSTITUTION_CLASSES",
    "VND_CATEGORIES",
    "BalanceRow",
    "EmptyDay",
    "Event",
    "FxRate",
    "HoldingRow",
    "Institution",
]

# The Vietnam pack's identifiers; a pack declares its own classes and categories, and these
# are only the defaults the contract of the CLI names.
VND_CATEGORIES = ("vnd_short", "vnd_long")
FX_CATEGORIES = ("fx_overseas_ci", "fx_short", "fx_long")
CATEGORIES = VND_CATEGORIES + FX_CATEGORIES
INSTITUTION_CLASSES = (
    "people_credit_fund", "microfinance", "policy_bank", "agribank", "coop_bank", "other_ci",
)
EVENT_TYPES = (
    "licensed", "commenced_operations", "special_control_start", "special_control_end",
    "dissolution_approved", "bankruptcy_opened", "licence_revoked", "support_role_start",
    "support_role_end", "mandatory_transfer_start", "mandatory_transfer_end",
)

EventType = Literal[
    "licensed", "commenced_operations", "special_control_start", "special_control_end",
    "dissolution_approved", "bankruptcy_opened", "licence_revoked", "support_role_start",
    "support_role_end", "mandatory_transfer_start", "mandatory_transfer_end",
]


class Event(BaseModel):
    """A dated fact about an institution (a decision taking effect, operations starting)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: EventType
    date: dt.date


class Institution(BaseModel):
    """One credit institution as the host describes it.

    ``class`` is validated against the rule pack's declared classes at evaluation time, so a
    pack for another country can name its own classes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    id: str = Field(min_length=1)
    name: str = ""
    class_: str = Field(alias="class", min_length=1)
    reserve_currency: Literal["EUR", "JPY", "GBP", "CHF"] | None = None
    agri_lending_share: Decimal | None = Field(default=None, ge=0, le=1)
    proposed_vnd_ratios: dict[str, Decimal] = Field(default_factory=dict)
    events: tuple[Event, ...] = ()

    @field_validator("agri_lending_share", mode="before")
    @classmethod
    def _no_float_share(cls, value: object) -> object:
        return _exact(value)

    @field_validator("proposed_vnd_ratios", mode="before")
    @classmethod
    def _no_float_ratios(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: _exact(v) for k, v in value.items()}
        return value

    @field_validator("proposed_vnd_ratios")
    @classmethod
    def _ratios_in_range(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, ratio in value.items():
            if key not in VND_CATEGORIES:
                raise ValueError(f"unknown category {key!r}; expected one of {', '.join(VND_CATEGORIES)}")
            if not Decimal(0) <= ratio <= Decimal(1):
                raise ValueError(f"{key}: ratio {ratio} is outside 0..1")
        return value


def _exact(value: object) -> object:
    """Refuse binary floats where an exact decimal is meant: JSON/YAML numbers must be strings."""
    if isinstance(value, float):
        raise ValueError(f"{value!r} is a binary float; write it as a string such as \"{value}\"")
    return value


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
    """Balance-sheet rate: VND per one unit of ``currency`` on ``date``."""

    date: dt.date
    currency: str
    vnd_per_unit: Decimal


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
