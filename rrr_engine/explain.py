"""``rrr rules explain``: why an institution's month came out as it did, in words.

The explanation follows the engine's own chain and takes every figure from it: the pack
version in force for the maintenance month, the institution's events and the statuses they
open (with the pack's timing), the rules the matching kernel fired for each category (ratio
cell, exemption, reductions), how the reductions combine (the ``reduction_stacking``
setting), and, when balances are given, the average base and the amount. Each rule is named
with its ``file:line`` and its citation. Without balances the decision alone is explained:
the engine then evaluates with zero balances, so no amount is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .cmd_evaluate import _group_digits
from .engine import CARRY_WINDOW_DAYS, Engine
from .errors import EvaluationError, InputError, NoRulesetInForce
from .kernel import Decision
from .models import BalanceRow, FxRate, HoldingRow, Institution
from .money import dec_str
from .periods import Month
from .result import InstitutionResult
from .rules_model import StatusDef
from .status import Window, status_windows, statuses_in
from .yamlsrc import load_document

__all__ = ["Decided", "decide", "explain", "percent", "read_for"]


@dataclass(frozen=True)
class Decided:
    """The kernel's decision for every category of one institution-month."""

    version: Month
    statuses: dict[str, Window]
    decisions: dict[str, Decision]


def decide(engine: Engine, inst: Institution, month: Month) -> Decided:
    """Which rules fire for each category (raises :class:`NoRulesetInForce` before the pack)."""
    pack = engine.pack
    version = pack.version_for(month)
    held = statuses_in(pack.statuses, inst, month)
    attributes = {} if inst.agri_lending_share is None else {
        "agri_lending_share": inst.agri_lending_share}
    return Decided(version, held, {
        cat: engine.kernel.decide(version, inst.class_, cat, frozenset(held), attributes)
        for cat in pack.header.categories})


def percent(ratio: Decimal) -> str:
    return dec_str((ratio * 100).normalize()) + "%"


def _window(w: Window) -> str:
    start = "the start" if w.start is None else str(w.start)
    return f"from {start} " + ("onwards" if w.end is None else f"to {w.end}")


