"""What changed between two versions of a rule pack, rule by rule.

Rules of each kind (ratio tables, exemptions, reductions, interest, allowances) are matched by
id: added, removed, or changed field by field (effective dates, citation, conditions,
factors...). A ratio table is compared cell by cell, class × category, so regrouping rows
without changing a ratio is no change at all. Settings and statuses are matched by name; the
pack header, the working-day calendar, the period calendar and the declared gaps
(``not_covered``) are compared too. Values are shown as the pack's YAML says them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from rrr_engine.authoring.sheets.cell_text import cell_text
from rrr_engine.canonical import canonical_json
from rrr_engine.periods import Month
from rrr_engine.rules.pack import RulePack

__all__ = ["Change", "Detail", "PackDiff", "diff_packs"]

_RULE_KINDS = ("ratios", "exemptions", "reductions", "interest", "allowances")


@dataclass(frozen=True)
class Detail:
    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_shown(self.old)} -> {_shown(self.new)}"


@dataclass
class Change:
    # ratios, exemptions, ..., settings, statuses, pack, calendar, periods, not_covered
    section: str
    name: str  # rule id, setting or status name; "" for a whole section
    kind: str  # added | removed | changed
    details: list[Detail] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "name": self.name, "kind": self.kind,
                "details": [{"field": d.field, "old": d.old, "new": d.new} for d in self.details]}


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


def _cells(table: Any) -> dict[str, Any]:
    out = {}
    for row in table.rows:
        for cls in row.classes:
            for cat, cell in row.values.items():
                out[f"{cls} × {cat}"] = cell_text(cell)
                if cell is None and row.unset_reason:
                    out[f"{cls} × {cat} (reason)"] = row.unset_reason
    return out


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
    """Changed fields and ratio cells; for an added rule, its dates, citation and cells."""
    found = _fields(_dump(old, {"rows"}) if old is not None else {}, _dump(new, {"rows"}))
    if old is None:
        found = [d for d in found if d.field.startswith(("effective", "citation", "title"))]
    if hasattr(new, "rows"):
        a, b = (_cells(old) if old is not None else {}), _cells(new)
        found += [Detail(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=_cell_order(b))
                  if a.get(k) != b.get(k)]
    return found


def _cell_order(cells: dict[str, Any]) -> Any:
    order = {k: i for i, k in enumerate(cells)}
    return lambda k: (order.get(k, len(order)), k)


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
