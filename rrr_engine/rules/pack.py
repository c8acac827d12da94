"""A rule pack on disk: loading, cross-checking, versions and the content hash.

A pack is a directory of YAML files (``pack.yaml``, ``ratios.yaml``, ...; any split works,
each top-level key may appear in one file only) plus ``scenarios/`` with its tests. Loading
validates every file against :mod:`rrr_engine.rules.model`, resolves ``$setting`` references,
checks that every class, category, status, event and currency named exists, builds the period
calendar (:mod:`rrr_engine.rules.calendars`) and derives the pack's versions: a new version starts
wherever any rule starts or stops being in force, at a month in a monthly pack and at a day in
a calendar pack (whose periods are matched by their start date). The pack's identity is the
sha256 of its rule files, which approvals and results record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from rrr_engine.errors import NoRulesetInForce, RuleFileError
from rrr_engine.periods import DatedPeriod, Month, WorkingCalendar
from rrr_engine.rules.calendars import MonthlyPeriods, Periods, build_periods
from rrr_engine.rules.model import (
    Allowance,
    Exemption,
    InterestRate,
    NotCovered,
    PackHeader,
    RatioTable,
    Reduction,
    Setting,
    StatusDef,
    When,
)
from rrr_engine.rules.yamlsrc import SourceDoc, load_document, parse_model

__all__ = ["RulePack", "load_pack"]

_SECTIONS = ("pack", "settings", "statuses", "ratios", "exemptions", "reductions", "interest",
             "calendar", "allowances", "periods",
             "not_covered")
_RULE_KINDS = ("ratios", "exemptions", "reductions", "interest", "allowances")
_DAY = dt.timedelta(days=1)


class _CalendarDay(BaseModel):
    model_config = ConfigDict(extra="allow")
    date: dt.date


class _Calendar(BaseModel):
    model_config = ConfigDict(extra="allow")
    holidays: list[_CalendarDay] = []
    working_weekend_days: list[_CalendarDay] = []
    years_covered: list[int] = []


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
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (section, rule id) -> line
    allowances: list[Allowance] = field(default_factory=list)
    periods: Periods = field(default_factory=MonthlyPeriods)
    not_covered: list[NotCovered] = field(default_factory=list)  # deliberate gaps, for rules check

    @property
    def id(self) -> str:
        return self.header.id

    def setting(self, name: str) -> Any:
        return self.settings[name].value

    def all_rules(self) -> list[Any]:
        return [*self.ratios, *self.exemptions, *self.reductions, *self.interest, *self.allowances]

    @property
    def versions(self) -> list[Month | dt.date]:
        """Where the set of rules in force changes, oldest first: months in a monthly pack,
        days in a calendar pack (a version applies to the periods starting on or after it)."""
        if self.periods.kind == "monthly":
            months: set[Month] = set()
            for rule in self.all_rules():
                months.add(rule.effective.from_)
                if rule.effective.to is not None:
                    months.add(rule.effective.to + 1)
            return sorted(months)
        days: set[dt.date] = set()
        for rule in self.all_rules():
            days.add(rule.effective.first_day)
            if rule.effective.last_day is not None:
                days.add(rule.effective.last_day + _DAY)
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
                "allowances": pick(self.allowances)}


def _resolve_settings(value: Any, settings: dict[str, Setting], doc: SourceDoc,
                      path: tuple[Any, ...]) -> Any:
    """Replace ``"$name"`` strings by the value of setting ``name`` (an unknown name fails)."""
    if isinstance(value, dict):
        return {k: _resolve_settings(v, settings, doc, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_settings(v, settings, doc, path + (i,)) for i, v in enumerate(value)]
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        if name not in settings:
            raise RuleFileError(f"unknown setting {value!r}; declared settings: "
                                f"{', '.join(sorted(settings)) or 'none'}", file=doc.file,
                                line=doc.line_of(path), field=".".join(map(str, path)))
        return settings[name].value
    return value


def not_sections(doc: SourceDoc) -> str:
    """Why a rule file whose document is not a mapping is refused."""
    empty = "the file is empty (or holds only comments); " if doc.data is None else ""
    return f"{empty}a rule file is a mapping of sections ({', '.join(_SECTIONS)})"


def _rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def load_pack(directory: str | Path) -> RulePack:
    """Load and cross-check the pack in ``directory``; raise :class:`RuleFileError` if bad."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RuleFileError("rule pack directory not found", file=directory)
    files = _rule_files(directory)
    if not files:
        raise RuleFileError("no rule files (*.yaml) in the pack directory", file=directory)
    digest = hashlib.sha256()
    docs: dict[str, SourceDoc] = {}
    for path in files:
        doc = load_document(path)  # bounded, regular files only: a FIFO here would block
        digest.update(path.name.encode() + b"\0" + doc.raw + b"\0")  # the bytes parsed
        if not isinstance(doc.data, dict):
            raise RuleFileError(not_sections(doc), file=path, line=1)
        for key in doc.data:
            if key not in _SECTIONS:
                raise RuleFileError(f"unknown section; expected one of {', '.join(_SECTIONS)}",
                                    file=path, line=doc.line_of((key,)), field=key)
            if key in docs:
                raise RuleFileError(f"section also defined in {docs[key].file}", file=path,
                                    line=doc.line_of((key,)), field=key)
            docs[key] = doc
    if "pack" not in docs:
        raise RuleFileError("no 'pack:' section in any rule file", file=directory)
    return _build(directory, docs, digest.hexdigest())


