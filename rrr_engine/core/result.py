"""The result of one institution-month: exact figures inside, rounded once when presented.

:meth:`InstitutionResult.to_dict` is the JSON contract of ``rrr evaluate`` (amounts and ratios
as decimal strings) and the only place where the pack's rounding policy is applied. Totals are
rounded from the exact sum, not summed from rounded lines, so they may differ from the sum of
the printed lines by a minor unit; that is the declared policy.

Fields added for the general rule language appear in the JSON only when they are in play, so
a pack that uses none of them (Vietnam) keeps exactly its former output: a line's
``tranches`` (tiered cells), ``allowances`` with ``required_before_allowances`` (``required``
is then net of them), ``period_dates`` (calendar packs and reference-date bases), and
``daily_minimum`` (a daily-minimum rule in force and holdings given: per currency the floor
and the days held below it, which also count as a shortfall for :attr:`has_shortfall`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rrr_engine.core.minimums import DailyMinimumResult
from rrr_engine.models import Institution
from rrr_engine.money import RoundingPolicy, dec_str
from rrr_engine.periods import DatedPeriod, Month
from rrr_engine.rules.bands import Tranche

__all__ = ["AllowanceLine", "ExemptionResult", "InstitutionResult", "Line"]


def _ratio(value: Decimal) -> str:
    """Ratios are exact and unrounded; trailing zeros (0.040 from 0.08 × 0.5) are dropped."""
    return dec_str(value.normalize()) if value else "0"


@dataclass
class Line:
    category: str
    reserve_currency: str
    average_base: Decimal | None
    ratio: Decimal
    class_ratio: Decimal
    required: Decimal
    rule: str
    reductions: list[str]
    citations: list[str]
    tranches: list[Tranche] | None = None


@dataclass
class ExemptionResult:
    rule: str
    citation: str
    start: Month | dt.date | None
    end: Month | dt.date | None
    title: str = ""


@dataclass
class AllowanceLine:
    """An allowance that applied: its declared ``amount`` and what it ``deducted`` (floored)."""

    rule: str
    currency: str
    amount: Decimal
    deducted: Decimal
    citation: str
    title: str = ""


@dataclass
class InstitutionResult:
    institution: Institution
    maintenance_period: Month | DatedPeriod
    computation_period: Month | DatedPeriod
    ruleset: dict[str, str]
    statuses: list[str] = field(default_factory=list)
    status: str = "required"
    exemption: ExemptionResult | None = None
    lines: list[Line] = field(default_factory=list)
    required: dict[str, Decimal] = field(default_factory=dict)
    held: dict[str, Decimal] | None = None
    excess: dict[str, Decimal] | None = None
    shortfall: dict[str, Decimal] | None = None
    interest: dict[str, Decimal] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    allowances: list[AllowanceLine] | None = None
    required_before_allowances: dict[str, Decimal] | None = None
    period_dates: dict[str, str] | None = None
    daily_minimum: dict[str, DailyMinimumResult] | None = None
    # what the evaluation computed, for the stages that store it (never recomputed there):
    # the version of the pack in force, and the computation period's base per category and
    # deposit currency, before conversion (empty when exempt or nothing was averaged)
    version: Month | dt.date | None = None
    base_averages: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    @property
    def has_shortfall(self) -> bool:
        """The average is below the requirement, or a day is below a daily minimum."""
        return (any(v > 0 for v in (self.shortfall or {}).values())
                or any(m.days_below for m in (self.daily_minimum or {}).values()))

    def to_dict(self, rounding: RoundingPolicy) -> dict[str, Any]:
        """The contract's JSON object; amounts rounded by ``rounding``, ratios exact."""
        def money(values: dict[str, Decimal] | None) -> dict[str, str] | None:
            if values is None:
                return None
            return {ccy: dec_str(rounding.round(v, ccy)) for ccy, v in values.items()}

        def amount(value: Decimal, ccy: str) -> str:
            return dec_str(rounding.round(value, ccy))

        def line(ln: Line) -> dict[str, Any]:
            shown: dict[str, Any] = {
                "category": ln.category, "reserve_currency": ln.reserve_currency,
                "average_base": None if ln.average_base is None else amount(
                    ln.average_base, ln.reserve_currency),
                "ratio": _ratio(ln.ratio), "class_ratio": _ratio(ln.class_ratio),
                "required": amount(ln.required, ln.reserve_currency),
                "rule": ln.rule, "reductions": list(ln.reductions),
                "citations": list(ln.citations)}
            if ln.tranches is not None:
                shown["tranches"] = [{
                    "from": dec_str(t.lower), "upto": None if t.upper is None else dec_str(t.upper),
                    "ratio": _ratio(t.ratio), "class_ratio": _ratio(t.class_ratio),
                    "base": amount(t.base, ln.reserve_currency),
                    "required": amount(t.required, ln.reserve_currency)} for t in ln.tranches]
            return shown

        out: dict[str, Any] = {
            "institution_id": self.institution.id,
            "institution_name": self.institution.name,
            "institution_class": self.institution.class_,
            "maintenance_period": str(self.maintenance_period),
            "computation_period": str(self.computation_period),
            "ruleset": dict(self.ruleset),
            "status": self.status,
            "statuses": list(self.statuses),
            "exemption": None if self.exemption is None else {
                "rule": self.exemption.rule, "citation": self.exemption.citation,
                "from": None if self.exemption.start is None else str(self.exemption.start),
                "to": None if self.exemption.end is None else str(self.exemption.end),
                "title": self.exemption.title},
            "lines": [line(ln) for ln in self.lines],
            "required": money(self.required),
            "findings": [dict(f) for f in self.findings],
        }
        if self.allowances is not None:
            out["required_before_allowances"] = money(self.required_before_allowances)
            out["allowances"] = [{
                "rule": a.rule, "currency": a.currency, "amount": dec_str(a.amount),
                "deducted": amount(a.deducted, a.currency), "citation": a.citation,
                "title": a.title} for a in self.allowances]
        if self.period_dates is not None:
            out["period_dates"] = dict(self.period_dates)
        if self.held is not None:
            out.update(held=money(self.held), excess=money(self.excess),
                       shortfall=money(self.shortfall), interest=money(self.interest))
        if self.daily_minimum is not None:
            out["daily_minimum"] = {ccy: {
                "rule": m.rule, "citation": m.citation, "share": _ratio(m.share),
                "minimum": amount(m.minimum, ccy),
                "days_below": [{"date": str(d.date), "held": amount(d.held, ccy),
                                "short": amount(d.short, ccy)} for d in m.days_below]}
                for ccy, m in self.daily_minimum.items()}
        return out
