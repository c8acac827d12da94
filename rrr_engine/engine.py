"""The :class:`Engine` a Python host embeds: one pack, one kernel, one plugin manager.

An engine owns all of its state (its durable_rules rulesets inside the kernel, its plugin
manager), so two engines with different packs in one process never see each other's rules.
``evaluate_each`` takes records directly and evaluates every institution on its own: a
:class:`~rrr_engine.core.batch.Batch` of results and error entries, so one institution's bad input
never stops the others. ``evaluate`` is the all-or-nothing form (the results, or the first
institution's error raised, naming it). ``evaluate_sources_each`` and ``evaluate_sources`` ask
the plugins for the records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rrr_engine.core.batch import Batch, InstitutionError
from rrr_engine.core.evaluate import evaluate_institution
from rrr_engine.core.kernel import Kernel
from rrr_engine.core.result import InstitutionResult
from rrr_engine.errors import EvaluationError, InputError
from rrr_engine.hooks.manager import Hooks, make_manager
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.money import exact
from rrr_engine.periods import DatedPeriod, Month
from rrr_engine.rules.pack import RulePack, load_pack

__all__ = ["CARRY_WINDOW_DAYS", "Engine"]

# Balances are read from this many days before the computation month, so that a month whose
# first days fall in a long holiday (Tết spans up to nine days) can carry the last balance on.
CARRY_WINDOW_DAYS = 31


def _group(rows: Iterable[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.institution_id].append(row)
    return grouped


class Engine:
    """Evaluates required reserves with one rule pack.

    :param rules: a pack directory or an already loaded :class:`RulePack`.
    :param plugins: host plugin objects, registered after the defaults and entry points.
    :param entry_points: load third-party plugins from the ``rrr_engine`` entry-point group.
    :param reuse_decisions: decide identical kernel inputs once (results are identical).
    """

    def __init__(self, rules: str | Path | RulePack, *, plugins: Sequence[object] = (),
                 entry_points: bool = True, reuse_decisions: bool = True) -> None:
        self.pack = rules if isinstance(rules, RulePack) else load_pack(rules)
        self.kernel = Kernel(self.pack, reuse_decisions=reuse_decisions)
        self.plugin_manager = make_manager(plugins, entry_points=entry_points)
        self.hooks = Hooks(self.plugin_manager, self.pack.header)

    def periods(self, period: str | Month | DatedPeriod) -> tuple[Any, Any]:
        """(maintenance period, computation period) for ``period``.

        A monthly pack names periods ``YYYY-MM``; a calendar pack by the ids in its
        ``periods:`` list (an unknown id is an :class:`InputError` naming the nearest period).
        """
        month = self.pack.periods.parse(period)
        return month, self.pack.periods.computation(month)

    def evaluate_each(self, period: str | Month | DatedPeriod, *,
                      institutions: Sequence[Institution], balances: Iterable[BalanceRow],
                      fx_rates: Iterable[FxRate] = (),
                      holdings: Iterable[HoldingRow] | None = None) -> Batch:
        """Evaluate every institution for the maintenance period ``period``, each on its own.

        An institution whose input is bad gets an error entry naming it, the field and what
        is expected; the others are evaluated all the same. Rows naming an institution that
        is not in ``institutions`` give that id an error entry. Only what makes the whole
        batch meaningless raises: a malformed period, or one before every version of the pack.
        """
        month, _ = self.periods(period)
        self.pack.version_for(month)  # NoRulesetInForce concerns every institution alike
        by_inst = _group(balances)
        rates = list(fx_rates)
        held = None if holdings is None else _group(holdings)
        batch = Batch()
        with exact():  # every intermediate figure at 40 digits, not Python's default 28
            for inst in institutions:
                try:
                    batch.outcomes.append(evaluate_institution(
                        self.pack, self.kernel, inst, month, by_inst.get(inst.id, []), rates,
                        None if held is None else held.get(inst.id, [])))
                except (InputError, EvaluationError) as exc:
                    batch.outcomes.append(InstitutionError.of(
                        inst.id, exc, institution_name=inst.name, period=month))
        known = {i.id for i in institutions}
        for inst_id in sorted(set(by_inst) - known):
            batch.outcomes.append(InstitutionError.of(inst_id, InputError(
                f"balances name institution {inst_id!r}, which is not in the institutions list",
                field="institution_id", institution=inst_id), period=month))
        return batch

    def evaluate(self, period: str | Month | DatedPeriod, *, institutions: Sequence[Institution],
                 balances: Iterable[BalanceRow], fx_rates: Iterable[FxRate] = (),
                 holdings: Iterable[HoldingRow] | None = None) -> list[InstitutionResult]:
        """Every institution's result for ``period``, or the first institution's error raised
        (all or nothing; :meth:`evaluate_each` evaluates the others all the same)."""
        return self.evaluate_each(period, institutions=institutions, balances=balances,
                                  fx_rates=fx_rates, holdings=holdings).strict()

    def evaluate_sources_each(self, period: str | Month | DatedPeriod,
                              options: Mapping[str, Any]) -> Batch:
        """:meth:`evaluate_each` with data from the plugins named by ``options``."""
        month, computation = self.periods(period)
        start = computation.first - dt.timedelta(days=CARRY_WINDOW_DAYS)
        return self.evaluate_each(
            month, institutions=self.hooks.institutions(options),
            balances=self.hooks.daily_balances(options, start, computation.last),
            fx_rates=self.hooks.fx_rates(options, computation.first, computation.last),
            holdings=self.hooks.holdings(
                options, month.first - dt.timedelta(days=CARRY_WINDOW_DAYS), month.last))

    def evaluate_sources(self, period: str | Month | DatedPeriod,
                         options: Mapping[str, Any]) -> list[InstitutionResult]:
        """:meth:`evaluate` with data from the plugins named by ``options`` (all or nothing)."""
        return self.evaluate_sources_each(period, options).strict()

    def to_json(self, results: Iterable[InstitutionResult]) -> list[dict[str, Any]]:
        """The contract's JSON objects, rounded by the pack's declared policy."""
        return [r.to_dict(self.pack.header.rounding) for r in results]
