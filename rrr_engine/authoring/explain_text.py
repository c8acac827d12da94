"""The wording of ``rrr rules explain``: events and statuses, reductions, lines, allowances, totals.

:mod:`rrr_engine.authoring.explain` follows the engine's chain; this module says each step in words,
with every rule's ``file:line`` and citation. It speaks of months in a monthly pack and of
maintenance periods in a calendar pack, shows a tiered cell band by band (and, with balances, the
tranche of the base in each band), and the allowances deducted from the total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from rrr_engine.core.kernel import Decision
from rrr_engine.core.result import InstitutionResult
from rrr_engine.core.status import Window, status_windows
from rrr_engine.models import Institution
from rrr_engine.money import dec_str, group_digits
from rrr_engine.rules.model import StatusDef
from rrr_engine.rules.vocabulary import attribute_values
from rrr_engine.rules.yamlsrc import load_document

__all__ = ["Writer", "allowances", "category", "cite", "conditions", "events", "percent",
           "reductions", "totals", "window"]


def percent(ratio: Decimal) -> str:
    return dec_str((ratio * 100).normalize()) + "%"


def window(w: Window) -> str:
    start = "the start" if w.start is None else str(w.start)
    return f"from {start} " + ("onwards" if w.end is None else f"to {w.end}")


def cite(citation: Any) -> str:
    """A citation (with the documents that amended it) and its note, which a reviewer needs
    too."""
    return f"{citation} ({citation.note})" if citation.note else str(citation)


class Writer:
    """Collects the explanation's lines and knows where each rule of the pack is written."""

    def __init__(self, pack: Any, month: Any, computation: Any, with_amounts: bool) -> None:
        self.pack = pack
        self.month, self.computation, self.with_amounts = month, computation, with_amounts
        self.monthly = pack.periods.kind == "monthly"
        self.unit = "month" if self.monthly else "period"
        self.out: list[str] = []
        self.reasons_given: set[int] = set()
        statuses = pack.files.get("statuses")
        self._status_doc = load_document(statuses) if statuses else None

    def status_where(self, name: str) -> str:
        doc = self._status_doc
        line = doc.line_of(("statuses", name)) if doc else None
        return f"{doc.file}:{line}" if doc and line else "?"

    def say(self, text: str = "", indent: int = 0) -> None:
        self.out.append("  " * indent + text if text else "")

    def where(self, section: str, rule_id: str) -> str:
        line = self.pack.lines.get((section, rule_id))
        name = self.pack.files.get(section, "?")
        return f"{name}:{line}" if line else name

    def rule(self, section: str, rule: Any) -> str:
        return f"{rule.id} ({self.where(section, rule.id)}; {cite(rule.citation)})"

    def money(self, amount: Decimal | None, ccy: str) -> str:
        if amount is None:
            return "-"
        return f"{group_digits(dec_str(self.pack.header.rounding.round(amount, ccy)))} {ccy}"

    def amount(self, amount: Decimal) -> str:
        """A band threshold, unrounded (it is law, not a computed figure)."""
        return group_digits(dec_str(amount))

    def setting(self, name: str) -> str:
        value = self.pack.setting(name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return f"setting {name}={text}"


def _status_timing(status: StatusDef, unit: str) -> str:
    parts = []
    if status.starts:
        when = f"in the {unit} of" if status.starts.month == "same" else f"the {unit} after"
        parts.append(f"opens {when} {' / '.join(status.starts.event)}")
    if status.ends:
        end = f"the {unit} of" if status.ends.month == "same" else f"the {unit} after"
        parts.append(f"holds {'through' if status.ends.inclusive else 'until before'} {end} "
                     f"{' / '.join(status.ends.event)}")
    return "; ".join(parts)


def events(w: Writer, inst: Institution, held: dict[str, Window]) -> None:
    pack = w.pack
    if not inst.events:
        w.say("Events: none recorded, so no status applies.")
    else:
        w.say("Events:")
        for event in sorted(inst.events, key=lambda e: e.date):
            w.say(f"{event.type} on {event.date}", 1)
    for name, status in pack.statuses.items():
        windows = status_windows(status, inst, pack.periods)
        if not windows:
            continue
        settings = [n for n, s in pack.settings.items() if f"statuses.{name}" in s.read_by]
        via = "".join(f"; {w.setting(n)}" for n in settings)
        law = f"; {cite(status.citation)}" if status.citation else ""
        spans = ", ".join(window(x) for x in windows)
        mark = "holds in" if name in held else "does not hold in"
        w.say(f"→ status {name} {spans} (statuses.{name}, {w.status_where(name)}; "
              f"{_status_timing(status, w.unit)}{via}{law}): {mark} {w.month}", 1)
    w.say(f"Statuses in {w.month}: {', '.join(sorted(held)) or 'none'}.")


def conditions(when: Any, inst: Institution, held: dict[str, Window]) -> str:
    parts = []
    if when.status:
        holding = [s for s in when.status if s in held] or list(when.status)
        parts.append(f"status {' and '.join(holding)} holds")
    if when.classes:
        parts.append(f"class {inst.class_}")
    for attr, cmp in (when.attributes or {}).items():
        bounds = " and ".join(f"{sign} {getattr(cmp, op)}" for op, sign in
                              (("gte", "≥"), ("gt", ">"), ("lte", "≤"), ("lt", "<"))
                              if getattr(cmp, op) is not None)
        parts.append(f"{attr} {getattr(inst, attr, None)} is {bounds}")
    return "; ".join(parts) or "it applies to every institution"


def reductions(w: Writer, inst: Institution, decisions: dict[str, Decision],
               held: dict[str, Window]) -> None:
    fired = [r for r in w.pack.reductions if any(r.id in d.reductions for d in decisions.values())]
    if not fired:
        return
    w.say("Reductions that apply:")
    for rule in fired:
        cats = [c for c, d in decisions.items() if rule.id in d.reductions]
        what = (f"factor {rule.factor}" if rule.factor is not None else
                f"the institution's proposed ratio, not below {rule.proposed.floor_fraction} × "
                "the class ratio")
        w.say(f"{rule.id} ({w.where('reductions', rule.id)}; {cite(rule.citation)}): {what}, "
              f"because {conditions(rule.when, inst, held)}; on {', '.join(cats)}", 1)
    if any(len(d.reductions) > 1 for d in decisions.values()):
        w.say(f"More than one applies to a category: {w.setting('reduction_stacking')} "
              f"({w.pack.settings['reduction_stacking'].interpretation})", 1)


def _bands(w: Writer, bands: tuple[Any, ...], factor: Decimal = Decimal(1)) -> str:
    ccy = w.pack.header.domestic_currency
    parts, lower = [], None
    for band in bands:
        rate = percent(band.ratio * factor)
        if band.upto is None:
            parts.append(f"{rate} above {w.amount(lower)} {ccy}" if lower is not None else
                         f"{rate} on all of it")
        elif lower is None:
            parts.append(f"{rate} up to {w.amount(band.upto)} {ccy}")
        else:
            parts.append(f"{rate} above {w.amount(lower)} up to {w.amount(band.upto)} {ccy}")
        lower = band.upto
    return "; ".join(parts)


def _base(w: Writer, line: Any) -> str:
    c = w.computation
    if w.pack.periods.base == "end_of_period":
        return (f"base {w.money(line.average_base, line.reserve_currency)} (balance on {c.last}, "
                f"the end of computation {w.unit} {c})")
    return (f"average base {w.money(line.average_base, line.reserve_currency)} (computation "
            f"{w.unit} {c}, {c.days} days)")


def category(w: Writer, inst: Institution, cat: str, decision: Decision, line: Any | None) -> None:
    pack = w.pack
    if not decision.ratios:
        point = pack.periods.point(w.month)
        declared = [i for i, d in enumerate(pack.not_covered) if d.covers(inst.class_, cat, point)]
        why = ""
        if declared:
            index = declared[0]
            reason = "as above" if index in w.reasons_given else pack.not_covered[index].reason
            w.reasons_given.add(index)
            why = f" (declared gap not_covered.{index}: {reason})"
        w.say(f"{cat}: no ratio table covers class {inst.class_} in {w.month}{why}", 1)
        return
    if len(decision.ratios) > 1:
        w.say(f"{cat}: several ratio rules match ({', '.join(decision.ratios)}): ambiguous", 1)
        return
    table_id, row_index, _ = decision.ratios[0].split("|")
    table = next(t for t in pack.ratios if t.id == table_id)
    row = table.rows[int(row_index)]
    cell, amendment = table.cell_at(int(row_index), inst.class_, cat, pack.periods.point(w.month))
    source = (f"ratio table {table.id} row {int(row_index) + 1}, {w.where('ratios', table.id)}; "
              f"{cite(table.citation)}")
    if amendment is not None:  # the amended figure, where it is written and who amended it
        number = table.amendments.index(amendment) + 1
        was = row.values[cat]
        said = ("no number" if was is None else percent(was) if isinstance(was, Decimal)
                else f"tiered: {_bands(w, was)}")
        source = (f"{source}; amended from {amendment.from_} by amendment {number}, "
                  f"{w.where('ratios', f'{table.id} amendment {number}')}: "
                  f"{cite(amendment.citation)}; the table itself says {said}")
    if cell is None:
        w.say(f"{cat}: class {inst.class_} → no number: {row.unset_reason} ({source})", 1)
        return
    tiered = isinstance(cell, tuple)
    shown = f"tiered: {_bands(w, cell)}" if tiered else percent(cell)
    w.say(f"{cat}: class {inst.class_} → {shown} ({source})", 1)
    for option in _options(w, inst, cat, decision, cell):
        w.say(option, 2)
    if line is None:
        return
    if decision.reductions:
        by = (f"reduced by {', '.join(line.reductions)}" if line.reductions
              else "no reduction lowers it")
        final = percent(line.ratio) if not tiered else (
            "the bands as listed" if not line.reductions else "the reduced bands")
        w.say(f"→ {final} ({by}; {w.setting('reduction_stacking')})", 2)
    if not w.with_amounts:
        return
    if not tiered:
        w.say(f"{_base(w, line)} × {percent(line.ratio)} = "
              f"{w.money(line.required, line.reserve_currency)}", 2)
        return
    ccy = line.reserve_currency
    w.say(f"{_base(w, line)}, in tranches:", 2)
    for t in line.tranches or ():
        band = (f"above {w.amount(t.lower)} {ccy}" if t.upper is None else
                f"{w.amount(t.lower)} to {w.amount(t.upper)} {ccy}")
        w.say(f"{band}: {w.money(t.base, ccy)} × {percent(t.ratio)} = "
              f"{w.money(t.required, ccy)}", 3)
    w.say(f"= {w.money(line.required, ccy)} (effective ratio {percent(line.ratio)} of the base)", 3)


def _given(w: Writer, inst: Institution, field: str) -> dict[str, Decimal]:
    """The institution's ratios attribute ``field``, parsed; none when it is malformed (the
    evaluation names that)."""
    try:
        return attribute_values(w.pack.header, inst)[field] or {}
    except ValidationError:
        return {}


def _options(w: Writer, inst: Institution, cat: str, decision: Decision, cell: Any) -> list[str]:
    """What each reduction would make of the cell."""
    out = []
    for rid in decision.reductions:
        rule = next(r for r in w.pack.reductions if r.id == rid)
        if rule.factor is not None and isinstance(cell, tuple):
            out.append(f"{rid}: factor {rule.factor} × each band = {_bands(w, cell, rule.factor)}")
            continue
        if rule.factor is not None:
            out.append(f"{rid}: factor {rule.factor} × {percent(cell)} = "
                       f"{percent(rule.factor * cell)}")
            continue
        field = w.pack.header.ratios_attribute(rule.proposed.field)
        proposed = _given(w, inst, field).get(cat)
        if proposed is None:
            out.append(f"{rid}: no ratio proposed for {cat}, so none")
        elif isinstance(cell, tuple):
            out.append(f"{rid}: proposed {percent(proposed)}, but a proposed ratio cannot "
                       "replace tiered bands: REFUSED")
        else:
            floor = rule.proposed.floor_fraction * cell
            verdict = "accepted" if proposed >= floor else "REFUSED, below the floor"
            out.append(f"{rid}: proposed {percent(proposed)}, floor "
                       f"{rule.proposed.floor_fraction} × {percent(cell)} = "
                       f"{percent(floor)}: {verdict}")
    return out


def allowances(w: Writer, inst: Institution, decisions: dict[str, Decision],
               held: dict[str, Window], result: InstitutionResult | None) -> None:
    """The allowances that apply, each with what it deducted when amounts are known."""
    names = {a for d in decisions.values() for a in d.allowances}
    fired = [a for a in w.pack.allowances if a.id in names]
    point = w.pack.periods.point(w.month)
    in_force = [a.id for a in w.pack.allowances if a.effective.covers(point)]
    if not fired:
        if in_force:
            w.say(f"No allowance applies (checked: {', '.join(in_force)}).")
        return
    deducted = {a.rule: a for a in (result.allowances or ())} if result else {}
    w.say("Allowances (deducted from the total requirement in their currency, in pack order, "
          "never below zero):")
    for rule in fired:
        text = (f"{w.rule('allowances', rule)}: {w.money(rule.amount, rule.currency)}, because "
                f"{conditions(rule.when, inst, held)}")
        if w.with_amounts and rule.id in deducted:
            text += f"; deducts {w.money(deducted[rule.id].deducted, rule.currency)}"
        w.say(text, 1)


def totals(w: Writer, result: InstitutionResult) -> None:
    if result.status != "exempt" and w.with_amounts:
        if result.required_before_allowances:
            w.say("Required before allowances: " + ", ".join(
                w.money(v, c) for c, v in result.required_before_allowances.items()) + ".")
        w.say("Required: " + ", ".join(w.money(v, c) for c, v in result.required.items()) + ".")
    for key in ("held", "excess", "shortfall", "interest"):
        values = getattr(result, key)
        if values:
            w.say(f"{key.capitalize()}: "
                  + ", ".join(w.money(v, c) for c, v in values.items()) + ".")
    shown = [f for f in result.findings if w.with_amounts or f["code"] not in ("filled_days",)]
    for finding in shown:
        w.say(f"Finding {finding['code']}: {finding['message']}")
    used = [f"{what} {w.setting(name)}" for name, what in (
        ("missing_days", "Averages use"), ("fx_rate_day", "FX conversion uses"))
        if name in w.pack.settings]
    if w.with_amounts and used:
        w.say("; ".join(used) + ".")
