"""Reading a rule pack: every problem in it as data, in one pass over its files.

:func:`read` reads each rule file of a pack directory once (bounded, regular files only),
hashes exactly the bytes it parsed, validates every file, section, setting, status and rule on
its own against :mod:`rrr_engine.rules.model`, resolves ``$setting`` references, checks the
names rules use (:mod:`rrr_engine.rules.names`) and what only parsed rules show (dates in the
pack's unit, allowance currencies, tiered ratios), builds the period calendar, and collects
every problem as an :class:`~rrr_engine.rules.issues.Issue` (file, line, key, message) instead
of stopping at the first. This module is the one place that decides whether a pack is valid:
:func:`rrr_engine.rules.pack.load_pack` is its strict form (a pack with any problem is refused
with the first one, naming file and line) and ``rrr rules check`` its report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from rrr_engine.errors import RuleFileError
from rrr_engine.periods import WorkingCalendar
from rrr_engine.rules.amendments import amendment_problems
from rrr_engine.rules.calendars import MonthlyPeriods, Periods, PeriodsSection, build_periods
from rrr_engine.rules.issues import Issue
from rrr_engine.rules.model import (
    Allowance,
    DailyMinimum,
    Effective,
    Exemption,
    InterestRate,
    NotCovered,
    PackHeader,
    RatioTable,
    Reduction,
    Setting,
    StatusDef,
)
from rrr_engine.rules.names import Names
from rrr_engine.rules.yamlsrc import MAX_BYTES, SourceDoc, parse_document, validation_errors
from rrr_engine.safe_read import read_text

__all__ = ["RULE_KINDS", "SECTIONS", "PackReading", "PackUnreadable", "read", "rule_files"]

SECTIONS = ("pack", "settings", "statuses", "ratios", "exemptions", "reductions", "interest",
            "calendar", "allowances", "periods", "not_covered", "daily_minimum")
RULE_KINDS = ("ratios", "exemptions", "reductions", "interest", "allowances", "daily_minimum")
_RULES: dict[str, type[BaseModel]] = {
    "ratios": RatioTable, "exemptions": Exemption, "reductions": Reduction,
    "interest": InterestRate, "allowances": Allowance, "not_covered": NotCovered,
    "daily_minimum": DailyMinimum}
_BY_DAY = ("effective dates are months (YYYY-MM) in a pack with monthly periods; days need "
           "periods: {kind: calendar}")

P = TypeVar("P")


class PackUnreadable(RuleFileError):
    """The path is not a directory of readable rule files: nothing can be checked."""


class _CalendarDay(BaseModel):
    model_config = ConfigDict(extra="allow")
    date: dt.date


class _Calendar(BaseModel):
    model_config = ConfigDict(extra="allow")
    holidays: list[_CalendarDay] = []
    working_weekend_days: list[_CalendarDay] = []
    years_covered: list[int] = []


@dataclass
class PackReading(Generic[P]):
    """What reading a pack found: the pack (``None`` if it cannot be loaded), every issue in
    the order found, the parsed documents by section (for lines) and each file's sha256.

    Every issue here is an error; ``refusals`` are those that stop the pack from loading (all
    but the citation review's: a status without a citation, a placeholder citation), each as
    the loader raises it.
    """

    path: Path
    issues: list[Issue]
    docs: dict[str, SourceDoc]
    sha256: str
    file_sha256: dict[str, str]
    pack: P | None = None
    refusals: list[RuleFileError] = field(default_factory=list)  # the errors, as raised

    def strict(self) -> P:
        """The pack, or :class:`RuleFileError` with the first problem (all of them attached
        as ``problems``)."""
        if self.pack is None:
            first = self.refusals[0]
            raise RuleFileError(first.problem, file=first.file, line=first.line,
                                field=first.field, problems=tuple(self.issues))
        return self.pack


def rule_files(directory: Path) -> list[Path]:
    """The rule files of a pack directory, in the order they are read and hashed."""
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def not_sections(doc: SourceDoc) -> str:
    """Why a rule file whose document is not a mapping is refused."""
    empty = "the file is empty (or holds only comments); " if doc.data is None else ""
    return f"{empty}a rule file is a mapping of sections ({', '.join(SECTIONS)})"


def _reworded(exc: RuleFileError) -> tuple[str, str, str]:
    """(code, key, problem) of an error, citation problems said as such."""
    ctx = exc.context
    key = str(ctx.get("field") or "")
    problem = str(ctx.get("problem", exc.message))
    if key.split(".")[-1] == "citation" and problem == "required field is missing":
        return "citation", key, ("missing citation: every rule must cite the law it encodes "
                                 "(document and article)")
    if ".citation." in f"{key}." and "at least 1 character" in problem:
        return "citation", key, f"empty citation {key.split('.')[-1]}"
    return "schema", key, problem


class _Reader:
    """Validates a pack piece by piece, keeping every problem instead of stopping at the first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.issues: list[Issue] = []
        self.refusals: list[RuleFileError] = []
        self.docs: dict[str, SourceDoc] = {}
        self.file_sha256: dict[str, str] = {}
        if not directory.is_dir():
            raise PackUnreadable("rule pack directory not found", file=directory)
        files = rule_files(directory)
        if not files:
            raise PackUnreadable("no rule files (*.yaml) in the pack directory", file=directory)
        digest = hashlib.sha256()
        texts = []
        for path in files:  # a file that cannot be read at all stops the reading
            text, raw = read_text(path, limit=MAX_BYTES, error=PackUnreadable)
            digest.update(path.name.encode() + b"\0" + raw + b"\0")  # the bytes parsed
            self.file_sha256[path.name] = hashlib.sha256(raw).hexdigest()
            texts.append((path, text, raw))
        self.sha256 = digest.hexdigest()
        for path, text, raw in texts:
            try:
                doc = parse_document(path, text, raw)
            except RuleFileError as exc:
                self.error(exc)
                continue
            if not isinstance(doc.data, dict):
                self.error(RuleFileError(not_sections(doc), file=doc.file, line=1),
                           key="(document)")
                continue
            for key in doc.data:
                if key not in SECTIONS:
                    self.add(doc, (key,), key,
                             f"unknown section; expected one of {', '.join(SECTIONS)}")
                elif key in self.docs:
                    self.add(doc, (key,), key, f"section also defined in {self.docs[key].file}")
                else:
                    self.docs[key] = doc
        if "pack" not in self.docs and not self.issues:
            self.error(RuleFileError("no 'pack:' section in any rule file", file=directory),
                       key="pack")

    def error(self, exc: RuleFileError, code: str | None = None, key: str | None = None,
              *, fatal: bool = True) -> None:
        """Keep ``exc`` as an issue (the report, which says a missing or empty citation in
        words that ask for one) and, if ``fatal``, as raised by the strict form."""
        kind, field_, problem = _reworded(exc)
        ctx = exc.context
        file = None if ctx.get("file") is None else str(ctx["file"])
        line = ctx.get("line")
        if fatal:
            self.refusals.append(exc)
        self.issues.append(Issue("error", code or kind, file,
                                 line if isinstance(line, int) else None,
                                 key or field_ or "(file)", problem))

    def add(self, doc: SourceDoc, path: tuple[Any, ...], key: str, problem: str,
            code: str = "schema") -> None:
        """A problem at ``path`` of ``doc``; a citation the law needs but the engine can run
        without (a status's, a placeholder) fails the check, not the loading."""
        self.error(RuleFileError(problem, file=doc.file, line=doc.line_of(path), field=key), code,
                   fatal=code != "citation")

    def fail(self, section: str, path: tuple[Any, ...], problem: str) -> None:
        """A problem at ``path`` inside ``section``, keyed by its dotted path."""
        full = (section, *path)
        self.add(self.docs[section], full, ".".join(map(str, full)), problem)

    def body(self, section: str, default: Any) -> Any:
        doc = self.docs.get(section)
        return default if doc is None or doc.data[section] is None else doc.data[section]

    def items(self, section: str) -> list[tuple[Any, Any]]:
        doc = self.docs.get(section)
        body = doc.data[section] if doc else None
        if doc is None or body is None:
            return []
        named = section in ("settings", "statuses")
        if named and isinstance(body, dict):
            return list(body.items())
        if not named and isinstance(body, list):
            return list(enumerate(body))
        self.add(doc, (section,), section,
                 "expected a mapping of names" if named else "expected a list of rules")
        return []

    def resolve(self, value: Any, settings: dict[str, Setting], doc: SourceDoc,
                path: tuple[Any, ...]) -> Any:
        """Replace ``"$name"`` strings by the value of setting ``name`` (an unknown name fails)."""
        if isinstance(value, dict):
            return {k: self.resolve(v, settings, doc, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, settings, doc, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:]
            if name not in settings:
                raise RuleFileError(f"unknown setting {value!r}; declared settings: "
                                    f"{', '.join(sorted(settings)) or 'none'}", file=doc.file,
                                    line=doc.line_of(path), field=".".join(map(str, path)))
            return settings[name].value
        return value

    def parse(self, section: str, key: Any, data: Any, model: type[BaseModel],
              settings: dict[str, Setting] | None = None, prefix: tuple[Any, ...] = ()) -> Any:
        """``data`` validated as ``model``, or ``None`` with every problem kept."""
        doc = self.docs[section]
        path = prefix or (section, key)
        try:
            if settings is not None:
                data = self.resolve(data, settings, doc, path)
            return model.model_validate(data)
        except RuleFileError as exc:
            self.error(exc)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            for err, found in zip(errors, validation_errors(doc, exc, prefix=path), strict=True):
                if err["type"] == "too_short" and any(
                        e is not err and e["loc"][:len(err["loc"])] == err["loc"] for e in errors):
                    continue  # "no rows" only because a row itself failed: said already
                assert isinstance(found, RuleFileError)
                self.error(found)
        return None


def read(directory: str | Path, build: Callable[..., P]) -> PackReading[P]:
    """Read and cross-check the pack in ``directory``; ``build(**fields)`` makes the pack when
    nothing is wrong. :class:`PackUnreadable` if the directory or a file cannot be read."""
    directory = Path(directory)
    r = _Reader(directory)
    header = None
    if "pack" in r.docs:
        header = r.parse("pack", None, r.body("pack", {}), PackHeader, prefix=("pack",))
    settings: dict[str, Setting] = {}
    for name, body in r.items("settings"):
        parsed = r.parse("settings", name, body, Setting)
        if parsed is not None:
            settings[name] = parsed
    statuses: dict[str, StatusDef] = {}
    status_items = r.items("statuses")
    for name, body in status_items:
        parsed = r.parse("statuses", name, body, StatusDef, settings)
        if parsed is not None:
            statuses[name] = parsed
            if parsed.citation is None:
                r.add(r.docs["statuses"], ("statuses", name), f"statuses.{name}",
                      "missing citation: a status times rules by law; cite where",
                      code="citation")
    names = Names(r, header, {name for name, _ in status_items})
    for name, status in statuses.items():
        names.status_events(name, status)
    rules: dict[str, list[Any]] = {}
    lines: dict[tuple[str, str], int] = {}
    for section, model in _RULES.items():
        rules[section] = []
        for index, body in r.items(section):
            parsed = r.parse(section, index, body, model, settings)
            names.rule(section, index, body)
            rules[section].append(parsed)
            if parsed is not None and section != "not_covered":
                lines[(section, parsed.id)] = r.docs[section].line_of((section, index)) or 0
            if section == "ratios" and parsed is not None:
                for a in range(len(parsed.amendments)):  # for explanations: where each is
                    lines[("ratios", f"{parsed.id} amendment {a + 1}")] = (
                        r.docs["ratios"].line_of(("ratios", index, "amendments", a)) or 0)
    calendar = WorkingCalendar(holidays=frozenset())
    if "calendar" in r.docs:
        cal = r.parse("calendar", None, r.body("calendar", {}), _Calendar, settings,
                      prefix=("calendar",))
        if cal is not None:
            calendar = WorkingCalendar(
                holidays=frozenset(d.date for d in cal.holidays),
                working_weekend_days=frozenset(d.date for d in cal.working_weekend_days),
                years=frozenset(cal.years_covered))
    periods = _periods(r, settings, header)
    if header is not None and periods is not None:
        _cross_check(r, header, rules, periods.kind == "monthly")
    reading: PackReading[P] = PackReading(directory, r.issues, r.docs, r.sha256, r.file_sha256,
                                          refusals=r.refusals)
    if not r.refusals and header is not None and periods is not None:
        reading.pack = build(
            path=directory, header=header, settings=settings, statuses=statuses,
            calendar=calendar, sha256=r.sha256, file_sha256=r.file_sha256,
            files={k: d.file for k, d in r.docs.items()}, lines=lines, periods=periods,
            **{section: found for section, found in rules.items()})
    return reading


def _periods(r: _Reader, settings: dict[str, Setting],
             header: PackHeader | None) -> Periods | None:
    """The pack's calendar of maintenance periods; ``None`` if its section is wrong."""
    lag = settings["computation_lag_months"].value if "computation_lag_months" in settings else 1
    if "periods" not in r.docs:
        return MonthlyPeriods(int(lag))
    doc, data = r.docs["periods"], r.body("periods", {})
    if r.parse("periods", None, data, PeriodsSection, settings, prefix=("periods",)) is None:
        return None
    try:  # valid on its own: now the periods' order, ids and dates
        return build_periods(doc, r.resolve(data, settings, doc, ("periods",)),
                             pack=header.id if header else r.directory.name, default_lag=int(lag))
    except RuleFileError as exc:
        r.error(exc)
        return None


def _cross_check(r: _Reader, h: PackHeader, rules: dict[str, list[Any]],
                 monthly: bool) -> None:
    """What only parsed rules show: dates in the pack's unit, what an allowance may name,
    which categories may be tiered, the events notices name. (The names rules use were
    checked on the raw data, so that a rule that failed validation is checked too.)"""
    for section, found in rules.items():
        for index, rule in enumerate(found):
            if rule is not None and monthly and rule.effective.by_day:
                r.fail(section, (index, "effective"), _BY_DAY)
    for index, rule in enumerate(rules["allowances"]):
        if rule is None:
            continue
        if rule.when.categories:
            r.fail("allowances", (index, "when", "categories"), "an allowance applies to the "
                   "institution's total, so its when: cannot name categories")
        if rule.currency not in h.reserve_currencies:
            r.fail("allowances", (index, "currency"), f"currency {rule.currency!r} is not one "
                   f"the pack holds reserves in ({', '.join(h.reserve_currencies)})")
    tables = [n for n, a in h.attributes.items() if a.type == "ratios"]
    for index, rule in enumerate(rules["reductions"]):
        if rule is None or rule.proposed is None:
            continue
        field = rule.proposed.field
        if field is None and len(tables) != 1:
            r.fail("reductions", (index, "proposed"), "name the institution attribute holding "
                   f"the proposed ratios (field:); attributes of type ratios: "
                   f"{', '.join(tables) or 'none declared'}")
        if field is not None and field not in tables:
            r.fail("reductions", (index, "proposed", "field"), f"unknown attribute {field!r}; "
                   f"attributes of type ratios: {', '.join(tables) or 'none declared'}")
    floors = rules["daily_minimum"]
    for index, rule in enumerate(floors):
        for other in floors[:index]:
            if rule is not None and other is not None and other.applies_to == rule.applies_to \
                    and _overlap(other.effective, rule.effective):
                r.fail("daily_minimum", (index, "effective"), f"in force together with "
                       f"{other.id!r} for {rule.applies_to} reserves; one daily minimum applies "
                       "at a time (end the earlier one the day before)")
    for index, table in enumerate(rules["ratios"]):
        for sub, problem in amendment_problems(table, h, monthly) if table is not None else ():
            r.fail("ratios", (index, *sub), problem)
        for n, row in enumerate(table.rows if table is not None else ()):
            for name, cell in row.values.items():
                if isinstance(cell, tuple) and name in h.categories \
                        and h.categories[name].kind != "domestic":
                    r.fail("ratios", (index, "rows", n, "values", name), "tiered ratios (bands) "
                           "are for domestic categories: band amounts are in the domestic "
                           "currency")
    for index, notice in enumerate(h.notices):
        if h.events and notice.event not in h.events:
            r.fail("pack", ("notices", index, "event"), f"unknown event {notice.event!r}")


def _overlap(a: Effective, b: Effective) -> bool:
    """Whether two rules' effective dates share a day."""
    return ((a.last_day is None or b.first_day <= a.last_day)
            and (b.last_day is None or a.first_day <= b.last_day))