def _section(docs: dict[str, SourceDoc], key: str, default: Any) -> tuple[SourceDoc | None, Any]:
    doc = docs.get(key)
    return doc, (doc.data[key] if doc is not None and doc.data[key] is not None else default)


def _build(directory: Path, docs: dict[str, SourceDoc], sha: str) -> RulePack:
    header_doc, header = _section(docs, "pack", {})
    assert header_doc is not None  # the loader refuses a pack without one
    header = parse_model(header_doc, PackHeader, data=header, prefix=("pack",))
    settings_doc, raw = _section(docs, "settings", {})
    settings = {} if settings_doc is None else {
        name: parse_model(settings_doc, Setting, data=body, prefix=("settings", name))
        for name, body in raw.items()}

    def parsed(key: str, model: type[BaseModel]) -> list[Any]:
        doc, items = _section(docs, key, {} if key == "statuses" else [])
        if doc is None:
            return []
        items = _resolve_settings(items, settings, doc, (key,))
        if key == "statuses":
            return [(name, parse_model(doc, model, data=body, prefix=(key, name)))
                    for name, body in items.items()]
        if not isinstance(items, list):
            raise RuleFileError("expected a list of rules", file=doc.file,
                                line=doc.line_of((key,)), field=key)
        return [parse_model(doc, model, data=body, prefix=(key, i)) for i, body in enumerate(items)]

    statuses = dict(parsed("statuses", StatusDef))
    periods_doc, periods_data = _section(docs, "periods", {})
    if periods_doc is not None:
        periods_data = _resolve_settings(periods_data, settings, periods_doc, ("periods",))
    lag = settings["computation_lag_months"].value if "computation_lag_months" in settings else 1
    pack = RulePack(
        path=directory, header=header, settings=settings, statuses=statuses,
        ratios=parsed("ratios", RatioTable), exemptions=parsed("exemptions", Exemption),
        reductions=parsed("reductions", Reduction), interest=parsed("interest", InterestRate),
        calendar=_calendar(docs), sha256=sha, files={k: d.file for k, d in docs.items()},
        allowances=parsed("allowances", Allowance),
        periods=build_periods(periods_doc, periods_data, pack=header.id, default_lag=int(lag)),
        not_covered=parsed("not_covered", NotCovered))
    _cross_check(pack, docs)
    return pack


