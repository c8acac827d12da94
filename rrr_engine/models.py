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

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from rrr_engine.notation import Exact, check_id, check_text

__all__ = [
    "CATEGORIES",
    "EVENT_TYPES",
    "FX_CATEGORIES",
    "ID_LENGTH",
    "INSTITUTION_CLASSES",
    "VND_CATEGORIES",
    "BalanceRow",
    "EmptyDay",
    "Event",
    "FxRate",
    "HoldingRow",
    "Institution",
    "event_order_problem",
]

# the longest id (institution, category, rule) the results database stores
ID_LENGTH = 64

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
    agri_lending_share: Exact | None = Field(default=None, ge=0, le=1)
    proposed_vnd_ratios: dict[str, Exact] = Field(default_factory=dict)
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

    @field_validator("proposed_vnd_ratios")
    @classmethod
    def _ratios_in_range(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, ratio in value.items():
            if key not in VND_CATEGORIES:
                raise ValueError(f"unknown category {key!r}; expected one of "
                                 f"{', '.join(VND_CATEGORIES)}")
            if not Decimal(0) <= ratio <= Decimal(1):
                raise ValueError(f"{key}: ratio {ratio} is outside 0..1")
        return value


    @field_validator("events")
    @classmethod
    def _events_in_order(cls, events: tuple[Event, ...], info: ValidationInfo) -> tuple[Event, ...]:
        problem = event_order_problem(events)
        if problem:
            raise ValueError(f"institution {info.data.get('id', '?')}: {problem}")
        return events


# Events that happen once in an institution's life, and the pairs that open and close a
# status; status windows (rrr_engine.core.status) pair them in date order, so an order that makes
# no sense would silently give a window nobody meant.
_ONCE = ("licensed", "commenced_operations", "dissolution_approved", "bankruptcy_opened",
         "licence_revoked")
_PAIRS = {start: start.removesuffix("_start") + "_end" for start in EVENT_TYPES
          if start.endswith("_start")}


def event_order_problem(events: tuple[Event, ...]) -> str | None:
    """What makes ``events`` an impossible history, or ``None``.

    Refused: a one-off event twice; operations commenced before the licence (when the licence
    date is given); an end before its start, a second start before the end of the first, a
    second end with no start between. An end with no start at all is accepted: the status
    held from before the records (a start given later would contradict it).
    """
    ordered = sorted(events, key=lambda e: e.date)  # stable: same-day events in file order
    first: dict[str, dt.date] = {}
    for event in ordered:
        if event.type in _ONCE and event.type in first:
            return (f"two {event.type} events ({first[event.type]} and {event.date}); it "
                    "happens once")
        first.setdefault(event.type, event.date)
    licensed, commenced = first.get("licensed"), first.get("commenced_operations")
    if licensed and commenced and commenced < licensed:
        return (f"commenced_operations on {commenced} is before licensed on {licensed}; "
                "operations start after the licence")
    for start, end in _PAIRS.items():
        opened: dt.date | None = None
        closed: dt.date | None = None
        starts = [e.date for e in ordered if e.type == start]
        for event in (e for e in ordered if e.type in (start, end)):
            if event.type == start:
                if opened is not None:
                    return (f"{start} on {event.date} while the {start} of {opened} has no "
                            f"{end} before it")
                opened, closed = event.date, None
            elif opened is not None:
                opened, closed = None, event.date
            elif closed is not None:
                return f"{end} on {event.date} follows {end} on {closed} with no {start} between"
            elif starts:
                return (f"{end} on {event.date} is before {start} on {starts[0]}; an end "
                        "follows its start")
            else:
                closed = event.date
    return None


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
