"""A maintenance period's two stages, evaluated from stored snapshots.

``requirement`` of period P needs P's computation period (for Vietnam, the month before): it
is evaluated as soon as those days are all snapshotted, which for a monthly pack is P's first
day. ``close`` of P adds P's own central-bank holdings, so it needs every day of P as well,
i.e. it is evaluated after P ends. Each stage reads its window back from storage (with the
engine's carry-forward room before it) and calls :meth:`Engine.evaluate` with those rows, so
a stored result is always reproducible from stored inputs. A stage whose days are not all
snapshotted yet is skipped with a note, never evaluated from a partial period.

Every institution is evaluated on its own: one whose input is bad, or whose rows of a date the stage
needs were refused (a snapshot gap, :mod:`rrr_engine.store.snapshots`), gets an error entry and no
result; the others are evaluated and stored. An institution's first result for a stage that other
institutions already have is stored as of that stage's first date, so a stage completed after its
data was fixed reads exactly as if it had been complete from the start.

Periods are the pack's own (:mod:`rrr_engine.rules.calendars`): calendar months for Vietnam, or the
dated periods of a calendar pack; nothing here assumes months.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from rrr_engine.canonical import fingerprint
from rrr_engine.core.batch import InstitutionError
from rrr_engine.core.result import InstitutionResult
from rrr_engine.engine import CARRY_WINDOW_DAYS, Engine
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.periods import days_between
from rrr_engine.store import schema
from rrr_engine.store.results import institution_fingerprints, put_result
from rrr_engine.store.snapshots import (
    Gap,
    processed_days,
    read_balances,
    read_fx_rates,
    read_gaps,
    read_holdings,
)

__all__ = ["Computed", "Evaluated", "StageOutcome", "StageWindow", "compute_stage",
           "evaluate_stage", "store_evaluated", "window"]

Span = tuple[dt.date, dt.date]


@dataclass(frozen=True)
class StageWindow:
    """The stored dates one stage of one maintenance period reads."""

    period: Any  # Month or DatedPeriod
    stage: str
    computation: Any
    balances: Span
    holdings: Span | None
    complete: tuple[Span, ...]  # every date in these spans must be snapshotted

    def reads(self, day: dt.date) -> bool:
        """Whether a changed snapshot of ``day`` can change this stage's result."""
        spans = [self.balances] + ([self.holdings] if self.holdings else [])
        return any(start <= day <= end for start, end in spans)


def window(engine: Engine, period: Any, stage: str) -> StageWindow:
    period, computation = engine.periods(period)
    carry = dt.timedelta(days=CARRY_WINDOW_DAYS)
    balances = (computation.first - carry, computation.last)
    # a balance-sheet base reads one reference date (carried back if it has no rows)
    base: Span = ((computation.last, computation.last)
                  if engine.pack.periods.base == "end_of_period"
                  else (computation.first, computation.last))
    if stage == "requirement":
        return StageWindow(period, stage, computation, balances, None, (base,))
    return StageWindow(period, stage, computation, balances, (period.first - carry, period.last),
                       (base, (period.first, period.last)))


@dataclass
class StageOutcome:
    period: Any
    stage: str
    written: list[tuple[str, int]] = field(default_factory=list)  # (institution, version)
    unchanged: list[str] = field(default_factory=list)
    skipped: str | None = None
    errors: list[InstitutionError] = field(default_factory=list)


@dataclass(frozen=True)
class Evaluated:
    """One institution's result for a stage, with what storing it needs."""

    result: InstitutionResult
    averages: dict[tuple[str, str], Decimal]  # the result's base averages (the form's figures)
    input_fingerprint: str
    institution_fingerprint: str


@dataclass
class Computed:
    """A stage evaluated: a result per institution that could be computed, an error entry
    per institution that could not, in institution order."""

    evaluated: list[Evaluated] = field(default_factory=list)
    errors: list[InstitutionError] = field(default_factory=list)


