"""One institution's required reserve for one maintenance month, exactly (Circular 30 Art. 5-7).

The kernel says which rules apply (exemption, ratio cell, reductions); this module does the
arithmetic in ``Decimal``: averages over the computation month, FX conversion, ratio times
base, holdings, excess or shortfall, and interest. Findings (filled days, deadlines, a
shortfall) are returned as data with the result; malfunctions raise.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from .averages import daily_series, monthly_average
from .errors import AmbiguousRules, InputError, NoRuleApplies, RatioBelowFloor
from .findings import deadline_findings, filled_finding
from .fx import check_election, convert, rates_for
from .kernel import Kernel
from .models import BalanceRow, FxRate, HoldingRow, Institution
from .money import exact
from .periods import Month
from .result import ExemptionResult, InstitutionResult, Line
from .rulesets import RulePack
from .status import statuses_in

__all__ = ["evaluate_institution"]


def _opened_in(inst: Institution, month: Month) -> dt.date | None:
    days = [e.date for e in inst.events if e.type == "commenced_operations"
            and Month.of(e.date) == month]
    return min(days) if days else None


def evaluate_institution(pack: RulePack, kernel: Kernel, inst: Institution, month: Month,
                         balances: list[BalanceRow], rates: list[FxRate],
                         holdings: list[HoldingRow] | None) -> InstitutionResult:
    """Evaluate ``inst`` for maintenance month ``month``.

    ``balances`` and ``holdings`` are this institution's own rows (the engine groups them);
    ``holdings`` is ``None`` when no holdings source was given.
    """
    header = pack.header
    if inst.class_ not in header.classes:
        raise InputError(f"unknown institution class {inst.class_!r}; expected one of "
                         f"{', '.join(header.classes)}", field=f"{inst.id}.class")
    version = pack.version_for(month)
    computation = month - int(pack.setting("computation_lag_months"))
    held_statuses = statuses_in(pack.statuses, inst, month)
    statuses = frozenset(held_statuses)
    attributes = {} if inst.agri_lending_share is None else {
        "agri_lending_share": inst.agri_lending_share}
    decisions = {cat: kernel.decide(version, inst.class_, cat, statuses, attributes)
                 for cat in header.categories}
    result = InstitutionResult(
        institution=inst, maintenance_period=month, computation_period=computation,
        ruleset={"id": pack.id, "version": str(version), "label": header.label,
                 "sha256": pack.sha256},
        statuses=sorted(statuses))
    result.findings.extend(deadline_findings(pack, inst, month))

    exemption_ids = sorted({e for d in decisions.values() for e in d.exemptions},
                           key=[r.id for r in pack.exemptions].index)
    if exemption_ids:
        result.status = "exempt"
        result.exemption = _exemption(pack, exemption_ids, held_statuses)
        for other in exemption_ids[1:]:
            result.findings.append({"code": "also_exempt", "rule": other,
                                    "message": f"also exempt under {other}"})
        return result

    ratios: dict[str, tuple] = {}
    uncovered: dict[str, NoRuleApplies] = {}
    for cat, decision in decisions.items():
        if decision.ratios:
            ratios[cat] = _ratio(pack, inst, month, cat, decision)
        else:  # fatal only if there is something to apply a ratio to (checked below)
            uncovered[cat] = NoRuleApplies(
                f"no ratio rule applies to institution {inst.id} (class {inst.class_}), "
                f"category {cat}, maintenance month {month}",
                institution=inst.id, category=cat, period=str(month))
    all_zero = all(r[0] == 0 for r in ratios.values())
    fx_ccy = inst.reserve_currency or header.foreign_reserve_currency
    if all_zero and not balances:
        bases: dict[str, Decimal | None] = {cat: None for cat in header.categories}
    else:
        bases = _bases(pack, inst, computation, balances, rates, fx_ccy, result)
    for cat, error in uncovered.items():
        if bases[cat] is None or bases[cat] != 0:
            raise error
        result.findings.append({"code": "category_not_covered", "category": cat, "message": (
            f"no ratio is in force for {cat} in {month}; the institution has no {cat} "
            "deposits, so nothing is required on it")})
    if all_zero and not uncovered and header.zero_ratio_classes_do_not_report:
        result.findings.append({"code": "not_reporting", "message": (
            "every ratio is 0%: the institution does not report and holds nothing "
            "(Decision 1158/QĐ-NHNN Art. 1(3))")})
    required: dict[str, Decimal] = {header.domestic_currency: Decimal(0), fx_ccy: Decimal(0)}
    for cat, (ratio, class_ratio, rule_id, reduction_ids, citations) in ratios.items():
        ccy = header.domestic_currency if header.categories[cat].kind == "domestic" else fx_ccy
        base = bases[cat]
        with exact():
            amount = ratio * base if base is not None else Decimal(0)
        required[ccy] += amount
        result.lines.append(Line(cat, ccy, base, ratio, class_ratio, amount, rule_id,
                                 reduction_ids, citations))
    result.required = required
    if holdings is not None:
        _compare(pack, inst, month, holdings, result)
    return result


def _exemption(pack: RulePack, ids: list[str], held: dict) -> ExemptionResult:
    rule = next(r for r in pack.exemptions if r.id == ids[0])
    window = next((held[s] for s in rule.when.status or () if s in held), None)
    start, end = (window.start, window.end) if window else (rule.effective.from_, rule.effective.to)
    return ExemptionResult(rule.id, str(rule.citation), start, end, rule.title)


def _ratio(pack: RulePack, inst: Institution, month: Month, cat: str, decision) -> tuple:
    """(ratio, class ratio, ratio rule, reductions applied, citations) for one category."""
    where = f"institution {inst.id} (class {inst.class_}), category {cat}, maintenance month {month}"
    if len(decision.ratios) > 1:
        raise AmbiguousRules(f"rules {', '.join(decision.ratios)} all apply to {where}",
                             institution=inst.id, category=cat, period=str(month),
                             rules=decision.ratios)
    table_id, row_index, _ = decision.ratios[0].split("|")
    table = next(t for t in pack.ratios if t.id == table_id)
    row = table.rows[int(row_index)]
    class_ratio = row.values[cat]
    if class_ratio is None:
        raise NoRuleApplies(f"{where}: {row.unset_reason} ({table.id}, {table.citation})",
                            institution=inst.id, category=cat, period=str(month))
    citations = [str(table.citation)]
    candidates: list[tuple[str, Decimal | None, Decimal | None]] = []
    for rid in decision.reductions:
        rule = next(r for r in pack.reductions if r.id == rid)
        if rule.factor is not None:
            candidates.append((rid, rule.factor, None))
        elif cat in inst.proposed_vnd_ratios:
            proposed = inst.proposed_vnd_ratios[cat]
            floor = class_ratio * rule.proposed.floor_fraction
            if proposed < floor:
                raise RatioBelowFloor(
                    f"{where}: proposed ratio {proposed} is below the floor {floor} "
                    f"({rule.proposed.floor_fraction} × {class_ratio}; {rule.id}, {rule.citation})",
                    institution=inst.id, category=cat, period=str(month), rule=rule.id)
            candidates.append((rid, None, proposed))
    if not candidates:
        return class_ratio, class_ratio, table_id, [], citations
    rule_citations = {r.id: str(r.citation) for r in pack.reductions}
    if pack.setting("reduction_stacking") == "lowest":
        options = [(f * class_ratio if f is not None else p, rid) for rid, f, p in candidates]
        ratio, rid = min(options + [(class_ratio, None)], key=lambda o: o[0])
        applied = [rid] if rid else []
    elif pack.setting("reduction_stacking") == "compound":
        ratio = min([p for _, _, p in candidates if p is not None] + [class_ratio])
        for _, factor, _ in candidates:
            ratio = ratio * factor if factor is not None else ratio
        applied = [rid for rid, _, _ in candidates]
    else:
        raise InputError(f"setting reduction_stacking is {pack.setting('reduction_stacking')!r};"
                         " expected lowest or compound", field="settings.reduction_stacking")
    return ratio, class_ratio, table_id, applied, citations + [rule_citations[r] for r in applied]


def _bases(pack: RulePack, inst: Institution, computation: Month, rows: list[BalanceRow],
           rates: list[FxRate], fx_ccy: str, result: InstitutionResult) -> dict[str, Decimal]:
    """Average base per category in its reserve currency, over the computation month."""
    header = pack.header
    for row in rows:
        kind = header.categories[row.category].kind if row.category in header.categories else None
        if kind is None:
            raise InputError(f"unknown category {row.category!r}", field="category",
                             institution=inst.id)
        if (kind == "domestic") != (row.currency == header.domestic_currency):
            raise InputError(f"institution {inst.id}, {row.date}: category {row.category} cannot "
                             f"hold {row.currency} deposits", field="currency", institution=inst.id)
    last = computation.last  # hoisted: a Month property, computed once not once per row
    series = daily_series((r.date, (r.category, r.currency), r.amount)
                          for r in rows if r.date <= last)
    avg = monthly_average(series, computation, missing_days=pack.setting("missing_days"),
                          opened=_opened_in(inst, computation), what="balances",
                          institution=inst.id)
    if avg.filled_days:
        result.findings.append(filled_finding("balances", avg.filled_days))
    if avg.zero_days:
        result.findings.append({"code": "days_before_opening", "count": len(avg.zero_days),
                                "message": f"{len(avg.zero_days)} day(s) before operations "
                                           "commenced count as zero in the average"})
    foreign = {ccy for (cat, ccy) in avg.averages if header.categories[cat].kind == "foreign"}
    # rates only when something must be converted: all-USD deposits held in USD need none
    needs_rates = bool(foreign - {fx_ccy}) or (bool(foreign) and inst.reserve_currency is not None)
    fx = rates_for(rates, computation, foreign | {fx_ccy}, domestic=header.domestic_currency,
                   rule=pack.setting("fx_rate_day")) if needs_rates else {}
    if inst.reserve_currency and foreign:
        per_ccy: dict[str, Decimal] = defaultdict(Decimal)
        for (cat, ccy), amount in avg.averages.items():
            if header.categories[cat].kind == "foreign":
                per_ccy[ccy] += convert(amount, ccy, header.domestic_currency, fx)
        check_election(per_ccy, inst.reserve_currency, header.election_threshold,
                       institution=inst.id, month=computation)
    bases = {cat: Decimal(0) for cat in header.categories}
    for (cat, ccy), amount in avg.averages.items():
        target = header.domestic_currency if header.categories[cat].kind == "domestic" else fx_ccy
        bases[cat] += convert(amount, ccy, target, fx)
    return bases


def _compare(pack: RulePack, inst: Institution, month: Month, holdings: list[HoldingRow],
             result: InstitutionResult) -> None:
    """Holdings averaged over the maintenance month against the requirement, and interest."""
    last = month.last
    mine = [h for h in holdings if h.date <= last]
    if not mine:
        raise InputError(f"no central-bank holdings for institution {inst.id} in or before "
                         f"{month}", field="holdings", institution=inst.id, period=str(month))
    series = daily_series((h.date, h.currency, h.amount) for h in mine)
    avg = monthly_average(series, month, missing_days=pack.setting("missing_days"),
                          what="holdings", institution=inst.id)
    if avg.filled_days:
        result.findings.append(filled_finding("holdings", avg.filled_days))
    in_force = pack.in_force(month)["interest"]
    result.held, result.excess, result.shortfall, result.interest = {}, {}, {}, {}
    for ccy, required in result.required.items():
        held = avg.averages.get(ccy, Decimal(0))
        result.held[ccy] = held
        with exact():
            result.excess[ccy] = max(held - required, Decimal(0))
            result.shortfall[ccy] = max(required - held, Decimal(0))
        kind = "domestic" if ccy == pack.header.domestic_currency else "foreign"
        for rule in (r for r in in_force if r.applies_to == kind):
            with exact():
                result.interest[ccy] = (min(held, required) * rule.annual_rate * month.days
                                        / rule.day_count_basis)
        if result.shortfall[ccy] > 0:
            result.findings.append({
                "code": "shortfall", "currency": ccy,
                "message": f"average holding of {ccy} is below the requirement for {month}"})
