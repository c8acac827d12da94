"""A maintenance month's two stages, evaluated from stored snapshots.

``requirement`` of month M needs the computation month M-1: on any day of M every day of
M-1 has closed, so the requirement is known from M's first day. ``close`` of month M adds
M's own central-bank holdings, so it can only be evaluated once every day of M is
snapshotted, i.e. from the first day of M+1. Each stage reads its window back from storage
(with the engine's carry-forward room before the computation month) and calls
:meth:`Engine.evaluate` with those rows, so a stored result is always reproducible from
stored inputs. A stage whose days are not all snapshotted yet is skipped with a note, never
evaluated from a partial month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from .averages import daily_series, monthly_average
from .canonical import fingerprint
from .engine import CARRY_WINDOW_DAYS, Engine
from .models import BalanceRow, FxRate, HoldingRow, Institution
from .periods import Month, days_between
from .result import InstitutionResult
from .resultstore import put_result
from .snapshots import processed_days, read_balances, read_fx_rates, read_holdings

__all__ = ["StageOutcome", "StageWindow", "evaluate_stage", "window"]


@dataclass(frozen=True)
class StageWindow:
    """The stored dates one stage of one maintenance month reads."""

    month: Month
    stage: str
    computation: Month
    balances: tuple[dt.date, dt.date]
    holdings: tuple[dt.date, dt.date] | None
    complete: tuple[dt.date, dt.date]  # every date here must be snapshotted

    def reads(self, day: dt.date) -> bool:
        """Whether a changed snapshot of ``day`` can change this stage's result."""
        spans = [self.balances] + ([self.holdings] if self.holdings else [])
        return any(start <= day <= end for start, end in spans)


def window(engine: Engine, month: Month, stage: str) -> StageWindow:
    _, computation = engine.periods(month)
    carry = dt.timedelta(days=CARRY_WINDOW_DAYS)
    balances = (computation.first - carry, computation.last)
    if stage == "requirement":
        return StageWindow(month, stage, computation, balances, None,
                           (computation.first, computation.last))
    return StageWindow(month, stage, computation, balances, (month.first - carry, month.last),
                       (min(computation.first, month.first), max(computation.last, month.last)))


@dataclass
class StageOutcome:
    month: Month
    stage: str
    written: list[tuple[str, int]] = field(default_factory=list)  # (institution, version)
    unchanged: list[str] = field(default_factory=list)
    skipped: str | None = None


def _opened_in(inst: Institution, month: Month) -> dt.date | None:
    # the same rule as evaluate._opened_in: days before operations count as zero
    days = [e.date for e in inst.events if e.type == "commenced_operations"
            and Month.of(e.date) == month]
    return min(days) if days else None


def dtbb001_averages(engine: Engine, result: InstitutionResult,
                     rows: Sequence[BalanceRow]) -> dict[tuple[str, str], Decimal]:
    """Average end-of-day balance per category and deposit currency (the DTBB001 figures),
    averaged exactly as the engine averages the reserve base."""
    computation = result.computation_period
    mine = [r for r in rows if r.date <= computation.last]
    if result.status != "required" or not mine:
        return {}
    avg = monthly_average(daily_series((r.date, (r.category, r.currency), r.amount) for r in mine),
                          computation, missing_days=engine.pack.setting("missing_days"),
                          opened=_opened_in(result.institution, computation), what="balances",
                          institution=result.institution.id)
    return dict(avg.averages)


def evaluate_stage(conn: Connection, engine: Engine, institutions: Sequence[Institution],
                   month: Month, stage: str, *, as_of: dt.date, run_id: str, now: dt.datetime,
                   tick: Callable[[int], None] = lambda n: None) -> StageOutcome:
    """Evaluate one stage of ``month`` from storage and store what changed."""
    win = window(engine, month, stage)
    outcome = StageOutcome(month, stage)
    seen = processed_days(conn, *win.complete)
    missing = [d for d in days_between(*win.complete) if d not in seen]
    if missing:
        outcome.skipped = (f"{stage} of {month} not evaluated yet: {len(missing)} day(s) from "
                           f"{missing[0]} to {missing[-1]} are not snapshotted")
        return outcome
    if stage == "close" and not all(seen[d] for d in month.dates()):
        outcome.skipped = (f"close of {month} not evaluated: the source gave no central-bank "
                           "holdings for some of its days")
        return outcome
    balances = read_balances(conn, *win.balances)
    rates = read_fx_rates(conn, win.computation.first, win.computation.last)
    holdings = read_holdings(conn, *win.holdings) if win.holdings else None
    results = engine.evaluate(month, institutions=institutions, balances=balances,
                              fx_rates=rates, holdings=holdings)
    for result in results:
        inst = result.institution.id
        mine = [r for r in balances if r.institution_id == inst]
        held = None if holdings is None else [h for h in holdings if h.institution_id == inst]
        inputs = fingerprint(_inputs(month, stage, result.institution, mine, rates, held))
        version = put_result(conn, result, stage=stage, rounding=engine.pack.header.rounding,
                             averages=dtbb001_averages(engine, result, mine),
                             input_fingerprint=inputs,
                             institution_fingerprint=fingerprint(result.institution),
                             as_of=as_of, run_id=run_id, now=now, tick=tick)
        if version is None:
            outcome.unchanged.append(inst)
        else:
            outcome.written.append((inst, version))
    return outcome


def _inputs(month: Month, stage: str, inst: Institution, balances: list[BalanceRow],
            rates: list[FxRate], holdings: list[HoldingRow] | None) -> dict:
    """Everything one institution's result was computed from, for its input fingerprint."""
    return {"maintenance_period": month, "stage": stage, "institution": inst,
            "balances": balances, "fx_rates": rates, "holdings": holdings}