class _Writer:
    def __init__(self, engine: Engine, month: Month, computation: Month, with_amounts: bool) -> None:
        self.pack = engine.pack
        self.month, self.computation, self.with_amounts = month, computation, with_amounts
        self.out: list[str] = []
        self.reasons_given: set[int] = set()
        statuses = self.pack.files.get("statuses")
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
        return f"{_group_digits(dec_str(self.pack.header.rounding.round(amount, ccy)))} {ccy}"

    def setting(self, name: str) -> str:
        value = self.pack.setting(name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return f"setting {name}={text}"


def _status_timing(status: StatusDef) -> str:
    parts = []
    if status.starts:
        when = "in the month of" if status.starts.month == "same" else "the month after"
        parts.append(f"opens {when} {' / '.join(status.starts.event)}")
    if status.ends:
        end = "the month of" if status.ends.month == "same" else "the month after"
        parts.append(f"holds {'through' if status.ends.inclusive else 'until before'} {end} "
                     f"{' / '.join(status.ends.event)}")
    return "; ".join(parts)


def _events(w: _Writer, inst: Institution, month: Month, held: dict[str, Window]) -> None:
    pack = w.pack
    if not inst.events:
        w.say("Events: none recorded, so no status applies.")
    else:
        w.say("Events:")
        for event in sorted(inst.events, key=lambda e: e.date):
            w.say(f"{event.type} on {event.date}", 1)
    for name, status in pack.statuses.items():
        windows = status_windows(status, inst)
        if not windows:
            continue
        settings = [n for n, s in pack.settings.items() if f"statuses.{name}" in s.read_by]
        via = "".join(f"; {w.setting(n)}" for n in settings)
        law = f"; {cite(status.citation)}" if status.citation else ""
        spans = ", ".join(_window(x) for x in windows)
        mark = "holds in" if name in held else "does not hold in"
        w.say(f"→ status {name} {spans} (statuses.{name}, {w.status_where(name)}; "
              f"{_status_timing(status)}{via}{law}): {mark} {month}", 1)
    w.say(f"Statuses in {month}: {', '.join(sorted(held)) or 'none'}.")


def cite(citation: Any) -> str:
    """A citation with its note (e.g. "as amended by ..."), which a reviewer needs too."""
    return f"{citation} ({citation.note})" if citation.note else str(citation)


def _reductions(w: _Writer, inst: Institution, decided: Decided) -> None:
    fired = [r for r in w.pack.reductions
             if any(r.id in d.reductions for d in decided.decisions.values())]
    if not fired:
        return
    w.say("Reductions that apply:")
    for rule in fired:
        cats = [c for c, d in decided.decisions.items() if rule.id in d.reductions]
        what = (f"factor {rule.factor}" if rule.factor is not None else
                f"the institution's proposed ratio, not below {rule.proposed.floor_fraction} × "
                "the class ratio")
        w.say(f"{rule.id} ({w.where('reductions', rule.id)}; {cite(rule.citation)}): {what}, "
              f"because {_conditions(rule.when, inst, decided.statuses)}; on {', '.join(cats)}", 1)
    if any(len(d.reductions) > 1 for d in decided.decisions.values()):
        w.say(f"More than one applies to a category: {w.setting('reduction_stacking')} "
              f"({w.pack.settings['reduction_stacking'].interpretation})", 1)


def _category(w: _Writer, inst: Institution, cat: str, decision: Decision,
              line: Any | None) -> None:
    pack = w.pack
    if not decision.ratios:
        declared = [i for i, d in enumerate(pack.not_covered) if d.covers(inst.class_, cat, w.month)]
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
    class_ratio = row.values[cat]
    source = (f"ratio table {table.id} row {int(row_index) + 1}, {w.where('ratios', table.id)}; "
              f"{cite(table.citation)}")
    if class_ratio is None:
        w.say(f"{cat}: class {inst.class_} → no number: {row.unset_reason} ({source})", 1)
        return
    w.say(f"{cat}: class {inst.class_} → {percent(class_ratio)} ({source})", 1)
    options = []
    for rid in decision.reductions:
        rule = next(r for r in pack.reductions if r.id == rid)
        if rule.factor is not None:
            options.append(f"{rid}: factor {rule.factor} × {percent(class_ratio)} = "
                           f"{percent(rule.factor * class_ratio)}")
            continue
        proposed = inst.proposed_vnd_ratios.get(cat)
        floor = rule.proposed.floor_fraction * class_ratio
        if proposed is None:
            options.append(f"{rid}: no ratio proposed for {cat}, so none")
        else:
            verdict = "accepted" if proposed >= floor else "REFUSED, below the floor"
            options.append(f"{rid}: proposed {percent(proposed)}, floor "
                           f"{rule.proposed.floor_fraction} × {percent(class_ratio)} = "
                           f"{percent(floor)}: {verdict}")
    for option in options:
        w.say(option, 2)
    if line is None:
        return
    if decision.reductions:
        by = f"reduced by {', '.join(line.reductions)}" if line.reductions else "no reduction lowers it"
        w.say(f"→ {percent(line.ratio)} ({by}; {w.setting('reduction_stacking')})", 2)
    if w.with_amounts:
        w.say(f"average base {w.money(line.average_base, line.reserve_currency)} "
              f"(computation month {w.computation}, {w.computation.days} days) × "
              f"{percent(line.ratio)} = {w.money(line.required, line.reserve_currency)}", 2)


def _conditions(when: Any, inst: Institution, held: dict[str, Window]) -> str:
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


def explain(engine: Engine, inst: Institution, period: str | Month, *,
            balances: Iterable[BalanceRow] | None = None, fx_rates: Iterable[FxRate] = (),
            holdings: Iterable[HoldingRow] | None = None) -> str:
    """The explanation of ``inst`` for maintenance month ``period``, as text."""
    month, computation = engine.periods(period)
    pack = engine.pack
    w = _Writer(engine, month, computation, balances is not None)
    w.say(f"Institution {inst.id}{f' ({inst.name})' if inst.name else ''}, class {inst.class_}.")
    try:
        decided = decide(engine, inst, month)
    except NoRulesetInForce:
        first = pack.versions[0] if pack.versions else "-"
        w.say(f"Maintenance month {month}: no version of pack {pack.id} is in force; the pack "
              f"starts at {first}. The engine refuses the month (NoRulesetInForce) rather "
              "than report zero.")
        return "\n".join(w.out) + "\n"
    w.say(f"Maintenance month {month} uses pack {pack.id} version {decided.version} (label "
          f"{pack.header.label}, sha256 {pack.sha256[:12]}…); the computation month is "
          f"{computation} ({w.setting('computation_lag_months')}).")
    _events(w, inst, month, decided.statuses)
    result, error = _evaluate(engine, inst, month, balances, fx_rates, holdings)
    exemptions = sorted({e for d in decided.decisions.values() for e in d.exemptions},
                        key=[r.id for r in pack.exemptions].index)
    if exemptions:
        rule = next(r for r in pack.exemptions if r.id == exemptions[0])
        span = result.exemption if result and result.exemption else None
        when = f" {_window(Window(span.start, span.end))}" if span else ""
        w.say(f"Exempt{when} under {w.rule('exemptions', rule)} ({rule.title}), because "
              f"{_conditions(rule.when, inst, decided.statuses)}. No reserve is required and no "
              "line is computed.")
        for other in exemptions[1:]:
            w.say(f"also exempt under {w.rule('exemptions', next(r for r in pack.exemptions if r.id == other))}", 1)
    else:
        checked = [r.id for r in pack.exemptions if r.effective.covers(month)]
        w.say("No exemption applies" + (f" (checked: {', '.join(checked)})." if checked else
                                        f": none is in force in {month}."))
        _reductions(w, inst, decided)
        w.say("Lines:")
        lines = {ln.category: ln for ln in result.lines} if result else {}
        for cat, decision in decided.decisions.items():
            _category(w, inst, cat, decision, lines.get(cat))
    if error is not None:
        w.say(f"Outcome: the engine refuses this month: {error.__class__.__name__}: {error}")
    elif result is not None:
        _totals(w, result)
    return "\n".join(w.out) + "\n"


def _totals(w: _Writer, result: InstitutionResult) -> None:
    if result.status != "exempt" and w.with_amounts:
        w.say("Required: " + ", ".join(w.money(v, c) for c, v in result.required.items()) + ".")
    for key in ("held", "excess", "shortfall", "interest"):
        values = getattr(result, key)
        if values:
            w.say(f"{key.capitalize()}: " + ", ".join(w.money(v, c) for c, v in values.items()) + ".")
    shown = [f for f in result.findings if w.with_amounts or f["code"] not in ("filled_days",)]
    for finding in shown:
        w.say(f"Finding {finding['code']}: {finding['message']}")
    if w.with_amounts:
        w.say(f"Averages use {w.setting('missing_days')}; FX conversion uses {w.setting('fx_rate_day')}.")


def _evaluate(engine: Engine, inst: Institution, month: Month,
              balances: Iterable[BalanceRow] | None, fx_rates: Iterable[FxRate],
              holdings: Iterable[HoldingRow] | None) -> tuple[InstitutionResult | None, Exception | None]:
    """The engine's result (or its refusal). Without balances, zero balances stand in."""
    if balances is None:
        balances = _zero_balances(engine, inst, month)
    try:
        return engine.evaluate(month, institutions=[inst], balances=list(balances),
                               fx_rates=list(fx_rates), holdings=holdings)[0], None
    except (EvaluationError, InputError) as exc:
        return None, exc


def _zero_balances(engine: Engine, inst: Institution, month: Month) -> list[BalanceRow]:
    header = engine.pack.header
    _, computation = engine.periods(month)
    cat = next((c for c, d in header.categories.items() if d.kind == "domestic"), None)
    if cat is None:
        return []
    return [BalanceRow(inst.id, day, cat, header.domestic_currency, Decimal(0))
            for day in computation.dates()]


def read_for(engine: Engine, institutions: str | Path, institution: str, month: Month,
             balances: list[str] | None, fx_rates: str | None,
             holdings: str | None) -> dict[str, Any]:
    """The institution and its rows from files, through the engine's plugins."""
    month, computation = engine.periods(month)
    hooks = engine.hooks
    found = [i for i in hooks.institutions(engine.source_options({"institutions": institutions}))
             if i.id == institution]
    if not found:
        raise InputError(f"institution {institution!r} is not in the file", file=institutions)
    start = computation.first - dt.timedelta(days=CARRY_WINDOW_DAYS)
    rows = None
    if balances:
        rows = [r for path in balances
                for r in hooks.daily_balances(engine.source_options({"balances": path}), start,
                                              computation.last) if r.institution_id == institution]
    rates = hooks.fx_rates({"fx_rates": fx_rates}, computation.first, computation.last) if fx_rates else []
    held = None
    if holdings:
        held = [h for h in hooks.holdings({"holdings": holdings}, month.first - dt.timedelta(days=CARRY_WINDOW_DAYS),
                                          month.last) if h.institution_id == institution]
    return {"inst": found[0], "balances": rows, "fx_rates": rates, "holdings": held}
