"""``rrr rules explain``: why an institution's maintenance period came out as it did, in words.

The explanation follows the engine's own chain and takes every figure from it: the pack
version in force for the maintenance period (a month, or a calendar pack's period named by
its id), the computation period and how the base is taken from it, the institution's events
and the statuses they open (with the pack's timing), the rules the matching kernel fired for
each category (ratio cell or tiered bands, exemption, reductions, allowances), how the
reductions combine (the ``reduction_stacking`` setting), and, when balances are given, the
base, the amount per tranche and line, the allowances deducted and the totals. Each rule is
named with its ``file:line`` and its citation (:mod:`rrr_engine.authoring.explain_text` words it).
Without balances the decision alone is explained: the engine then evaluates with zero
balances, so no amount is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rrr_engine.authoring.explain_text import (
    Writer,
    allowances,
    category,
    conditions,
    events,
    percent,
    reductions,
    totals,
    window,
)
from rrr_engine.core.evaluate import check_institution
from rrr_engine.core.kernel import Decision
from rrr_engine.core.result import InstitutionResult
from rrr_engine.core.status import Window, statuses_in
from rrr_engine.engine import CARRY_WINDOW_DAYS, Engine
from rrr_engine.errors import EvaluationError, InputError, NoRulesetInForce
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.periods import DatedPeriod, Month
from rrr_engine.rules.vocabulary import compared_attributes

__all__ = ["Decided", "decide", "explain", "percent", "read_for"]


@dataclass(frozen=True)
class Decided:
    """The kernel's decision for every category of one institution-period."""

    version: Month | dt.date
    statuses: dict[str, Window]
    decisions: dict[str, Decision]


def decide(engine: Engine, inst: Institution, month: Month | DatedPeriod) -> Decided:
    """Which rules fire for each category (raises :class:`NoRulesetInForce` before the pack)."""
    pack = engine.pack
    version = pack.version_for(month)
    held = statuses_in(pack.statuses, inst, month, pack.periods)
    try:
        values = check_institution(pack, inst)
    except InputError:  # the evaluation, explained beside the decision, names the refusal
        values = {}
    attributes = compared_attributes(pack.header, values)
    return Decided(version, held, {
        cat: engine.kernel.decide(version, inst.class_, cat, frozenset(held), attributes)
        for cat in pack.header.categories})


def _period(w: Writer) -> str:
    """"Maintenance month 2025-10" or "Maintenance period 2020-01-16 (2020-01-16..2020-01-29)"."""
    if w.monthly:
        return f"Maintenance month {w.month}"
    return f"Maintenance period {w.month} ({w.month.span}, {w.month.days} days)"


def _computation(w: Writer) -> str:
    """The computation period, what fixes it, and how the base is taken from it."""
    pack, c = w.pack, w.computation
    if w.monthly:
        why = (w.setting("computation_lag_months") if "computation_lag_months" in pack.settings
               else f"{pack.periods.lag} month(s) before the maintenance month")
        return f"the computation month is {c} ({why})"
    notes = [] if str(c) == c.span else [c.span]
    notes += [f"{c.days} days"] + [w.setting(n) for n, s in pack.settings.items()
                                   if s.read_by.startswith("periods")]
    base = (f"the balance at its end, {c.last}" if pack.periods.base == "end_of_period"
            else "the daily average over it")
    return f"the computation period is {c} ({'; '.join(notes)}); the base is {base}"


