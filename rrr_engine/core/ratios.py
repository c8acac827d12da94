"""From the kernel's decision to a category's ratio: the table cell, reductions, tranches.

The kernel names the ratio row that applies and the reductions that fire; this module reads
the cell as amended up to the period (one ratio, or marginal bands:
:mod:`rrr_engine.rules.bands`; an amended cell cites the amending document), applies
reductions as the pack's ``reduction_stacking`` setting says, and for a tiered cell cuts the
base into tranches. A tiered line's ``ratio`` is its effective ratio (required ÷ base), so
``ratio × base = required`` holds for every line; the bands themselves are listed with the
line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rrr_engine.core.kernel import Decision
from rrr_engine.errors import (
    AmbiguousRules,
    EvaluationError,
    InputError,
    NoRuleApplies,
    RatioBelowFloor,
)
from rrr_engine.models import Institution
from rrr_engine.money import exact
from rrr_engine.rules.bands import Band, Tranche, split
from rrr_engine.rules.pack import RulePack

__all__ = ["CellChoice", "choose", "line_amount", "where"]


@dataclass
class CellChoice:
    """The ratio of one category before the base is known.

    ``ratio``/``class_ratio`` are final for a flat cell; for a tiered cell ``bands`` is set
    and ``factor`` is the reductions' multiplier, applied to every band.
    """

    ratio: Decimal
    class_ratio: Decimal
    rule: str
    reductions: list[str]
    citations: list[str]
    bands: tuple[Band, ...] | None = None
    factor: Decimal = Decimal(1)
    tranches: list[Tranche] = field(default_factory=list)

    @property
    def is_zero(self) -> bool:
        if self.bands is not None:
            return self.factor == 0 or all(b.ratio == 0 for b in self.bands)
        return self.ratio == 0


def where(pack: RulePack, inst: Institution, cat: str, period: Any) -> str:
    """"institution X (class c), category k, maintenance month 2025-10" for messages."""
    noun = "month" if pack.periods.kind == "monthly" else "period"
    return (f"institution {inst.id} (class {inst.class_}), category {cat}, "
            f"maintenance {noun} {period}")


def choose(pack: RulePack, inst: Institution, period: Any, cat: str, decision: Decision,
           attributes: Mapping[str, Any]) -> CellChoice:
    """The ratio rule, cell and reductions for one category (``decision.ratios`` not empty).

    :param attributes: the institution's declared attributes, parsed (a ``proposed:``
        reduction reads its ratios from one).
    """
    where_ = where(pack, inst, cat, period)
    context = {"institution": inst.id, "category": cat, "period": str(period)}
    if len(decision.ratios) > 1:
        raise AmbiguousRules(f"rules {', '.join(decision.ratios)} all apply to {where_}",
                             rules=decision.ratios, **context)
    table_id, row_index, _ = decision.ratios[0].split("|")
    table = next(t for t in pack.ratios if t.id == table_id)
    # the cell as amended up to this period; the line then cites the amending document too
    cell, amendment = table.cell_at(int(row_index), inst.class_, cat, pack.periods.point(period))
    if cell is None:
        reason = table.rows[int(row_index)].unset_reason
        raise NoRuleApplies(f"{where_}: {reason} ({table.id}, {table.citation})", field="class",
                            **context)
    citations = [str(table.citation_at(amendment))]
    bands = cell if isinstance(cell, tuple) else None
    tiered = bands is not None
    # a tiered cell's ratio at a zero base
    class_ratio = cell[0].ratio if isinstance(cell, tuple) else cell
    # (rule, factor or None for a proposed ratio, the reduced ratio)
    candidates: list[tuple[str, Decimal | None, Decimal]] = []
    for rid in decision.reductions:
        rule = next(r for r in pack.reductions if r.id == rid)
        if rule.factor is not None:
            candidates.append((rid, rule.factor, rule.factor * class_ratio))
        elif rule.proposed is not None and cat in attributes[
                held_in := pack.header.ratios_attribute(rule.proposed.field)]:
            if tiered:
                raise EvaluationError(f"{where_}: reduction {rule.id} lets the institution "
                                      f"propose a ratio, but {table.id} gives this category "
                                      "tiered bands, which a single proposed ratio cannot replace",
                                      rule=rule.id, **context)
            proposed = attributes[held_in][cat]
            floor = class_ratio * rule.proposed.floor_fraction
            if proposed < floor:
                raise RatioBelowFloor(
                    f"{where_}: proposed ratio {proposed} is below the floor {floor} "
                    f"({rule.proposed.floor_fraction} × {class_ratio}; {rule.id}, {rule.citation})",
                    rule=rule.id, field=f"{held_in}.{cat}", **context)
            candidates.append((rid, None, proposed))
    choice = CellChoice(class_ratio, class_ratio, table_id, [], citations, bands=bands)
    if not candidates:
        return choice
    rule_citations = {r.id: str(r.citation) for r in pack.reductions}
    stacking = pack.setting("reduction_stacking") if "reduction_stacking" in pack.settings else None
    if stacking == "lowest":
        options: list[tuple[Decimal, Decimal | None, str | None]] = [
            (reduced, f, rid) for rid, f, reduced in candidates]
        # ties keep the first candidate, as min() does; a tiered cell compares factors
        key = (lambda o: o[1]) if tiered else (lambda o: o[0])
        ratio, factor, chosen = min(options + [(class_ratio, Decimal(1), None)], key=key)
        applied = [chosen] if chosen else []
    elif stacking == "compound":
        ratio = min([p for _, f, p in candidates if f is None] + [class_ratio])
        factor = Decimal(1)
        for _, f, _ in candidates:
            if f is not None:
                ratio, factor = ratio * f, factor * f
        applied = [rid for rid, _, _ in candidates]
    else:
        raise InputError(f"setting reduction_stacking is {stacking!r}; expected lowest or "
                         "compound", field="settings.reduction_stacking")
    choice.ratio, choice.reductions = ratio, applied
    choice.factor = factor if factor is not None else Decimal(1)
    choice.citations = citations + [rule_citations[r] for r in applied]
    return choice


def line_amount(choice: CellChoice, base: Decimal | None) -> Decimal:
    """The line's requirement; for a tiered cell also fills ``tranches`` and the ratios."""
    if choice.bands is None:
        with exact():
            return choice.ratio * base if base is not None else Decimal(0)
    choice.tranches = split(choice.bands, base or Decimal(0), choice.factor)
    with exact():
        amount = sum((t.required for t in choice.tranches), Decimal(0))
        gross = sum((t.base * t.class_ratio for t in choice.tranches), Decimal(0))
        if base:
            choice.ratio, choice.class_ratio = amount / base, gross / base
        else:
            choice.class_ratio = choice.bands[0].ratio
            choice.ratio = choice.class_ratio * choice.factor
    return amount
