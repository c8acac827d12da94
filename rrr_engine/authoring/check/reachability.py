"""Rules that can never fire, found from the pack alone (no institution data needed).

A rule is dead when its ``when:`` cannot hold (a status no event can open, a status it also
forbids, an attribute range that is empty or outside what an institution may report), when
every class it could reach is exempt unconditionally throughout its window, or, for a
reduction or an allowance, when no ratio cell (a single ratio or bands) exists for it to act
on. A ratio row is dead when all its classes are exempt for the table's whole window. Each
version must also compile for the matching kernel, and two interest rules of one currency kind
must not be in force at once. Windows are months in a monthly pack and days in a calendar
pack, whose rules must also meet its listed periods (:mod:`rrr_engine.authoring.check.calendars`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rrr_engine.authoring.check.calendars import calendar_issues
from rrr_engine.core.kernel import compile_version
from rrr_engine.rules.coverage import exempting, segments
from rrr_engine.rules.issues import Issue, Locator
from rrr_engine.rules.model import Comparison, When
from rrr_engine.rules.spans import Point, Span, rule_span

if TYPE_CHECKING:
    from rrr_engine.rules.pack import RulePack

__all__ = ["unreachable_issues"]


def _event_possible(pack: RulePack, name: str) -> bool:
    """Whether an institution can carry event ``name``: the pack declares it."""
    return name in pack.header.events


def _status_possible(pack: RulePack, name: str) -> bool:
    status = pack.statuses[name]
    edges = [e for e in (status.starts, status.ends) if e is not None]
    return any(_event_possible(pack, ev) for edge in edges for ev in edge.event)


def _domain(pack: RulePack, attr: str) -> Comparison | None:
    """The range the pack declares for an institution attribute (e.g. a share 0..1)."""
    decl = pack.header.attributes.get(attr)
    if decl is None or (decl.min is None and decl.max is None):
        return None
    return Comparison(gte=decl.min, lte=decl.max)


def _empty(*cmps: Comparison | None) -> bool:
    """Whether no number satisfies every comparison together."""
    lows: list[tuple[Decimal, bool]] = []
    highs: list[tuple[Decimal, bool]] = []
    for c in cmps:
        if c is None:
            continue
        lows += [(c.gte, False)] if c.gte is not None else []
        lows += [(c.gt, True)] if c.gt is not None else []
        highs += [(c.lte, False)] if c.lte is not None else []
        highs += [(c.lt, True)] if c.lt is not None else []
    if not lows or not highs:
        return False
    lo = max(lows, key=lambda b: (b[0], b[1]))
    hi = min(highs, key=lambda b: (b[0], not b[1]))
    return lo[0] > hi[0] or (lo[0] == hi[0] and (lo[1] or hi[1]))


def _months(pack: RulePack, rule: Any) -> Iterator[Point]:
    """One month (or day) per segment of the rule's window (nothing changes inside a segment)."""
    for span in segments(pack):
        if rule.effective.covers(span.start):
            yield span.start


def _condition_issues(pack: RulePack, loc: Locator, section: str, index: int, rule: Any,
                      when: When) -> Iterator[Issue]:
    key = f"{section}.{rule.id}"
    if when.status:
        impossible = [s for s in when.status
                      if s in pack.statuses and not _status_possible(pack, s)]
        if len(impossible) == len(when.status):
            yield loc.issue("error", "unreachable", section, (index, "when", "status"), key,
                            f"can never fire: no event an institution can carry opens status "
                            f"{', '.join(impossible)}")
        if set(when.status) <= set(when.not_status or ()):
            yield loc.issue("error", "unreachable", section, (index, "when", "not_status"), key,
                            "can never fire: it requires a status that it also excludes "
                            f"({', '.join(when.status)})")
    for attr, cmp in (when.attributes or {}).items():
        domain = _domain(pack, attr)
        if _empty(cmp):
            yield loc.issue("error", "unreachable", section, (index, "when", "attributes", attr),
                            key, f"can never fire: no value of {attr} satisfies {_text(cmp)}")
        elif _empty(cmp, domain):
            yield loc.issue("error", "unreachable", section, (index, "when", "attributes", attr),
                            key, f"can never fire: {attr} {_text(cmp)} is outside the values an "
                            f"institution can report ({_text(domain)})")


def _text(cmp: Comparison | None) -> str:
    signs = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
    return " and ".join(f"{signs[op]} {getattr(cmp, op)}" for op in signs
                        if cmp is not None and getattr(cmp, op) is not None)


def _live(pack: RulePack, rule: Any, section: str) -> bool:
    """Whether some class the rule names is not already exempt, in some month of its window,
    and (for a reduction or an allowance) has a ratio cell with a number, or bands, to act on."""
    classes = rule.when.classes or pack.header.classes
    categories = rule.when.categories or tuple(pack.header.categories)
    for month in _months(pack, rule):
        tables = [t for t in pack.ratios if t.effective.covers(month)]
        for cls in classes:
            if exempting(pack, cls, month, besides=rule.id):
                continue
            if section == "exemptions":
                return True
            if any(t.cell_at(r, cls, cat, month)[0] is not None  # as amended then
                   for t in tables for r, row in enumerate(t.rows)
                   if cls in row.classes for cat in categories if cat in row.values):
                return True
    return False


