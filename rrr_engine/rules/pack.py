"""A loaded rule pack: its rules, versions and content hash; :func:`load_pack` loads one.

A pack is a directory of YAML files (``pack.yaml``, ``ratios.yaml``, ...; any split works,
each top-level key may appear in one file only) plus ``scenarios/`` with its tests. Reading and
validating it is :mod:`rrr_engine.rules.reader`'s job (every problem as data); :func:`load_pack`
is the strict form, refusing a pack with any problem. A :class:`RulePack` derives the pack's
versions: a new version starts wherever any rule starts or stops being in force, at a month in
a monthly pack and at a day in a calendar pack (whose periods are matched by their start date).
The pack's identity is the sha256 of its rule files, which approvals and results record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from rrr_engine.errors import NoRulesetInForce
from rrr_engine.periods import DatedPeriod, Month, WorkingCalendar
from rrr_engine.rules.calendars import MonthlyPeriods, Periods
from rrr_engine.rules.model import (
    Allowance,
    DailyMinimum,
    Exemption,
    InterestRate,
    NotCovered,
    PackHeader,
    RatioTable,
    Reduction,
    Setting,
    StatusDef,
)
from rrr_engine.rules.reader import PackReading, read

__all__ = ["RulePack", "load_pack", "read_pack"]

_DAY = dt.timedelta(days=1)


@dataclass
class RulePack:
    """A loaded, cross-checked pack. Immutable by convention; a changed pack is a new load."""

    path: Path
    header: PackHeader
    settings: dict[str, Setting]
    statuses: dict[str, StatusDef]
    ratios: list[RatioTable]
    exemptions: list[Exemption]
    reductions: list[Reduction]
    interest: list[InterestRate]
    calendar: WorkingCalendar
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # section -> file it came from
    file_sha256: dict[str, str] = field(default_factory=dict)  # file name -> sha256 of its bytes
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (section, rule id) -> line
    allowances: list[Allowance] = field(default_factory=list)
    periods: Periods = field(default_factory=MonthlyPeriods)
    not_covered: list[NotCovered] = field(default_factory=list)  # deliberate gaps, for rules check
    daily_minimum: list[DailyMinimum] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.header.id

    def setting(self, name: str) -> Any:
        return self.settings[name].value

    def all_rules(self) -> list[Any]:
        return [*self.ratios, *self.exemptions, *self.reductions, *self.interest, *self.allowances,
                *self.daily_minimum]

    @cached_property  # a loaded pack does not change; every evaluation asks
    def versions(self) -> list[Month | dt.date]:
        """Where the set of rules in force changes, oldest first: months in a monthly pack,
        days in a calendar pack (a version applies to the periods starting on or after it)."""
        if self.periods.kind == "monthly":
            months: set[Month] = set()
            for rule in self.all_rules():
                months.add(rule.effective.from_)
                if rule.effective.to is not None:
                    months.add(rule.effective.to + 1)
            months.update(a.from_ for t in self.ratios for a in t.amendments  # an amended cell
                          if isinstance(a.from_, Month))
            return sorted(months)
        days: set[dt.date] = set()
        for rule in self.all_rules():
            days.add(rule.effective.first_day)
            if rule.effective.last_day is not None:
                days.add(rule.effective.last_day + _DAY)
        days.update(a.first_day for t in self.ratios for a in t.amendments)
        return sorted(days)

    def version_for(self, month: Month | DatedPeriod) -> Month | dt.date:
        """The version in force for a maintenance period; an error before the first one."""
        point = self.periods.point(month)
        earlier = [v for v in self.versions if v <= point]
        if not earlier:
            first = self.versions[0] if self.versions else "none"
            span = f" ({month.span})" if isinstance(month, DatedPeriod) else ""
            raise NoRulesetInForce(
                f"no ruleset in force for {month}{span}: pack {self.id} starts at {first}",
                pack=self.id, period=str(month))
        return earlier[-1]

    def in_force(self, month: Month | DatedPeriod | dt.date) -> dict[str, list[Any]]:
        """The rules of each kind in force for a maintenance period (or a version)."""
        point = self.periods.point(month)

        def pick(rules: Sequence[Any]) -> list[Any]:
            return [r for r in rules if r.effective.covers(point)]

        return {"ratios": pick(self.ratios), "exemptions": pick(self.exemptions),
                "reductions": pick(self.reductions), "interest": pick(self.interest),
                "allowances": pick(self.allowances), "daily_minimum": pick(self.daily_minimum)}


def read_pack(directory: str | Path) -> PackReading[RulePack]:
    """Read the pack in ``directory``, collecting every problem (:mod:`rrr_engine.rules.reader`)."""
    return read(directory, RulePack)


def load_pack(directory: str | Path) -> RulePack:
    """Load and cross-check the pack in ``directory``; raise :class:`RuleFileError` with the
    first problem (file and line) if anything is wrong."""
    return read_pack(directory).strict()
