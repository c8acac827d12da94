"""What changed between two versions of a rule pack, rule by rule.

Rules of each kind (ratio tables, exemptions, reductions, interest, allowances) are matched by
id: added, removed, or changed field by field (effective dates, citation, conditions,
factors...). Ratio figures are compared as what is in force, not as tables: each class ×
category's history (table cells and their amendments) in the old and new pack, over the
dates either pack changes at, gives one line per run of dates where the figure differs, with
the classes that change alike on one line: ``other_ci vnd_short 3% → 4% from 2026-01
(Decision …)``, citing the document the new figure comes from. So an amendment, an edited
cell, and a whole table replaced by one repeating most cells all read the same, and
regrouping rows without changing a ratio is no change at all. Settings and statuses are
matched by name; the pack header, the working-day calendar, the period calendar and the
declared gaps (``not_covered``) are compared too. Values are shown as the pack's YAML says
them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from rrr_engine.canonical import canonical_json
from rrr_engine.money import dec_str, group_digits
from rrr_engine.periods import Month
from rrr_engine.rules.bands import Cell
from rrr_engine.rules.pack import RulePack
from rrr_engine.rules.spans import Point, Span, before

__all__ = ["Change", "Detail", "FigureChange", "PackDiff", "diff_packs"]

_RULE_KINDS = ("ratios", "exemptions", "reductions", "interest", "allowances", "daily_minimum")


@dataclass(frozen=True)
class Detail:
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_shown(self.old)} -> {_shown(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class FigureChange:
    """One run of dates over which some classes' figure for one category changed alike."""

    classes: tuple[str, ...]
    category: str
    old: str
    new: str
    span: Span
    citation: str  # where the new figure comes from: the amending document, else the table's
    # (the old figure's, when the cell is gone)
    table: str | None  # the ratio table the new figure is in, if any

    def __str__(self) -> str:
        end = "" if self.span.end is None else f" to {self.span.end}"
        return (f"{', '.join(self.classes)} {self.category} {self.old} → {self.new} "
                f"from {self.span.start}{end} ({self.citation})")

    def to_dict(self) -> dict[str, Any]:
        return {"field": f"{', '.join(self.classes)} {self.category}", "old": self.old,
                "new": self.new, "classes": list(self.classes), "category": self.category,
                **self.span.as_dict(), "citation": self.citation, "table": self.table}


@dataclass
class Change:
    # ratios, exemptions, ..., settings, statuses, pack, calendar, periods, not_covered
    section: str
    name: str  # rule id, setting or status name; "" for a whole section
    kind: str  # added | removed | changed
    details: list[Detail] | list[FigureChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "name": self.name, "kind": self.kind,
                "details": [d.to_dict() for d in self.details]}


@dataclass
class PackDiff:
    old: RulePack
    new: RulePack
    changes: list[Change]

    def to_dict(self) -> dict[str, Any]:
        return {"old": _ident(self.old), "new": _ident(self.new),
                "changes": [c.to_dict() for c in self.changes]}

    def to_text(self) -> str:
        a, b = self.old, self.new
        out = [f"rules diff: {a.id} {a.header.label} ({a.sha256[:12]}, {a.path}) -> "
               f"{b.id} {b.header.label} ({b.sha256[:12]}, {b.path})"]
        if a.id != b.id:
            out.append(f"note: the packs have different ids ({a.id}, {b.id})")
        for c in self.changes:
            out.append(f"{c.section}{' ' + c.name if c.name else ''}: {c.kind}")
            out.extend(f"  {d}" for d in c.details)
        out.append(f"{len(self.changes)} change(s)" if self.changes
                   else "no change: the packs say the same (their files may differ in layout "
                        "or comments)")
        return "\n".join(out) + "\n"


