"""Completeness and overlap of a pack's ratio tables, and the declaration of deliberate gaps.

Every institution class × reserve category × maintenance point (month in a monthly pack, day
in a calendar pack) from the pack's first version on must be decided exactly once: by one
ratio-table cell (a single ratio or a tiered cell of bands alike, as amended: an amendment
changes a cell's figure, never whether it is covered), or by an exemption that
applies to the class unconditionally (no status or attribute condition, e.g. the policy bank
from 2025-10). Points are examined per segment between the pack's version boundaries (and the
boundaries of the declarations), where nothing changes; a segment ends the month or day
before the next boundary. In a calendar pack a gap matters for the listed maintenance periods
that start in it, which the message names. A range the pack leaves uncovered on purpose is
declared under ``not_covered:`` with a reason; it is still listed, as a note, and evaluating
it still fails with "no ratio rule applies" instead of guessing a figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rrr_engine.rules.issues import Issue, Locator, rectangles
from rrr_engine.rules.model import Exemption
from rrr_engine.rules.spans import (
    Point,
    Span,
    after,
    before,
    inside_listed,
    periods_phrase,
    rule_span,
    starting_in,
)

if TYPE_CHECKING:
    from rrr_engine.rules.pack import RulePack

__all__ = ["Cell", "cell_runs", "coverage_issues", "exempting", "segments"]


def segments(pack: RulePack) -> list[Span]:
    """Runs of months (or days) from the pack's first version on within which no rule or
    declaration changes; each ends the month (or day) before the next boundary."""
    if not pack.versions:
        return []
    start = pack.versions[0]
    cuts: set[Point] = set(pack.versions)
    for decl in pack.not_covered:
        span = rule_span(decl.effective, pack.periods.kind)
        cuts.add(span.start)
        if span.end is not None:
            cuts.add(after(span.end))
    ordered = sorted(c for c in cuts if c >= start)
    return [Span(c, before(ordered[i + 1]) if i + 1 < len(ordered) else None)
            for i, c in enumerate(ordered)]


def unconditional(rule: Exemption) -> bool:
    """An exemption that needs no event or attribute: it applies by class (and category) alone."""
    w = rule.when
    return not (w.status or w.not_status or w.attributes)


def exempting(pack: RulePack, cls: str, month: Point, *,
              besides: str | None = None) -> tuple[str, ...]:
    """Ids of unconditional exemptions of ``cls`` in force at ``month`` (other than ``besides``).

    An exemption limited to some categories counts too: the engine exempts the whole
    institution-month when any category is exempt, so no category then needs a ratio.
    """
    return tuple(e.id for e in pack.exemptions
                 if e.id != besides and unconditional(e) and e.effective.covers(month)
                 and (not e.when.classes or cls in e.when.classes))


@dataclass(frozen=True)
class Cell:
    """How one class × category is decided over a run of months (or days)."""

    cls: str
    category: str
    span: Span
    ratios: tuple[tuple[int, int], ...]  # (table index, row index) of every covering cell
    exempt: tuple[str, ...]
    declared: tuple[int, ...]  # indexes into not_covered
    amended: tuple[int, ...] = ()  # per covering cell, the amendment (index + 1) in force, or 0


def cell_runs(pack: RulePack) -> Iterator[Cell]:
    """Each class × category × run of points with the same ratio cells, exemptions, declarations."""
    spans = segments(pack)
    for cls in pack.header.classes:
        for cat in pack.header.categories:
            run: tuple[Point, tuple[Any, ...]] | None = None  # (first point, state) of a run
            for span in spans:
                m = span.start
                ratios = tuple((t, r) for t, table in enumerate(pack.ratios)
                               if table.effective.covers(m) for r, row in enumerate(table.rows)
                               if cls in row.classes and cat in row.values)
                state = (ratios, exempting(pack, cls, m),
                         tuple(i for i, d in enumerate(pack.not_covered) if d.covers(cls, cat, m)),
                         tuple(_amended(pack, t, r, cls, cat, m) for t, r in ratios))
                if run is None or state != run[1]:
                    if run is not None:
                        yield Cell(cls, cat, Span(run[0], before(m)), *run[1])
                    run = (m, state)
            if run is not None:
                yield Cell(cls, cat, Span(run[0], spans[-1].end), *run[1])


def _amended(pack: RulePack, t: int, r: int, cls: str, cat: str, point: Point) -> int:
    """Which amendment of table ``t`` sets the cell at ``point`` (its index + 1), 0 for none."""
    table = pack.ratios[t]
    amendment = table.cell_at(r, cls, cat, point)[1]
    return 0 if amendment is None else table.amendments.index(amendment) + 1


def _cell_dicts(cells: list[Cell], pack: RulePack) -> list[dict[str, Any]]:
    out = [{"class": c.cls, "category": c.category, **c.span.as_dict(),
            "tables": [pack.ratios[t].id for t, _ in c.ratios],
            "rows": [r + 1 for _, r in c.ratios], "exempt": list(c.exempt),
            "declared": list(c.declared)} for c in cells]
    if pack.periods.kind != "monthly":  # the listed periods that start in the cell's days
        for cell, data in zip(cells, out, strict=True):
            data["periods"] = [p.id for p in starting_in(pack.periods, cell.span)]
    return out


def _gap_effect(pack: RulePack, span: Span) -> tuple[str, str]:
    """(severity, words) of a gap: every month counts in a monthly pack; in a calendar pack
    what counts is the listed periods that start in it."""
    if pack.periods.kind == "monthly":
        return "error", ""
    hit = starting_in(pack.periods, span)
    if hit:
        return "error", f"; evaluating {periods_phrase(hit)} is refused (NoRuleApplies)"
    if inside_listed(pack.periods, span):
        return "note", ("; it lies inside listed maintenance periods, so no period starts in "
                        "it and nothing is refused")
    return "warning", ("; no listed maintenance period starts in it, so nothing is refused "
                       "today, but a period listed there later would be")


def coverage_issues(pack: RulePack, loc: Locator) -> list[Issue]:
    """Gaps, overlaps, declared gaps, stale declarations and cells no one can reach."""
    groups: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for cell in cell_runs(pack):
        kind: str | None
        if len(cell.ratios) > 1:
            kind = "overlap"
        elif cell.ratios and cell.declared:
            kind = "stale_declaration"
        elif cell.ratios and cell.exempt:
            kind = "shadowed"
        elif cell.ratios:
            t, r = cell.ratios[0]
            value = pack.ratios[t].cell_at(r, cell.cls, cell.category, cell.span.start)[0]
            kind = "unset" if value is None else None
        elif cell.exempt:
            kind = None
        elif cell.declared:
            kind = "declared_gap"
        else:
            kind = "gap"
        if kind:
            groups[(kind, cell.span, cell.ratios, cell.exempt, cell.declared)].append(cell)
    issues = []
    for (kind, span, ratios, exempt, declared), cells in groups.items():
        issues.append(_issue(pack, loc, kind, span, ratios, exempt, declared, cells))
    return issues


def _row(pack: RulePack, loc: Locator, t: int, r: int) -> str:
    return f"{pack.ratios[t].id} row {r + 1} ({loc.where('ratios', t, 'rows', r)})"


def _issue(pack: RulePack, loc: Locator, kind: str, span: Span,
           ratios: tuple[tuple[int, int], ...], exempt: tuple[str, ...], declared: tuple[int, ...],
           cells: list[Cell]) -> Issue:
    h = pack.header
    what = "; ".join(rectangles(((c.cls, c.category) for c in cells), h.classes,
                                tuple(h.categories)))
    data = _cell_dicts(cells, pack)
    if kind == "gap":
        severity, effect = _gap_effect(pack, span)
        advice = "" if severity == "note" else (" (add a ratio row, or declare the range under "
                                                "not_covered: with a reason)")
        return loc.issue(severity, "gap", "ratios", (), "ratios",
                         f"gap: {span}: no ratio table covers {what}{effect}{advice}", data)
    if kind == "declared_gap":
        d = pack.not_covered[declared[0]]
        return loc.issue("note", "declared_gap", "not_covered", (declared[0],),
                         f"not_covered.{declared[0]}",
                         f"declared gap (no ratio, on purpose): {span}: {what}: {d.reason}", data)
    t, r = ratios[0]
    table = pack.ratios[t]
    if kind == "overlap":
        rows = ", ".join(_row(pack, loc, t2, r2) for t2, r2 in ratios)
        hit = starting_in(pack.periods, span)
        effect = f"; evaluating {periods_phrase(hit)} fails (AmbiguousRules)" if hit else ""
        return loc.issue("error", "overlap", "ratios", (t, "rows", r), f"ratios.{table.id}",
                         f"overlap: {span}: {what} covered more than once: {rows}{effect}", data)
    if kind == "stale_declaration":
        return loc.issue("error", "stale_declaration", "not_covered", (declared[0],),
                         f"not_covered.{declared[0]}",
                         f"declared not covered, but {_row(pack, loc, t, r)} covers {what} in "
                         f"{span}: remove one of the two", data)
    if kind == "shadowed":
        return loc.issue("warning", "shadowed", "ratios", (t, "rows", r), f"ratios.{table.id}",
                         f"{span}: {what}: this ratio is never used, the class is exempt under "
                         f"{', '.join(exempt)}", data)
    return loc.issue("note", "unset", "ratios", (t, "rows", r), f"ratios.{table.id}",
                     f"{span}: {what}: no number, because {table.rows[r].unset_reason}; "
                     "evaluating it fails with that reason", data)
