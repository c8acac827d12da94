"""What a pack declares about the host's records: event types, institution attributes and
report forms, and the checks of an institution record against those declarations.

The host records (:mod:`rrr_engine.models`) are generic: an event's type, an elected reserve
currency and an institution's attributes are plain values there. Which values mean something
is the pack's word (``pack:`` in ``pack.yaml``, :class:`~rrr_engine.rules.model.PackHeader`),
and this module holds the declarations and the one place that checks a record against them,
used by the file adapter (which names the file and line) and by the evaluation (which names the
institution and field) alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from rrr_engine.notation import Exact

if TYPE_CHECKING:
    from rrr_engine.models import Event, Institution

__all__ = ["AttributeDef", "EventDef", "ReportForm", "attribute_model", "attribute_values",
           "compared_attributes", "event_order_problem", "institution_problem", "normalised",
           "operations_start"]


class PackHeader(Protocol):
    """What the checks here read of a pack's header (:class:`rrr_engine.rules.model.PackHeader`,
    which declares these and imports this module)."""

    @property
    def events(self) -> dict[str, EventDef]: ...
    @property
    def attributes(self) -> dict[str, AttributeDef]: ...
    @property
    def elective_reserve_currencies(self) -> tuple[str, ...]: ...
    @property
    def attribute_model(self) -> type[BaseModel]: ...


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EventDef(_Strict):
    """A dated fact a host may record about an institution, and how it may be ordered.

    ``once``: it happens once in an institution's life. ``after``: when both are given, this
    event is not dated before that one. ``closes``: this event ends what that event started
    (a start and an end alternate). ``starts_operations``: the institution operates from this
    date (days before it in its first computation period follow ``days_before_opening``).
    """

    title: str = ""
    once: bool = False
    after: str | None = None
    closes: str | None = None
    starts_operations: bool = False


class AttributeDef(_Strict):
    """An institution attribute the pack reads, as the host records it beside ``class``.

    ``decimal``: one exact number within ``min``..``max`` (both inclusive), which ``when:
    attributes:`` compares at a millionth. ``ratios``: a ratio (0..1) per category, for
    the categories listed (``proposed:`` reductions read it).
    """

    type: Literal["decimal", "ratios"]
    title: str = Field(min_length=1, description="what the attribute means, for people")
    min: Exact | None = None
    max: Exact | None = None
    categories: tuple[str, ...] = ()
    basis: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> AttributeDef:
        if self.type == "ratios" and not self.categories:
            raise ValueError("an attribute of type ratios lists its categories")
        if self.type == "decimal" and self.categories:
            raise ValueError("categories are for an attribute of type ratios")
        if self.type == "ratios" and (self.min is not None or self.max is not None):
            raise ValueError("a ratios attribute is bounded 0..1; min and max are for decimal")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


class ReportForm(_Strict):
    """A return the pack's authority expects, as the period reports name it.

    ``contents: base_averages`` is the computation period's base per category and deposit
    currency; the period report's table and file take the form's ``code``.
    """

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = ""
    contents: Literal["base_averages"] = "base_averages"


def normalised(events: Any) -> Any:
    """``events:`` as a mapping: a plain list of names declares events without properties."""
    if isinstance(events, (list, tuple)):
        return {name: {} for name in events}
    return events


# ---- checks of a record against the declarations ---------------------------------------------

def _ratio_table(name: str, decl: AttributeDef) -> Any:
    allowed = decl.categories

    def check(value: dict[str, Decimal]) -> dict[str, Decimal]:
        for key, ratio in value.items():
            if key not in allowed:
                raise ValueError(f"unknown category {key!r}; expected one of {', '.join(allowed)}")
            if not Decimal(0) <= ratio <= Decimal(1):
                raise ValueError(f"{key}: ratio {ratio} is outside 0..1")
        return value

    return field_validator(name)(lambda cls, v: check(v))


def attribute_model(attributes: Mapping[str, AttributeDef]) -> type[BaseModel]:
    """A pydantic model of the declared attributes (unknown keys refused), so that a value is
    refused with the same words as every other field of a host file."""
    fields: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for name, decl in attributes.items():
        if decl.type == "decimal":
            fields[name] = (Exact | None, Field(default=None, ge=decl.min, le=decl.max))
        else:
            fields[name] = (dict[str, Exact], Field(default_factory=dict))
            validators[f"_check_{name}"] = _ratio_table(name, decl)
    return create_model("InstitutionAttributes", __config__=ConfigDict(extra="forbid"),
                        __validators__=validators, **fields)


def attribute_values(header: PackHeader, inst: Institution) -> dict[str, Any]:
    """Every declared attribute of ``inst``, parsed (``None`` / ``{}`` when not given);
    ``ValidationError`` when one is malformed or undeclared."""
    return dict(header.attribute_model.model_validate(inst.attributes))


def compared_attributes(header: PackHeader, values: Mapping[str, Any]) -> dict[str, Decimal]:
    """The decimal attributes given, which ``when: attributes:`` conditions compare."""
    return {name: values[name] for name, decl in header.attributes.items()
            if decl.type == "decimal" and values.get(name) is not None}


def operations_start(header: PackHeader, inst: Institution, first: dt.date,
                     last: dt.date) -> dt.date | None:
    """The first day in ``first``..``last`` on which an event that starts operations falls."""
    days = [e.date for e in inst.events if first <= e.date <= last
            and e.type in header.events and header.events[e.type].starts_operations]
    return min(days) if days else None


def event_order_problem(header: PackHeader, events: tuple[Event, ...]) -> str | None:
    """What makes ``events`` an impossible history under the pack's declarations, or ``None``.

    Refused: a ``once`` event twice; an event before the one it must follow (when both are
    given); an end before its start, a second start before the end of the first, a second end
    with no start between. An end with no start at all is accepted: the status held from
    before the records (a start given later would contradict it).
    """
    decls = header.events
    ordered = sorted(events, key=lambda e: e.date)  # stable: same-day events in file order
    first: dict[str, dt.date] = {}
    for event in ordered:
        decl = decls.get(event.type)
        if decl is not None and decl.once and event.type in first:
            return (f"two {event.type} events ({first[event.type]} and {event.date}); it "
                    "happens once")
        first.setdefault(event.type, event.date)
    for name, decl in decls.items():
        mine, before = first.get(name), first.get(decl.after) if decl.after else None
        if mine and before and mine < before:
            return (f"{name} on {mine} is before {decl.after} on {before}; {name} follows "
                    f"{decl.after}")
    for end, decl in decls.items():
        if decl.closes is None:
            continue
        start = decl.closes
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


def institution_problem(header: PackHeader,
                        inst: Institution) -> tuple[tuple[Any, ...], str] | None:
    """The first thing in ``inst`` the pack does not declare or allow, as (field path,
    message), or ``None``: an event type, the events' order, the elected reserve currency
    and the attributes. The class is the evaluation's to check (an unknown class is that
    institution's error entry, with the others evaluated)."""
    for index, event in enumerate(inst.events):
        if event.type not in header.events:
            allowed = ", ".join(header.events) or "none (the pack declares no events)"
            return (("events", index, "type"),
                    f"unknown event type {event.type!r}; expected one of {allowed}")
    problem = event_order_problem(header, inst.events)
    if problem:
        return ("events",), problem
    ccy = inst.reserve_currency
    if ccy is not None and ccy not in header.elective_reserve_currencies:
        allowed = ", ".join(header.elective_reserve_currencies) or "none (the pack has no election)"
        return (("reserve_currency",), f"reserve currency {ccy!r} cannot be elected; expected "
                f"one of {allowed}")
    try:
        attribute_values(header, inst)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(header.attributes) or "none"
            return where, (f"unknown field; the pack's institution attributes are {allowed}")
        return where, err["msg"].removeprefix("Value error, ")
    return None
