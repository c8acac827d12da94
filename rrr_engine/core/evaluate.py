"""One institution's required reserve for one maintenance period, exactly (Circular 30 Art. 5-7).

The kernel says which rules apply (exemption, ratio cell, reductions, allowances); this module
does the arithmetic in ``Decimal``: the base over the computation period (a daily average, or
the balance at its end, as the pack's calendar says), FX conversion, ratio times base (cells
and tranches: :mod:`rrr_engine.core.ratios`), allowances, holdings, excess or shortfall, and
interest. A period is a calendar month or a calendar pack's dated period. Findings (filled
days, deadlines, a shortfall) are returned as data with the result; malfunctions raise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rrr_engine.core.allowances import apply_allowances
from rrr_engine.core.averages import balance_at, daily_series, monthly_average
from rrr_engine.core.findings import deadline_findings, filled_finding
from rrr_engine.core.fx import check_election, convert, rates_for
from rrr_engine.core.kernel import SCALE, Kernel
from rrr_engine.core.minimums import daily_minimums, finding
from rrr_engine.core.ratios import CellChoice, choose, line_amount, where
from rrr_engine.core.result import ExemptionResult, InstitutionResult, Line
from rrr_engine.core.status import Window, statuses_in
from rrr_engine.errors import InputError, MissingDataError, NoRuleApplies
from rrr_engine.models import ID_LENGTH, BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.money import exact
from rrr_engine.periods import DatedPeriod, Month
from rrr_engine.rules.pack import RulePack
from rrr_engine.rules.vocabulary import (
    attribute_values,
    compared_attributes,
    institution_problem,
    operations_start,
)

__all__ = ["check_institution", "evaluate_institution"]


def evaluate_institution(pack: RulePack, kernel: Kernel, inst: Institution,
                         month: Month | DatedPeriod, balances: list[BalanceRow],
                         rates: list[FxRate],
                         holdings: list[HoldingRow] | None) -> InstitutionResult:
    """Evaluate ``inst`` for maintenance period ``month`` (a month, or a calendar pack's period).

    ``balances`` and ``holdings`` are this institution's own rows (the engine groups them);
    ``holdings`` is ``None`` when no holdings source was given.
    """
    header = pack.header
    values = check_institution(pack, inst)
    version = pack.version_for(month)
    in_force = pack.in_force(month)  # asked once per institution-period, used below
    computation = pack.periods.computation(month)
    held_statuses = statuses_in(pack.statuses, inst, month, pack.periods)
    statuses = frozenset(held_statuses)
    attributes = compared_attributes(header, values)
    decisions = {cat: kernel.decide(version, inst.class_, cat, statuses, attributes)
                 for cat in header.categories}
    result = InstitutionResult(
        institution=inst, maintenance_period=month, computation_period=computation,
        ruleset={"id": pack.id, "version": str(version), "label": header.label,
                 "sha256": pack.sha256},
        statuses=sorted(statuses), version=version)
    if pack.periods.kind != "monthly" or pack.periods.base != "daily_average":
        result.period_dates = {
            "maintenance_start": str(month.first), "maintenance_end": str(month.last),
            "computation_start": str(computation.first),
            "computation_end": str(computation.last), "base": pack.periods.base}
    result.findings.extend(deadline_findings(pack, inst, month, in_force["ratios"]))

    exemption_ids = sorted({e for d in decisions.values() for e in d.exemptions},
                           key=[r.id for r in pack.exemptions].index)
    if exemption_ids:
        result.status = "exempt"
        result.exemption = _exemption(pack, exemption_ids, held_statuses)
        for other in exemption_ids[1:]:
            result.findings.append({"code": "also_exempt", "rule": other,
                                    "message": f"also exempt under {other}"})
        return result

    choices: dict[str, CellChoice] = {}
    uncovered: dict[str, NoRuleApplies] = {}
    for cat, decision in decisions.items():
        if decision.ratios:
            choices[cat] = choose(pack, inst, month, cat, decision, values)
        else:  # fatal only if there is something to apply a ratio to (checked below)
            uncovered[cat] = NoRuleApplies(
                f"no ratio rule applies to {where(pack, inst, cat, month)}",
                institution=inst.id, category=cat, period=str(month), field="class")
    all_zero = all(c.is_zero for c in choices.values())
    # a pack without foreign categories has no foreign reserve currency, and nothing uses fx_ccy
    fx_ccy = inst.reserve_currency or header.foreign_reserve_currency or header.domestic_currency
    if all_zero and not balances:
        bases: Mapping[str, Decimal | None] = {cat: None for cat in header.categories}
    else:
        bases, fx_ccy = _bases(pack, inst, computation, balances, rates, fx_ccy, result)
    for cat, error in uncovered.items():
        if bases[cat] is None or bases[cat] != 0:
            raise error
        result.findings.append({"code": "category_not_covered", "category": cat, "message": (
            f"no ratio is in force for {cat} in {month}; the institution has no {cat} "
            "deposits, so nothing is required on it")})
    if all_zero and not uncovered and header.zero_ratio_classes_do_not_report:
        basis = f" ({header.zero_ratio_basis})" if header.zero_ratio_basis else ""
        result.findings.append({"code": "not_reporting", "message": (
            f"every ratio is 0%: the institution does not report and holds nothing{basis}")})
    required: dict[str, Decimal] = {header.domestic_currency: Decimal(0)}
    if any(c.kind == "foreign" for c in header.categories.values()):
        required[fx_ccy] = Decimal(0)
    for cat, choice in choices.items():
        ccy = header.domestic_currency if header.categories[cat].kind == "domestic" else fx_ccy
        base = bases[cat]
        amount = line_amount(choice, base)
        required[ccy] += amount
        result.lines.append(Line(cat, ccy, base, choice.ratio, choice.class_ratio, amount,
                                 choice.rule, choice.reductions, choice.citations,
                                 choice.tranches or None))
    fired = [a for d in decisions.values() for a in d.allowances]
    if fired:
        result.required_before_allowances = dict(required)
        result.allowances = apply_allowances(pack, fired, required)
    result.required = required
    if holdings is not None:
        _compare(pack, inst, month, holdings, result, in_force["interest"])
    return result


def check_institution(pack: RulePack, inst: Institution) -> dict[str, Any]:
    """Refuse an institution record the rules cannot use, naming the field and what is
    expected; return its declared attributes, parsed (:mod:`rrr_engine.rules.vocabulary`)."""
    if not inst.id.isprintable():
        raise InputError(f"institution id {inst.id!r} contains a control character (NUL, tab, "
                         "newline, ...); expected printable text", field="id", institution=inst.id)
    if len(inst.id) > ID_LENGTH:
        raise InputError(f"institution id {inst.id[:20]}... is {len(inst.id)} characters long; "
                         f"expected at most {ID_LENGTH}", field="id", institution=inst.id)
    if inst.class_ not in pack.header.classes:
        raise InputError(f"unknown institution class {inst.class_!r}; expected one of "
                         f"{', '.join(pack.header.classes)}", field="class", institution=inst.id)
    problem = institution_problem(pack.header, inst)
    if problem is not None:
        where, message = problem
        field = ".".join(map(str, where))
        raise InputError(message, field=field, institution=inst.id)
    values = attribute_values(pack.header, inst)
    for name, share in compared_attributes(pack.header, values).items():
        if (share * SCALE) != (share * SCALE).to_integral_value():
            # the kernel compares attributes in millionths; a finer value would be decided
            # on a rounding
            raise InputError(f"{share} is finer than a millionth; expected a value with at most "
                             "6 decimal places, such as \"0.75\"", field=name,
                             institution=inst.id)
    return values


def _exemption(pack: RulePack, ids: list[str], held: dict[str, Window]) -> ExemptionResult:
    rule = next(r for r in pack.exemptions if r.id == ids[0])
    window = next((held[s] for s in rule.when.status or () if s in held), None)
    start, end = (window.start, window.end) if window else (rule.effective.from_, rule.effective.to)
    return ExemptionResult(rule.id, str(rule.citation), start, end, rule.title)


def _bases(pack: RulePack, inst: Institution, computation: Month | DatedPeriod,
           rows: list[BalanceRow], rates: list[FxRate], fx_ccy: str,
           result: InstitutionResult) -> tuple[dict[str, Decimal], str]:
    """Base per category in its reserve currency, from the computation period, and the
    foreign reserve currency (an election that does not hold falls back to the pack's)."""
    header = pack.header
    for row in rows:
        kind = header.categories[row.category].kind if row.category in header.categories else None
        if kind is None:
            raise InputError(f"unknown category {row.category!r}", field="category",
                             institution=inst.id)
        if (kind == "domestic") != (row.currency == header.domestic_currency):
            raise InputError(f"institution {inst.id}, {row.date}: category {row.category} cannot "
                             f"hold {row.currency} deposits", field="currency", institution=inst.id)
    last = computation.last  # hoisted: a property, computed once not once per row
    series = daily_series((r.date, (r.category, r.currency), r.amount)
                          for r in rows if r.date <= last)
    if pack.periods.base == "end_of_period":
        avg = balance_at(series, computation, missing_days=pack.setting("missing_days"),
                         what="balances", institution=inst.id)
    else:
        avg = monthly_average(series, computation, missing_days=pack.setting("missing_days"),
                              opened=operations_start(header, inst, computation.first,
                                                      computation.last), what="balances",
                              institution=inst.id)
    result.base_averages = dict(avg.averages)
    if avg.filled_days:
        result.findings.append(filled_finding("balances", avg))
    if avg.zero_days:
        result.findings.append({"code": "days_before_opening", "count": len(avg.zero_days),
                                "message": f"{len(avg.zero_days)} day(s) before operations "
                                           "commenced count as zero in the average"})
    foreign = {ccy for (cat, ccy) in avg.averages if header.categories[cat].kind == "foreign"}

    def rates_to(target: str) -> dict[str, Decimal]:
        return rates_for(rates, computation, foreign | {target}, domestic=header.domestic_currency,
                         rule=pack.setting("fx_rate_day"))

    # rates only when something must be converted: all-USD deposits held in USD need none
    needs_rates = bool(foreign - {fx_ccy}) or (bool(foreign) and inst.reserve_currency is not None)
    fx = rates_to(fx_ccy) if needs_rates else {}
    if inst.reserve_currency and foreign:
        per_ccy: dict[str, Decimal] = defaultdict(Decimal)
        for (cat, ccy), amount in avg.averages.items():
            if header.categories[cat].kind == "foreign":
                per_ccy[ccy] += convert(amount, ccy, header.domestic_currency, fx)
        election = check_election(per_ccy, inst.reserve_currency, header.election_threshold,
                                  header.election_basis)
        if not election.holds:  # the law then says the pack's own foreign reserve currency
            fx_ccy = header.foreign_reserve_currency or fx_ccy  # set: there are foreign categories
            result.findings.append(election.finding(computation, str(fx_ccy)))
            fx = rates_to(fx_ccy)
    bases = {cat: Decimal(0) for cat in header.categories}
    for (cat, ccy), amount in avg.averages.items():
        target = header.domestic_currency if header.categories[cat].kind == "domestic" else fx_ccy
        bases[cat] += convert(amount, ccy, target, fx)
    return bases, fx_ccy


def _compare(pack: RulePack, inst: Institution, month: Month | DatedPeriod,
             holdings: list[HoldingRow], result: InstitutionResult,
             interest: list[Any]) -> None:
    """Holdings averaged over the maintenance period against the requirement, interest, and
    each day's holding against a daily minimum when the pack has one in force."""
    last = month.last
    mine = [h for h in holdings if h.date <= last]
    if not mine:
        raise MissingDataError(f"no central-bank holdings for institution {inst.id} in or "
                               f"before {month}", field="holdings", institution=inst.id,
                               period=str(month))
    series = daily_series((h.date, h.currency, h.amount) for h in mine)
    avg = monthly_average(series, month, missing_days=pack.setting("missing_days"),
                          what="holdings", institution=inst.id)
    if avg.filled_days:
        result.findings.append(filled_finding("holdings", avg))
    result.held, result.excess, result.shortfall, result.interest = {}, {}, {}, {}
    for ccy, required in result.required.items():
        held = avg.averages.get(ccy, Decimal(0))
        result.held[ccy] = held
        with exact():
            result.excess[ccy] = max(held - required, Decimal(0))
            result.shortfall[ccy] = max(required - held, Decimal(0))
        kind = "domestic" if ccy == pack.header.domestic_currency else "foreign"
        for rule in (r for r in interest if r.applies_to == kind):
            with exact():
                result.interest[ccy] = (min(held, required) * rule.annual_rate * month.days
                                        / rule.day_count_basis)
        if result.shortfall[ccy] > 0:
            result.findings.append({
                "code": "shortfall", "currency": ccy,
                "message": f"average holding of {ccy} is below the requirement for {month}"})
    floors = pack.in_force(month)["daily_minimum"]
    if floors:  # every day's holding against a share of the requirement, besides the average
        result.daily_minimum = daily_minimums(floors, result.required,
                                              pack.header.domestic_currency, series, month)
        result.findings.extend(finding(ccy, m) for ccy, m in result.daily_minimum.items()
                               if m.days_below)
