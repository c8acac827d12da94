"""``rrr rules check``: everything wrong with a rule pack, in one run, before it goes live.

Loading a pack stops at its first error; the check goes on. It validates each file, section,
setting, status and rule on its own and collects every schema error as ``file:line: key: what is
wrong``; it checks the names rules use and their citations; then, when the pack loads (the loader
has the last word, so the check never passes a pack the engine refuses), it analyses coverage
(:mod:`rrr_engine.rules.coverage`) and dead rules (:mod:`rrr_engine.authoring.check.reachability`).
Errors fail the check (exit 1, for CI); warnings and notes, such as the pack's declared gaps, are
listed but do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from rrr_engine.authoring.check.reachability import unreachable_issues
from rrr_engine.errors import InputError, RuleFileError
from rrr_engine.rules.calendars import PeriodsSection
from rrr_engine.rules.coverage import coverage_issues
from rrr_engine.rules.issues import SEVERITIES, Issue, Locator, counted
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
)
from rrr_engine.rules.names import Names
from rrr_engine.rules.pack import (
    _SECTIONS,
    RulePack,
    _Calendar,
    _resolve_settings,
    load_pack,
    not_sections,
)
from rrr_engine.rules.spans import Span, before
from rrr_engine.rules.yamlsrc import MAX_BYTES, SourceDoc, load_document, validation_errors
from rrr_engine.safe_read import read_text

__all__ = ["CheckReport", "PackUnreadable", "check_pack", "version_spans"]

_RULES: dict[str, type[BaseModel]] = {
    "ratios": RatioTable, "exemptions": Exemption, "reductions": Reduction,
    "interest": InterestRate, "allowances": Allowance, "not_covered": NotCovered}


class PackUnreadable(RuleFileError):
    """The path is not a directory of readable rule files: nothing can be checked."""


@dataclass
class CheckReport:
    path: Path
    issues: list[Issue] = field(default_factory=list)
    pack: RulePack | None = None

    def count(self, severity: str) -> int:
        return sum(1 for i in self.issues if i.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0

    def to_dict(self) -> dict[str, Any]:
        p = self.pack
        return {"path": str(self.path), "pack": p.id if p else None,
                "sha256": p.sha256 if p else None, "ok": self.ok,
                "versions": [str(v) for v in p.versions] if p else [],
                "version_spans": [{**span.as_dict(), **({} if n is None else {"periods": n})}
                                  for span, n in version_spans(p)] if p else [],
                "counts": {s: self.count(s) for s in SEVERITIES},
                "issues": [i.as_dict() for i in self.issues]}

    def to_text(self) -> str:
        lines = [str(i) for i in self.issues]
        counts = ", ".join(counted(self.count(s), s) for s in SEVERITIES)
        if self.pack is None:
            lines.append(f"{self.path}: {counts}; coverage and reachability were not analysed "
                         "(fix the errors above first)")
        else:
            p = self.pack
            versions = ", ".join(str(span) if n is None else f"{span} ({counted(n, 'period')})"
                                 for span, n in version_spans(p))
            lines.append(
                f"{p.id} ({self.path}, sha256 {p.sha256[:12]}): {counts}; "
                f"{counted(len(p.ratios), 'ratio table')} over "
                f"{counted(len(p.header.classes), 'class')} × "
                f"{counted(len(p.header.categories), 'category')}, checked from "
                f"{p.versions[0] if p.versions else '-'} in {counted(len(p.versions), 'version')}"
                f"{': ' + versions if versions else ''}")
        lines.append("check passed" if self.ok else "check FAILED")
        return "\n".join(lines) + "\n"


def version_spans(pack: RulePack) -> list[tuple[Span, int | None]]:
    """Each version's run of months or days (to the one before the next version) and, in a
    calendar pack, how many listed maintenance periods start in it (and so use it)."""
    out = []
    for i, version in enumerate(pack.versions):
        end = before(pack.versions[i + 1]) if i + 1 < len(pack.versions) else None
        span = Span(version, end)
        listed = getattr(pack.periods, "periods", None)
        out.append((span, None if listed is None else sum(span.covers(q.first) for q in listed)))
    return out


def _from_error(exc: InputError, code: str = "schema") -> Issue:
    key = exc.field or ""
    problem = exc.problem
    if key.split(".")[-1] == "citation" and problem == "required field is missing":
        code, problem = "citation", ("missing citation: every rule must cite the law it encodes "
                                     "(document and article)")
    elif ".citation." in f"{key}." and "at least 1 character" in problem:
        code, problem = "citation", f"empty citation {key.split('.')[-1]}"
    return Issue("error", code, exc.file, exc.line, key or "(file)", problem)


def _pinpoint(doc: SourceDoc, issue: Issue, data: Any) -> Issue:
    """Move a row-level "category: problem" message onto that category's value."""
    parts = issue.key.split(".")
    head, _, rest = issue.message.partition(": ")
    if len(parts) >= 3 and parts[-2] == "rows" and rest:
        path = (*[int(p) if p.isdigit() else p for p in parts], "values", head)
        line = doc.line_of(path)
        if path in doc.lines and line:
            issue.key, issue.line, issue.message = ".".join(map(str, path)), line, rest
    return issue