def explain(engine: Engine, inst: Institution, period: str | Month | DatedPeriod, *,
            balances: Iterable[BalanceRow] | None = None, fx_rates: Iterable[FxRate] = (),
            holdings: Iterable[HoldingRow] | None = None) -> str:
    """The explanation of ``inst`` for maintenance period ``period`` (a month or a period id)."""
    month, computation = engine.periods(period)
    pack = engine.pack
    w = Writer(pack, month, computation, balances is not None)
    w.say(f"Institution {inst.id}{f' ({inst.name})' if inst.name else ''}, class {inst.class_}.")
    try:
        decided = decide(engine, inst, month)
    except NoRulesetInForce:
        first = pack.versions[0] if pack.versions else "-"
        w.say(f"{_period(w)}: no version of pack {pack.id} is in force; the pack starts at "
              f"{first}. The engine refuses the {w.unit} (NoRulesetInForce) rather than "
              "report zero.")
        return "\n".join(w.out) + "\n"
    w.say(f"{_period(w)} uses pack {pack.id} version {decided.version} (label "
          f"{pack.header.label}, sha256 {pack.sha256[:12]}…); {_computation(w)}.")
    events(w, inst, decided.statuses)
    result, error = _evaluate(engine, inst, month, balances, fx_rates, holdings)
    exemptions = sorted({e for d in decided.decisions.values() for e in d.exemptions},
                        key=[r.id for r in pack.exemptions].index)
    if exemptions:
        rule = next(r for r in pack.exemptions if r.id == exemptions[0])
        span = result.exemption if result and result.exemption else None
        when = f" {window(Window(span.start, span.end))}" if span else ""
        w.say(f"Exempt{when} under {w.rule('exemptions', rule)} ({rule.title}), because "
              f"{conditions(rule.when, inst, decided.statuses)}. No reserve is required and no "
              "line is computed.")
        for other in exemptions[1:]:
            rule = next(r for r in pack.exemptions if r.id == other)
            w.say(f"also exempt under {w.rule('exemptions', rule)}", 1)
    else:
        point = pack.periods.point(month)
        checked = [r.id for r in pack.exemptions if r.effective.covers(point)]
        w.say("No exemption applies" + (f" (checked: {', '.join(checked)})." if checked else
                                        f": none is in force in {month}."))
        reductions(w, inst, decided.decisions, decided.statuses)
        w.say("Lines:")
        lines = {ln.category: ln for ln in result.lines} if result else {}
        for cat, decision in decided.decisions.items():
            category(w, inst, cat, decision, lines.get(cat))
        allowances(w, inst, decided.decisions, decided.statuses, result)
    if error is not None:
        w.say(f"Outcome: the engine refuses this {w.unit}: {error.__class__.__name__}: {error}")
    elif result is not None:
        totals(w, result)
    return "\n".join(w.out) + "\n"


def _evaluate(engine: Engine, inst: Institution, month: Month | DatedPeriod,
              balances: Iterable[BalanceRow] | None, fx_rates: Iterable[FxRate],
              holdings: Iterable[HoldingRow] | None
              ) -> tuple[InstitutionResult | None, Exception | None]:
    """The engine's result (or its refusal). Without balances, zero balances stand in."""
    if balances is None:
        balances = _zero_balances(engine, inst, month)
    try:
        return engine.evaluate(month, institutions=[inst], balances=list(balances),
                               fx_rates=list(fx_rates), holdings=holdings)[0], None
    except (EvaluationError, InputError) as exc:
        return None, exc


def _zero_balances(engine: Engine, inst: Institution,
                   month: Month | DatedPeriod) -> list[BalanceRow]:
    header = engine.pack.header
    _, computation = engine.periods(month)
    cat = next((c for c, d in header.categories.items() if d.kind == "domestic"), None)
    if cat is None:
        return []
    return [BalanceRow(inst.id, day, cat, header.domestic_currency, Decimal(0))
            for day in computation.dates()]


def read_for(engine: Engine, institutions: str | Path, institution: str,
             month: Month | DatedPeriod,
             balances: list[str] | None, fx_rates: str | None,
             holdings: str | None) -> dict[str, Any]:
    """The institution and its rows from files, through the engine's plugins."""
    month, computation = engine.periods(month)
    hooks = engine.hooks
    found = [i for i in hooks.institutions({"institutions": institutions})
             if i.id == institution]
    if not found:
        raise InputError(f"institution {institution!r} is not in the file", file=institutions)
    start = computation.first - dt.timedelta(days=CARRY_WINDOW_DAYS)
    rows = None
    if balances:
        rows = [r for path in balances
                for r in hooks.daily_balances({"balances": path}, start,
                                              computation.last) if r.institution_id == institution]
    rates = (hooks.fx_rates({"fx_rates": fx_rates}, computation.first, computation.last)
             if fx_rates else [])
    held = None
    if holdings:  # None from the hook, as in the engine: no plugin reads holdings
        given = hooks.holdings({"holdings": holdings},
                               month.first - dt.timedelta(days=CARRY_WINDOW_DAYS), month.last)
        held = None if given is None else [h for h in given if h.institution_id == institution]
    return {"inst": found[0], "balances": rows, "fx_rates": rates, "holdings": held}
