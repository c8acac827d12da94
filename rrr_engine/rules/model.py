"""The rule language: what a rule pack's YAML may say, as pydantic models.

A pack declares its vocabulary (institution classes, reserve categories, currencies), its
named settings (every interpretation the law leaves open), statuses derived from dated events,
and dated, cited rules of six kinds: ratio tables (a cell is one ratio or marginal bands; a
table's ``amendments:`` change some cells from a date on, each citing the amending document),
exemptions, reductions, allowances (a fixed amount off the requirement), interest rates and
daily minimums (a floor on each day's holding as a share of the requirement).
Its period calendar is :mod:`rrr_engine.rules.calendars`. Unknown fields are errors, so a misspelt
key never silently drops a rule. Conditions are data (``when:``), compiled to durable_rules
by :mod:`rrr_engine.core.kernel`; nothing here is code. docs/rule-language.md is the reference.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rrr_engine.money import RoundingPolicy
from rrr_engine.notation import Exact
from rrr_engine.periods import Month
from rrr_engine.rules.bands import Band, Cell, cell_is_zero, parse_bands
from rrr_engine.rules.deadlines import EventNotice, ReportDeadline
from rrr_engine.rules.spans import Point
from rrr_engine.rules.vocabulary import (
    AttributeDef,
    EventDef,
    ReportForm,
    attribute_model,
    normalised,
)

__all__ = ["Allowance", "Amendment", "AttributeDef", "Band", "CategoryDef", "Citation",
           "Comparison", "DailyMinimum", "Effective", "EventDef", "EventNotice", "Exemption",
           "InterestRate", "NotCovered", "PackHeader", "ProposedRatio", "RatioRow", "RatioTable",
           "Reduction", "ReportDeadline", "ReportForm", "Setting", "StatusDef", "StatusEdge",
           "When", "cell_is_zero"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _no_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not an exact decimal; quote it (\"0.03\")")
    return value


class Citation(_Strict):
    """Where the law says it: document number, article and clause, and the later documents
    that amended that text (``amended_by``), which every result line citing it names too."""

    document: str = Field(min_length=1)
    article: str = Field(min_length=1)
    clause: str | None = None
    amended_by: tuple[str, ...] = ()
    note: str | None = None

    @field_validator("amended_by", mode="before")
    @classmethod
    def _documents(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]  # one amending document may be written without brackets
        if isinstance(value, (list, tuple)) and not all(isinstance(v, str) and v.strip()
                                                        for v in value):
            raise ValueError("amended_by lists documents: non-empty text, e.g. "
                             "[\"Decision 2977/QĐ-NHNN (2025)\"]")
        return value

    def __str__(self) -> str:
        text = f"{self.document}, Art. {self.article}"
        if self.clause:
            text += f"({self.clause})"
        if self.amended_by:
            text += ", as amended by " + " and ".join(self.amended_by)
        return text


def _date_bound(value: Any) -> Any:
    """A month (``2025-10``) or a day (``2020-03-26``), as the YAML wrote it."""
    if value is None or isinstance(value, Month):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if _DAY.match(str(value).strip()):
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar day") from None
    return Month.parse(value)


class Effective(_Strict):
    """When a rule is in force: ``from`` inclusive, ``to`` inclusive or open.

    Bounds are months (``2025-10``: maintenance months, the unit of a monthly pack) or days
    (``2020-03-26``: a calendar pack's rule is in force for a maintenance period when the
    period's start date lies within the bounds; a month bound there means its first or last
    day). A monthly pack refuses day bounds at load (:mod:`rrr_engine.rules.pack`).
    """

    from_: Month | dt.date = Field(alias="from")
    to: Month | dt.date | None = None

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> Any:
        return _date_bound(value)

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        last = self.last_day
        if last is not None and last < self.first_day:
            raise ValueError(f"effective.to {self.to} is before effective.from {self.from_}")
        return self

    @property
    def first_day(self) -> dt.date:
        return self.from_.first if isinstance(self.from_, Month) else self.from_

    @property
    def last_day(self) -> dt.date | None:
        if self.to is None:
            return None
        return self.to.last if isinstance(self.to, Month) else self.to

    @property
    def by_day(self) -> bool:
        """Whether either bound is a day rather than a month."""
        return not isinstance(self.from_, Month) or (self.to is not None
                                                     and not isinstance(self.to, Month))

    def covers(self, point: Month | dt.date) -> bool:
        """In force for a maintenance month, or for a period starting on the day ``point``."""
        if isinstance(point, Month) and not self.by_day:
            return self.from_ <= point and (self.to is None or point <= self.to)
        day = point.first if isinstance(point, Month) else point
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


class Comparison(_Strict):
    """A numeric test on an institution attribute; bounds are exact decimals."""

    gte: Exact | None = None
    gt: Exact | None = None
    lte: Exact | None = None
    lt: Exact | None = None

    _f = field_validator("gte", "gt", "lte", "lt", mode="before")(lambda cls, v: _no_float(v))

    @model_validator(mode="after")
    def _some(self) -> Comparison:
        if all(v is None for v in (self.gte, self.gt, self.lte, self.lt)):
            raise ValueError("a comparison needs at least one of gte, gt, lte, lt")
        return self


class When(_Strict):
    """Conditions, all of which must hold; each list means any-of. Empty means always."""

    classes: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    not_status: tuple[str, ...] | None = None
    attributes: dict[str, Comparison] | None = None

    @field_validator("classes", "categories", "status", "not_status", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class StatusEdge(_Strict):
    """An event that opens or closes a status, and in which month that takes effect."""

    event: tuple[str, ...]
    month: Literal["same", "next"] = "same"
    inclusive: bool = True

    @field_validator("event", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class StatusDef(_Strict):
    """A status in a month, derived from dated events (e.g. under special control).

    Opens at the month of a ``starts`` event (or the month after, ``month: next``); closes at
    the month of an ``ends`` event, that month included when ``inclusive``. An end with no
    earlier start means the status held from the beginning; a start with no end never ends.
    """

    title: str = ""
    starts: StatusEdge | None = None
    ends: StatusEdge | None = None
    citation: Citation | None = None

    @model_validator(mode="after")
    def _edge(self) -> StatusDef:
        if self.starts is None and self.ends is None:
            raise ValueError("a status needs a starts or an ends event")
        return self


class Setting(_Strict):
    """A named interpretation where the law is silent: visible, documented, overridable."""

    value: Any
    interpretation: str = Field(min_length=1)
    basis: str = "A"
    read_by: str = Field(min_length=1, description="which component applies the setting")


class CategoryDef(_Strict):
    title: str = ""
    kind: Literal["domestic", "foreign"]


# fields of every institution record (rrr_engine.models.Institution), never pack attributes
_RECORD_FIELDS = ("id", "name", "class", "class_", "reserve_currency", "events", "attributes")


class PackHeader(_Strict):
    """The pack's identity and vocabulary: what its host records may say.

    Classes and categories name the rule tables' rows and columns; ``events`` the dated facts
    an institution record may carry; ``attributes`` the institution fields rules read;
    ``elective_reserve_currencies`` what an institution may elect to hold its foreign reserve
    in; ``fx_rate_column`` the pack's own name for the domestic-currency rate column of an FX
    file; ``forms`` the returns its reports are named after.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    title: str
    jurisdiction: str
    label: str = Field(min_length=1, description="the pack's release label, e.g. 2025.10")
    domestic_currency: str = Field(pattern=r"^[A-Z]{3}$")
    foreign_reserve_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    elective_reserve_currencies: tuple[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], ...] = ()
    election_threshold: Exact = Decimal("0.5")
    election_basis: str | None = None  # the law setting the election's test, for findings
    classes: tuple[str, ...] = Field(min_length=1)
    categories: dict[str, CategoryDef] = Field(min_length=1)
    events: dict[str, EventDef] = Field(default_factory=dict)
    attributes: dict[str, AttributeDef] = Field(default_factory=dict)
    fx_rate_column: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    forms: tuple[ReportForm, ...] = ()
    rounding: RoundingPolicy = RoundingPolicy()
    zero_ratio_classes_do_not_report: bool = True
    zero_ratio_basis: str | None = None
    reports: tuple[ReportDeadline, ...] = ()
    notices: tuple[EventNotice, ...] = ()

    _events = field_validator("events", mode="before")(lambda cls, v: normalised(v))

    @model_validator(mode="after")
    def _foreign(self) -> PackHeader:
        foreign = [c for c, d in self.categories.items() if d.kind == "foreign"]
        if foreign and not self.foreign_reserve_currency:
            raise ValueError(f"foreign categories ({', '.join(foreign)}) need a "
                             "foreign_reserve_currency")
        return self

    @model_validator(mode="after")
    def _declared(self) -> PackHeader:
        """Names inside the vocabulary refer to what it declares."""
        for name, event in self.events.items():
            for ref in (event.after, event.closes):
                if ref is not None and ref not in self.events:
                    raise ValueError(f"events.{name}: unknown event {ref!r}")
        for name, attr in self.attributes.items():
            if name in _RECORD_FIELDS:
                raise ValueError(f"attributes.{name}: {name!r} is a field of every "
                                 "institution record, not an attribute")
            for cat in attr.categories:
                if cat not in self.categories:
                    raise ValueError(f"attributes.{name}: unknown category {cat!r}")
        forms = [f.code for f in self.forms]
        for report in self.reports:
            if report.form is not None and report.form not in forms:
                raise ValueError(f"reports {report.code}: unknown form {report.form!r}; "
                                 f"declared forms: {', '.join(forms) or 'none'}")
        return self

    @property
    def reserve_currencies(self) -> tuple[str, ...]:
        """Every currency the pack can hold reserves in."""
        out = [self.domestic_currency]
        for ccy in (self.foreign_reserve_currency, *self.elective_reserve_currencies):
            if ccy and ccy not in out:
                out.append(ccy)
        return tuple(out)

    @functools.cached_property
    def attribute_model(self) -> type[BaseModel]:
        """The declared institution attributes as a pydantic model (unknown keys refused)."""
        return attribute_model(self.attributes)

    @property
    def fx_rate_columns(self) -> tuple[str, ...]:
        """Names an FX file's rate column may have: the generic one, then the pack's own."""
        return ("domestic_per_unit",) + ((self.fx_rate_column,) if self.fx_rate_column else ())

    def ratios_attribute(self, field: str | None) -> str:
        """The attribute a ``proposed:`` reduction reads: ``field``, or the pack's only
        attribute of type ratios (the pack's cross-check makes sure there is one)."""
        if field is not None:
            return field
        return next(n for n, a in self.attributes.items() if a.type == "ratios")

    def form(self, contents: str) -> ReportForm | None:
        """The pack's form holding ``contents`` (e.g. ``base_averages``), if it declares one."""
        return next((f for f in self.forms if f.contents == contents), None)