def _calendar(docs: dict[str, SourceDoc]) -> WorkingCalendar:
    doc, data = _section(docs, "calendar", None)
    if doc is None:
        return WorkingCalendar(holidays=frozenset())
    cal = parse_model(doc, _Calendar, data=data, prefix=("calendar",))
    return WorkingCalendar(holidays=frozenset(d.date for d in cal.holidays),
                           working_weekend_days=frozenset(d.date for d in cal.working_weekend_days),
                           years=frozenset(cal.years_covered))


def _cross_check(pack: RulePack, docs: dict[str, SourceDoc]) -> None:
    """Every name a rule uses is declared; rule ids are unique within the pack."""
    h = pack.header
    known = {"classes": set(h.classes), "categories": set(h.categories),
             "status": set(pack.statuses), "not_status": set(pack.statuses)}
    noun = {"classes": "class", "categories": "category", "status": "status",
            "not_status": "status"}
    seen: dict[str, str] = {}

    def fail(key: str, index: Any, sub: tuple[Any, ...], problem: str) -> None:
        doc = docs[key]
        path = (key, index) + sub
        raise RuleFileError(problem, file=doc.file, line=doc.line_of(path),
                            field=".".join(map(str, path)))

    def check_when(key: str, index: int, when: When) -> None:
        for kind, allowed in known.items():
            for name in getattr(when, kind) or ():
                if name not in allowed:
                    fail(key, index, ("when", kind), f"unknown {noun[kind]} {name!r}; "
                         f"declared: {', '.join(sorted(allowed))}")
        for attr in when.attributes or {}:
            if attr != "agri_lending_share":
                fail(key, index, ("when", "attributes", attr),
                     "unknown attribute; supported: agri_lending_share")

    monthly = pack.periods.kind == "monthly"
    for index, decl in enumerate(pack.not_covered if monthly else ()):
        if decl.effective.by_day:
            fail("not_covered", index, ("effective",), "effective dates are months (YYYY-MM) "
                 "in a pack with monthly periods; days need periods: {kind: calendar}")
    for key in _RULE_KINDS:
        for index, rule in enumerate(getattr(pack, key)):
            if rule.id in seen:
                fail(key, index, ("id",),
                     f"duplicate rule id {rule.id!r} (also in {seen[rule.id]})")
            seen[rule.id] = key
            pack.lines[(key, rule.id)] = docs[key].line_of((key, index)) or 0
            if hasattr(rule, "when"):
                check_when(key, index, rule.when)
            if monthly and rule.effective.by_day:
                fail(key, index, ("effective",), "effective dates are months (YYYY-MM) in a "
                     "pack with monthly periods; days need periods: {kind: calendar}")
    for index, rule in enumerate(pack.allowances):
        if rule.when.categories:
            fail("allowances", index, ("when", "categories"), "an allowance applies to the "
                 "institution's total, so its when: cannot name categories")
        if rule.currency not in h.reserve_currencies:
            fail("allowances", index, ("currency",), f"currency {rule.currency!r} is not one "
                 f"the pack holds reserves in ({', '.join(h.reserve_currencies)})")
    for index, table in enumerate(pack.ratios):
        for r, row in enumerate(table.rows):
            for name in row.classes:
                if name not in known["classes"]:
                    fail("ratios", index, ("rows", r, "classes"), f"unknown class {name!r}")
            for name, cell in row.values.items():
                if name not in known["categories"]:
                    fail("ratios", index, ("rows", r, "values", name), f"unknown category {name!r}")
                if isinstance(cell, tuple) and h.categories[name].kind != "domestic":
                    fail("ratios", index, ("rows", r, "values", name), "tiered ratios (bands) "
                         "are for domestic categories: band amounts are in the domestic currency")
    for name, status in pack.statuses.items():
        for edge_name in ("starts", "ends"):
            edge = getattr(status, edge_name)
            for event in (edge.event if edge else ()):
                if h.events and event not in h.events:
                    fail("statuses", name, (edge_name, "event"), f"unknown event {event!r}")
    for index, notice in enumerate(h.notices):
        if h.events and notice.event not in h.events:
            fail("pack", "notices", (index, "event"), f"unknown event {notice.event!r}")
