"""``rrr rules check``: everything wrong with a rule pack, in one run, before it goes live.

The pack reader (:mod:`rrr_engine.rules.reader`) lists every problem as ``file:line: key: what
is wrong``, with the same verdict the loader gives (a pack the check fails is one the engine
refuses, and the other way round); when the pack has no errors the check goes on to analyse
coverage (:mod:`rrr_engine.rules.coverage`) and dead rules
(:mod:`rrr_engine.authoring.check.reachability`). Errors fail the check (exit 1, for CI);
warnings and notes, such as the pack's declared gaps, are listed but do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rrr_engine.authoring.check.reachability import unreachable_issues
from rrr_engine.rules.coverage import coverage_issues
from rrr_engine.rules.issues import SEVERITIES, Issue, Locator, counted
from rrr_engine.rules.pack import RulePack, read_pack
from rrr_engine.rules.reader import PackReading, PackUnreadable
from rrr_engine.rules.spans import Span, before
from rrr_engine.rules.yamlsrc import SourceDoc

__all__ = ["CheckReport", "PackUnreadable", "check_pack", "version_spans"]


@dataclass
class CheckReport:
    path: Path
    reading: PackReading[RulePack]  # what the reader found (its strict form: the loader's)
    issues: list[Issue] = field(default_factory=list)
    pack: RulePack | None = None  # the pack the analyses ran on: one without any error

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


def _pinpoint(doc: SourceDoc, issue: Issue) -> Issue:
    """Move a row-level "category: problem" message onto that category's value (the
    loader's one-line error names the row; the report can point at the cell)."""
    parts = issue.key.split(".")
    head, _, rest = issue.message.partition(": ")
    if len(parts) >= 3 and parts[-2] in ("rows", "amendments") and rest:
        path = (*[int(p) if p.isdigit() else p for p in parts], "values", head)
        line = doc.line_of(path)
        if path in doc.lines and line:
            return replace(issue, key=".".join(map(str, path)), line=line, message=rest)
    return issue


def check_pack(path: str | Path) -> CheckReport:
    """Check the pack at ``path``; :class:`PackUnreadable` if it is not a readable directory."""
    directory = Path(path)
    reading = read_pack(directory)
    docs = {doc.file: doc for doc in reading.docs.values()}
    # analyses run on a pack with no error at all (a citation problem included)
    pack = None if any(i.is_error for i in reading.issues) else reading.pack
    report = CheckReport(directory, reading, [_pinpoint(docs[i.file], i) if i.file in docs
                                              else i for i in reading.issues], pack)
    if report.pack is not None:
        loc = Locator(reading.docs, directory)
        dead = unreachable_issues(report.pack, loc)
        dead_rows = {(i.file, i.line) for i in dead if i.code == "unreachable"}
        report.issues += [i for i in coverage_issues(report.pack, loc)
                          if not (i.code == "shadowed" and (i.file, i.line) in dead_rows)] + dead
    report.issues.sort(key=lambda i: (i.file or "", i.line if isinstance(i.line, int) else 0,
                                      SEVERITIES.index(i.severity)))
    return report