def _exact_cells(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: parse_bands(k, v) if isinstance(v, (list, tuple)) else _no_float(v)
                for k, v in value.items()}
    return value


def _in_bounds(category: str, ratio: Cell) -> None:
    if isinstance(ratio, Decimal) and not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError(f"{category}: ratio {ratio} is outside 0..1")


class RatioRow(_Strict):
    """Ratios of one group of classes: per category a ratio, a list of bands, or null."""

    classes: tuple[str, ...] = Field(min_length=1)
    values: dict[str, Cell]
    unset_reason: str | None = None

    _exact = field_validator("values", mode="before")(lambda cls, v: _exact_cells(v))

    @model_validator(mode="after")
    def _check(self) -> RatioRow:
        for category, ratio in self.values.items():
            if ratio is None and not self.unset_reason:
                raise ValueError(f"{category}: a null ratio needs an unset_reason")
            _in_bounds(category, ratio)
        return self


class Amendment(_Strict):
    """A later document setting some cells of a ratio table to new values from a date on.

    ``classes`` × the categories of ``values`` take the new value from ``from`` (a month, or a
    day in a calendar pack) until a later amendment of the same cell, or the table's end. A
    result line computed under an amended cell cites the table as amended by ``citation``.
    Amending a cell means the table must have that cell (checked at load, with the dates:
    :mod:`rrr_engine.rules.amendments`).
    """

    from_: Month | dt.date = Field(alias="from")
    classes: tuple[str, ...] = Field(min_length=1)
    values: dict[str, Cell] = Field(min_length=1)
    citation: Citation

    _bound = field_validator("from_", mode="before")(lambda cls, v: _date_bound(v))
    _exact = field_validator("values", mode="before")(lambda cls, v: _exact_cells(v))

    @field_validator("classes", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> Amendment:
        for category, ratio in self.values.items():
            if ratio is None:
                raise ValueError(f"{category}: an amendment sets a ratio (or bands); a cell "
                                 "the law no longer sets ends with its table")
            _in_bounds(category, ratio)
        return self

    @property
    def first_day(self) -> dt.date:
        return self.from_.first if isinstance(self.from_, Month) else self.from_

    def covers(self, point: Month | dt.date) -> bool:
        """In force (unless superseded) for a maintenance month, or a period starting on day
        ``point``: the same reading as :meth:`Effective.covers` with an open end."""
        if isinstance(point, Month) and isinstance(self.from_, Month):
            return self.from_ <= point
        return self.first_day <= (point.first if isinstance(point, Month) else point)


class RatioTable(_Strict):
    id: str
    title: str = ""
    effective: Effective
    citation: Citation
    rows: tuple[RatioRow, ...] = Field(min_length=1)
    amendments: tuple[Amendment, ...] = ()

    def cell_at(self, row: int, cls: str, category: str,
                point: Month | dt.date) -> tuple[Cell, Amendment | None]:
        """Row ``row``'s cell for class ``cls`` in force at ``point``, and the amendment that
        set it (``None`` for the table's own value): the latest amendment of that class and
        category in force, as in a parameter history."""
        found: Amendment | None = None
        for amendment in self.amendments:
            if (cls in amendment.classes and category in amendment.values
                    and amendment.covers(point)
                    and (found is None or found.first_day <= amendment.first_day)):
                found = amendment
        if found is not None:
            return found.values[category], found
        return self.rows[row].values[category], None

    def citation_at(self, amendment: Amendment | None) -> Citation:
        """The table's citation, ``as amended by`` ``amendment``'s document when one applies."""
        if amendment is None:
            return self.citation
        return self.citation.model_copy(
            update={"amended_by": (*self.citation.amended_by, str(amendment.citation))})


class Exemption(_Strict):
    id: str
    title: str = ""
    effective: Effective
    citation: Citation
    when: When


class ProposedRatio(_Strict):
    """The institution proposes its own ratio (an institution attribute of type ``ratios``),
    floored by the law. ``field`` names the attribute; without it, the pack's only one."""

    field: str | None = None
    floor_fraction: Exact = Field(gt=0, le=1)


class Reduction(_Strict):
    id: str
    title: str = ""
    effective: Effective
    citation: Citation
    when: When
    factor: Exact | None = Field(default=None, ge=0, le=1)
    proposed: ProposedRatio | None = None

    @model_validator(mode="after")
    def _one(self) -> Reduction:
        if (self.factor is None) == (self.proposed is None):
            raise ValueError("a reduction has exactly one of factor or proposed")
        return self


class InterestRate(_Strict):
    id: str
    effective: Effective
    citation: Citation
    applies_to: Literal["domestic", "foreign"]
    annual_rate: Exact = Field(ge=0)
    day_count_basis: int = Field(default=365, gt=0)


class DailyMinimum(_Strict):
    """A floor on every day's holding, as a share of the period's requirement.

    Besides the average over the maintenance period, the end-of-day holding in the reserve
    currency of ``applies_to`` must be at least ``share`` × the requirement (net of
    allowances) on each calendar day of the period; a day below it is reported, with the
    amount it fell short by. ``share: "1"`` means the full requirement every day.
    """

    id: str
    title: str = ""
    effective: Effective
    citation: Citation
    applies_to: Literal["domestic", "foreign"]
    share: Exact = Field(gt=0, le=1)

    _f = field_validator("share", mode="before")(lambda cls, v: _no_float(v))


class Allowance(_Strict):
    """A fixed amount deducted from an institution's total requirement in ``currency``.

    Applied after every category line is summed, never below zero (the ECB's lump-sum
    allowance). ``when`` may name classes, statuses and attributes, not categories: an
    allowance belongs to the institution, not to a line.
    """

    id: str
    title: str = ""
    effective: Effective
    citation: Citation
    when: When = When()
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    amount: Exact = Field(ge=0)

    _f = field_validator("amount", mode="before")(lambda cls, v: _no_float(v))


class NotCovered(BaseModel):
    """Cells the pack deliberately leaves without a ratio, and why (``not_covered:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    classes: tuple[str, ...] = Field(min_length=1)
    categories: tuple[str, ...] | None = Field(default=None, min_length=1)
    effective: Effective
    reason: str = Field(min_length=1)

    def covers(self, cls: str, category: str, point: Point) -> bool:
        """For a maintenance month, or (calendar pack) a period starting on day ``point``."""
        return (cls in self.classes and (self.categories is None or category in self.categories)
                and self.effective.covers(point))