def _grouped(rows: Sequence[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        out[r.institution_id].append(r)
    return out


def _blocking(gaps: list[Gap], spans: list[tuple[Span, Span, dict[str, list[Any]]]]
              ) -> dict[str, Gap]:
    """The institutions a stage cannot evaluate because rows it reads were refused.

    A gap on a date the stage averages blocks; a gap in the carry-forward room before it
    blocks only when no later stored row of that institution comes before the averaged days
    (the carried balance would otherwise be the refused day's).
    """
    blocked: dict[str, Gap] = {}
    for gap in gaps:
        day, inst = gap.business_date, gap.institution_id
        if inst in blocked:
            continue
        for (lo, hi), (start, end), rows in spans:
            if not lo <= day <= hi:
                continue
            if start <= day <= end or (day < start and not any(
                    day < r.date <= start for r in rows.get(inst, ()))):
                blocked[inst] = gap
                break
    return blocked


def _gap_error(gap: Gap, inst: Institution | None, period: Any, stage: str) -> InstitutionError:
    return InstitutionError(
        gap.institution_id, gap.code,
        f"{gap.message} (its rows of {gap.business_date} are not stored; once the source is "
        f"fixed, re-run the nightly for {gap.business_date})", gap.field,
        "" if inst is None else inst.name, str(period), stage, gap.business_date)


def compute_stage(conn: Connection, engine: Engine, institutions: Sequence[Institution],
                  period: Any, stage: str, *,
                  subset: bool = False) -> tuple[StageWindow, Computed | str]:
    """Evaluate one stage of ``period`` from storage, writing nothing: a result or an error
    entry per institution, or why the stage cannot be evaluated yet.

    :param subset: ``institutions`` are some of those stored (re-evaluating stored results,
        or completing a stage for some institutions): leave out the others' rows instead of
        refusing them as unknown.
    """
    win = window(engine, period, stage)
    needed = [d for start, end in win.complete for d in days_between(start, end)]
    seen = processed_days(conn, min(needed), max(needed))
    missing = [d for d in needed if d not in seen]
    if missing:
        return win, (f"{stage} of {win.period} not evaluated yet: {len(missing)} day(s) "
                     f"from {missing[0]} to {missing[-1]} are not snapshotted")
    if stage == "close" and not all(seen[d] for d in win.period.dates()):
        return win, (f"close of {win.period} not evaluated: the source gave no "
                     "central-bank holdings for some of its days")
    ids = {i.id for i in institutions}
    balances = [r for r in read_balances(conn, *win.balances)
                if not subset or r.institution_id in ids]
    rates = read_fx_rates(conn, win.computation.first, win.computation.last)
    holdings = None if not win.holdings else [
        h for h in read_holdings(conn, *win.holdings) if not subset or h.institution_id in ids]
    by_bal, by_held = _grouped(balances), _grouped(holdings or [])
    spans = [(win.balances, win.complete[0], by_bal)]
    if win.holdings:
        spans.append((win.holdings, win.complete[1], by_held))
    first, last = min(lo for (lo, _), _, _ in spans), max(hi for (_, hi), _, _ in spans)
    gaps = [g for g in read_gaps(conn, first, last) if not subset or g.institution_id in ids]
    blocked = _blocking(gaps, spans)
    named = {i.id: i for i in institutions}
    out = Computed(errors=[_gap_error(g, named.get(i), win.period, stage)
                           for i, g in blocked.items()])
    batch = engine.evaluate_each(
        win.period, institutions=[i for i in institutions if i.id not in blocked],
        balances=[r for r in balances if r.institution_id not in blocked], fx_rates=rates,
        holdings=None if holdings is None else [
            h for h in holdings if h.institution_id not in blocked])
    for outcome in batch:
        if isinstance(outcome, InstitutionError):
            out.errors.append(dataclasses.replace(outcome, stage=stage))
            continue
        inst = outcome.institution.id
        mine = by_bal.get(inst, [])
        held = None if holdings is None else by_held.get(inst, [])
        out.evaluated.append(Evaluated(
            outcome, dict(outcome.base_averages),
            fingerprint(_inputs(win.period, stage, outcome.institution, mine, rates, held)),
            fingerprint(outcome.institution)))
    order = {i.id: n for n, i in enumerate(institutions)}
    out.errors.sort(key=lambda e: (order.get(e.institution_id, len(order)), e.institution_id))
    return win, out


def store_evaluated(conn: Connection, engine: Engine, item: Evaluated, stage: str, *,
                    as_of: dt.date, run_id: str, now: dt.datetime,
                    tick: Callable[[int], None] = lambda n: None) -> int | None:
    """Store one evaluated result unless it equals the latest version; the version written."""
    return put_result(conn, item.result, stage=stage, rounding=engine.pack.header.rounding,
                      averages=item.averages, input_fingerprint=item.input_fingerprint,
                      institution_fingerprint=item.institution_fingerprint,
                      as_of=as_of, run_id=run_id, now=now, tick=tick)


def _first_as_of(conn: Connection, period: str, stage: str) -> dt.date | None:
    t = schema.RESULTS
    return conn.execute(select(func.min(t.c.as_of)).where(
        t.c.maintenance_period == period, t.c.stage == stage)).scalar()


def evaluate_stage(conn: Connection, engine: Engine, institutions: Sequence[Institution],
                   period: Any, stage: str, *, as_of: dt.date, run_id: str, now: dt.datetime,
                   tick: Callable[[int], None] = lambda n: None,
                   only: set[str] | None = None) -> StageOutcome:
    """Evaluate one stage of ``period`` from storage and store what changed.

    :param only: evaluate only these institutions (the others' results stand as stored).
    """
    chosen = list(institutions) if only is None else [i for i in institutions if i.id in only]
    win, computed = compute_stage(conn, engine, chosen, period, stage, subset=only is not None)
    outcome = StageOutcome(win.period, stage)
    if isinstance(computed, str):
        outcome.skipped = computed
        return outcome
    outcome.errors = computed.errors
    name = str(win.period)
    have = institution_fingerprints(conn, name, stage)
    first = _first_as_of(conn, name, stage) if have else None
    for item in computed.evaluated:
        inst = item.result.institution.id
        # a first result completing a stage others have: as of the stage's first date
        when = first if inst not in have and first is not None else as_of
        version = store_evaluated(conn, engine, item, stage, as_of=when, run_id=run_id,
                                  now=now, tick=tick)
        if version is None:
            outcome.unchanged.append(inst)
        else:
            outcome.written.append((inst, version))
    return outcome


def _inputs(period: Any, stage: str, inst: Institution, balances: list[BalanceRow],
            rates: list[FxRate], holdings: list[HoldingRow] | None) -> dict:
    """Everything one institution's result was computed from, for its input fingerprint."""
    return {"maintenance_period": str(period), "stage": stage, "institution": inst,
            "balances": balances, "fx_rates": rates, "holdings": holdings}