def _readable_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise PackUnreadable("not a rule pack directory (no such directory)", file=directory)
    files = sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    if not files:
        raise PackUnreadable("no rule files (*.yaml) in the pack directory", file=directory)
    for path in files:  # a file that cannot be read at all stops the check (bounded read)
        read_text(path, limit=MAX_BYTES, error=PackUnreadable)
    return files


class _Collector:
    """Validates a pack piece by piece, keeping every error instead of stopping at the first."""

    def __init__(self, directory: Path) -> None:
        self.issues: list[Issue] = []
        self.docs: dict[str, SourceDoc] = {}
        for path in _readable_files(directory):
            try:
                doc = load_document(path)
            except RuleFileError as exc:
                self.issues.append(_from_error(exc))
                continue
            if not isinstance(doc.data, dict):
                self.issues.append(Issue("error", "schema", doc.file, 1, "(document)",
                                         not_sections(doc)))
                continue
            for key in doc.data:
                if key not in _SECTIONS:
                    self.add(doc, (key,), key,
                             f"unknown section; expected one of {', '.join(_SECTIONS)}")
                elif key in self.docs:
                    self.add(doc, (key,), key, f"section also defined in {self.docs[key].file}")
                else:
                    self.docs[key] = doc
        if "pack" not in self.docs and not self.issues:
            self.issues.append(Issue("error", "schema", str(directory), None, "pack",
                                     "no 'pack:' section in any rule file"))

    def add(self, doc: SourceDoc, path: tuple[Any, ...], key: str, problem: str,
             code: str = "schema") -> None:
        self.issues.append(Issue("error", code, doc.file, doc.line_of(path), key, problem))

    def items(self, section: str) -> list[tuple[Any, Any]]:
        doc = self.docs.get(section)
        body = doc.data[section] if doc else None
        if doc is None or body is None:
            return []
        if section in ("settings", "statuses"):
            if isinstance(body, dict):
                return list(body.items())
        elif isinstance(body, list):
            return list(enumerate(body))
        self.add(doc, (section,), section, "expected a mapping of names" if section in
                  ("settings", "statuses") else "expected a list of rules")
        return []

    def parse(self, section: str, key: Any, data: Any, model: type[BaseModel],
              settings: dict[str, Setting] | None = None, prefix: tuple[Any, ...] = ()) -> Any:
        doc = self.docs[section]
        path = prefix or (section, key)
        try:
            if settings is not None:
                data = _resolve_settings(data, settings, doc, path)
            return model.model_validate(data)
        except RuleFileError as exc:
            self.issues.append(_from_error(exc))
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            # one issue per pydantic error, in the same order
            for err, issue in zip(errors, validation_errors(doc, exc, prefix=path), strict=True):
                if err["type"] == "too_short" and any(
                        e is not err and e["loc"][:len(err["loc"])] == err["loc"] for e in errors):
                    continue  # "no rows" only because a row itself failed: said already
                self.issues.append(_pinpoint(doc, _from_error(issue), data))
        return None


def _collect(directory: Path) -> tuple[list[Issue], dict[str, SourceDoc]]:
    c = _Collector(directory)
    header = None
    if "pack" in c.docs:
        header = c.parse("pack", None, c.docs["pack"].data["pack"] or {}, PackHeader,
                         prefix=("pack",))
    settings: dict[str, Setting] = {}
    for name, body in c.items("settings"):
        parsed = c.parse("settings", name, body, Setting)
        if parsed is not None:
            settings[name] = parsed
    statuses: dict[str, StatusDef] = {}
    status_items = c.items("statuses")
    for name, body in status_items:
        parsed = c.parse("statuses", name, body, StatusDef, settings)
        if parsed is not None:
            statuses[name] = parsed
            if parsed.citation is None:
                c.add(c.docs["statuses"], ("statuses", name), f"statuses.{name}",
                       "missing citation: a status times rules by law; cite where",
                       code="citation")
    names = Names(c, header, {name for name, _ in status_items})
    for name, status in statuses.items():
        names.status_events(name, status)
    for section, model in _RULES.items():
        for index, body in c.items(section):
            c.parse(section, index, body, model, settings)
            names.rule(section, index, body)
    for section, model in (("calendar", _Calendar), ("periods", PeriodsSection)):
        if section in c.docs:
            c.parse(section, None, c.docs[section].data[section] or {}, model, settings,
                    prefix=(section,))
    return c.issues, c.docs


def check_pack(path: str | Path) -> CheckReport:
    """Check the pack at ``path``; :class:`PackUnreadable` if it is not a readable directory."""
    directory = Path(path)
    issues, docs = _collect(directory)
    report = CheckReport(directory, issues)
    if not any(i.is_error for i in issues):
        try:
            report.pack = load_pack(directory)
        except RuleFileError as exc:
            report.issues.append(_from_error(exc))
    if report.pack is not None:
        loc = Locator(docs, directory)
        dead = unreachable_issues(report.pack, loc)
        dead_rows = {(i.file, i.line) for i in dead if i.code == "unreachable"}
        report.issues += [i for i in coverage_issues(report.pack, loc)
                          if not (i.code == "shadowed" and (i.file, i.line) in dead_rows)] + dead
    report.issues.sort(key=lambda i: (i.file or "", i.line if isinstance(i.line, int) else 0,
                                      SEVERITIES.index(i.severity)))
    return report