def _ident(pack: RulePack) -> dict[str, str]:
    return {"id": pack.id, "label": pack.header.label, "sha256": pack.sha256,
            "path": str(pack.path)}


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    return str(value)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON-like value as dotted paths to leaves (lists of scalars stay whole)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or ({prefix: {}} if prefix else {})
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(_flat(item, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _dump(model: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    """A model as the YAML says it: months ``2025-10``, exact decimals as text."""
    return json.loads(canonical_json(_walk(model, exclude or set())))


def _walk(value: Any, exclude: set[str] | None = None) -> Any:
    # model_dump would turn a Month (a dataclass) into {"year":..., "month":...}
    if isinstance(value, BaseModel):
        # an optional list left out (amended_by: ()) is absent, as in the YAML
        return {(f.alias or name): _walk(getattr(value, name))
                for name, f in type(value).model_fields.items() if name not in (exclude or ())
                and not (getattr(value, name) == () and f.default == ())}
    if isinstance(value, Month):
        return str(value)
    if isinstance(value, dict):
        return {k: _walk(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(v) for v in value]
    return value


def _fields(old: dict[str, Any], new: dict[str, Any]) -> list[Detail]:
    a, b = _flat(old), _flat(new)
    return [Detail(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _percent(ratio: Decimal) -> str:
    return dec_str((ratio * 100).normalize()) + "%"


def _figure(cell: Cell, reason: str | None) -> str:
    """A cell as a reviewer reads it: ``3%``, bands, or unset with the law's reason."""
    if cell is None:
        return f"unset ({reason})" if reason else "unset"
    if isinstance(cell, Decimal):
        return _percent(cell)
    return "; ".join(f"{_percent(b.ratio)} up to {group_digits(dec_str(b.upto))}"
                     if b.upto is not None else f"{_percent(b.ratio)} above" for b in cell)


_NONE = ("no ratio", "", None)


def _in_force(pack: RulePack, cls: str, cat: str, point: Point) -> tuple[str, str, str | None]:
    """(figure, citation, table) of one class × category at ``point`` (a month, or a day)."""
    found = [(t, r) for t in pack.ratios if t.effective.covers(point)
             for r, row in enumerate(t.rows) if cls in row.classes and cat in row.values]
    if not found:
        return _NONE
    if len(found) > 1:
        return f"ambiguous ({', '.join(t.id for t, _ in found)})", "", None
    table, r = found[0]
    cell, amendment = table.cell_at(r, cls, cat, point)
    reason = table.rows[r].unset_reason if amendment is None else None
    # an amended figure cites the amending document, the reason it changed
    source = table.citation if amendment is None else amendment.citation
    return _figure(cell, reason), str(source), table.id


def _points(old: RulePack, new: RulePack) -> list[Point]:
    """Every date either pack changes at: months when both are monthly packs, else days."""
    both = [*old.versions, *new.versions]
    if all(isinstance(p, Month) for p in both):
        return sorted(set(both))
    return sorted({p.first if isinstance(p, Month) else p for p in both})


def _figures(old: RulePack, new: RulePack) -> list[FigureChange]:
    """The ratio figures in force that differ, as runs of dates, classes changing alike
    grouped (in the new pack's order of categories and classes)."""
    points = _points(old, new)
    runs: dict[tuple[Any, ...], list[str]] = {}
    classes = list(dict.fromkeys([*new.header.classes, *old.header.classes]))
    categories = list(dict.fromkeys([*new.header.categories, *old.header.categories]))
    for cat in categories:
        for cls in classes:
            run: tuple[Any, ...] | None = None  # (old figure, new figure, start, citation, table)
            for point in points:
                a, b = _in_force(old, cls, cat, point), _in_force(new, cls, cat, point)
                if run is not None and run[:2] == (a[0], b[0]):
                    continue
                if run is not None:
                    runs.setdefault((cat, *run, before(point)), []).append(cls)
                source = b if b is not _NONE else a  # a removed cell: the old figure's source
                run = (a[0], b[0], point, source[1], source[2]) if a[0] != b[0] else None
            if run is not None:
                runs.setdefault((cat, *run, None), []).append(cls)
    found = [FigureChange(tuple(names), cat, was, now, Span(start, end), cite, table)
             for (cat, was, now, start, cite, table, end), names in runs.items()]
    return sorted(found, key=lambda f: (categories.index(f.category), f.span.start,
                                        classes.index(f.classes[0])))


def _named(section: str, old: dict[str, Any], new: dict[str, Any],
           details: Any) -> list[Change]:
    changes = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            changes.append(Change(section, name, "removed"))
        elif name not in old:
            changes.append(Change(section, name, "added", details(None, new[name])))
        else:
            found = details(old[name], new[name])
            if found:
                changes.append(Change(section, name, "changed", found))
    return changes


def _rule_details(old: Any, new: Any) -> list[Detail]:
    """Changed fields; for an added rule, its dates, citation and title. A ratio table's
    figures (cells and amendments) are compared as what is in force (:func:`_figures`); an
    amendment whose figures stay but whose citation changed is listed here."""
    found = _fields(_dump(old, {"rows", "amendments"}) if old is not None else {},
                    _dump(new, {"rows", "amendments"}))
    if old is None:
        return [d for d in found if d.field.startswith(("effective", "citation", "title"))]
    if hasattr(new, "amendments"):
        cited = {_amendment_key(a): a.citation for a in old.amendments}
        for a in new.amendments:
            was = cited.get(_amendment_key(a))
            if was is not None and was != a.citation:
                found += [Detail(f"amendment from {a.from_} ({', '.join(a.classes)}) "
                                 f"{d.field}", d.old, d.new)
                          for d in _fields(_dump(was), _dump(a.citation))]
    return found


def _amendment_key(amendment: Any) -> str:
    return canonical_json(_walk(amendment, {"citation"}))


def _periods(pack: RulePack) -> dict[str, Any]:
    p = pack.periods
    view: dict[str, Any] = {"kind": p.kind, "base": p.base}
    if p.kind == "monthly":
        view["computation_lag_months"] = p.lag
    else:
        view["periods"] = {d.id: f"{d.span} (computation {p.computation(d).span})"
                           for d in p.periods}
    return view


def diff_packs(old: RulePack, new: RulePack) -> PackDiff:
    """Every difference between ``old`` and ``new``, in the order a reviewer reads a pack."""
    changes: list[Change] = []
    header = _fields(_dump(old.header), _dump(new.header))
    if header:
        changes.append(Change("pack", "", "changed", header))
    changes += _named("settings", {k: _dump(v) for k, v in old.settings.items()},
                      {k: _dump(v) for k, v in new.settings.items()},
                      lambda a, b: _fields(a or {}, b))
    changes += _named("statuses", {k: _dump(v) for k, v in old.statuses.items()},
                      {k: _dump(v) for k, v in new.statuses.items()},
                      lambda a, b: _fields(a or {}, b))
    figures = _figures(old, new)
    if figures:
        changes.append(Change("ratios", "", "changed", figures))
    for kind in _RULE_KINDS:
        changes += _named(kind, {r.id: r for r in getattr(old, kind)},
                          {r.id: r for r in getattr(new, kind)}, _rule_details)
    cal = [Detail(f"holiday {d}", "working day" if d in new.calendar.holidays else "holiday",
                  "holiday" if d in new.calendar.holidays else "working day")
           for d in sorted(old.calendar.holidays ^ new.calendar.holidays)]
    cal += [Detail(f"working weekend day {d}", d in old.calendar.working_weekend_days,
                   d in new.calendar.working_weekend_days)
            for d in sorted(old.calendar.working_weekend_days ^ new.calendar.working_weekend_days)]
    if cal:
        changes.append(Change("calendar", "", "changed", cal))
    periods = _fields(_periods(old), _periods(new))
    if periods:
        changes.append(Change("periods", "", "changed", periods))
    gaps_a = {canonical_json(_dump(g)) for g in old.not_covered}
    gaps_b = {canonical_json(_dump(g)) for g in new.not_covered}
    gaps = [Detail("declared gap", None, g) for g in sorted(gaps_b - gaps_a)]
    gaps += [Detail("declared gap", g, None) for g in sorted(gaps_a - gaps_b)]
    if gaps:
        changes.append(Change("not_covered", "", "changed", gaps))
    return PackDiff(old, new, changes)