_WHY = {"exemptions": "every class it names is already exempt unconditionally",
        "reductions": "no class it names has a ratio to reduce (exempt, or no ratio cell for "
                      "its categories)",
        "allowances": "no class it names has a requirement to deduct it from (exempt, or no "
                      "ratio cell)"}


def unreachable_issues(pack: RulePack, loc: Locator) -> list[Issue]:
    """Every rule, row and version that cannot take effect (errors), with the warnings and
    notes on proposed ratios meeting bands and on how rules meet a calendar's periods."""
    issues: list[Issue] = []
    for section in ("exemptions", "reductions", "allowances"):
        for index, rule in enumerate(getattr(pack, section)):
            found = list(_condition_issues(pack, loc, section, index, rule, rule.when))
            issues += found
            if not found and not _live(pack, rule, section):
                issues.append(loc.issue(
                    "error", "unreachable", section, (index,), f"{section}.{rule.id}",
                    f"can never fire: in its whole window ({_span(pack, rule)}) {_WHY[section]}"))
    for t, table in enumerate(pack.ratios):
        for r, row in enumerate(table.rows):
            months = list(_months(pack, table))
            by = {e for m in months for cls in row.classes for e in exempting(pack, cls, m)}
            if months and all(exempting(pack, cls, m) for m in months for cls in row.classes):
                issues.append(loc.issue(
                    "error", "unreachable", "ratios", (t, "rows", r), f"ratios.{table.id}",
                    f"row {r + 1} ({_classes(row.classes)}) can never be used: exempt "
                    f"unconditionally under {', '.join(sorted(by))} throughout "
                    f"{_span(pack, table)}"))
    issues += _proposed_on_bands(pack, loc)
    for version in pack.versions:
        try:
            compile_version(pack, version)
        except ValueError as exc:
            issues.append(loc.issue("error", "compile", "pack", (), "pack",
                                    f"version {version} does not compile: {exc}"))
    for i, a in enumerate(pack.interest):
        for j, b in enumerate(pack.interest[i + 1:], start=i + 1):
            if a.applies_to == b.applies_to and _intersect(a, b):
                issues.append(loc.issue(
                    "error", "overlap", "interest", (j,), f"interest.{b.id}",
                    f"overlap: in force together with {a.id} ({loc.where('interest', i)}) for "
                    f"{a.applies_to} reserves"))
    return issues + calendar_issues(pack, loc)


def _proposed_on_bands(pack: RulePack, loc: Locator) -> Iterator[Issue]:
    """A proposed-ratio reduction meeting a tiered cell: evaluation refuses it, so say where."""
    for index, rule in enumerate(pack.reductions):
        if rule.proposed is None:
            continue
        window = _span(pack, rule)
        hits = sorted({f"{table.id} row {r + 1} ({cat})" for table in pack.ratios
                       if _intersect(rule, table) for r, row in enumerate(table.rows)
                       for cat, cell in row.values.items() if isinstance(cell, tuple)
                       and (not rule.when.classes or set(rule.when.classes) & set(row.classes))
                       and (not rule.when.categories or cat in rule.when.categories)}
                      | {f"{table.id} amendment {a + 1} ({cat})" for table in pack.ratios
                         if _intersect(rule, table) for a, amendment in enumerate(table.amendments)
                         for cat, cell in amendment.values.items() if isinstance(cell, tuple)
                         and (not rule.when.classes
                              or set(rule.when.classes) & set(amendment.classes))
                         and (not rule.when.categories or cat in rule.when.categories)})
        if hits:
            verb = "is a tiered cell" if len(hits) == 1 else "are tiered cells"
            yield loc.issue(
                "warning", "proposed_on_bands", "reductions", (index,), f"reductions.{rule.id}",
                f"lets an institution propose its own ratio, but while it is in force ({window}) "
                f"{', '.join(hits)} {verb}, which one proposed ratio cannot replace: an "
                "institution proposing a ratio there is refused (EvaluationError)")


def _classes(names: Any) -> str:
    return f"{'class' if len(names) == 1 else 'classes'} {', '.join(names)}"


def _span(pack: RulePack, rule: Any) -> Span:
    return rule_span(rule.effective, pack.periods.kind)


def _intersect(a: Any, b: Any) -> bool:
    """Whether two rules' windows share a day (bounds may be months or days)."""
    a_end, b_end = a.effective.last_day, b.effective.last_day
    return ((a_end is None or b.effective.first_day <= a_end)
            and (b_end is None or a.effective.first_day <= b_end))
