"""Evaluating stored periods again, from storage alone, and comparing with what is stored.

Both ``rrr rules diff --db`` (what a new pack version would move, writing nothing) and
``rrr reevaluate`` (a retroactive amendment, writing new versions) start here: for every
stored period and stage, the latest result of each institution, the institution record it
was computed from (``rrr_institution_records``), and the stored snapshots of the stage's
window give a new evaluation with another pack; :func:`compare` lists the exact figures that
moved, line by line (category and reserve currency) and in total.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from rrr_engine.canonical import fingerprint
from rrr_engine.core.batch import InstitutionError
from rrr_engine.engine import Engine
from rrr_engine.errors import RrrError, StorageError, TemporaryFailure
from rrr_engine.jobs.stages import Evaluated, compute_stage
from rrr_engine.models import Institution
from rrr_engine.money import exact
from rrr_engine.store.results import (
    StoredResult,
    exact_dict,
    latest_for_period,
    read_institution,
    stored_keys,
)

__all__ = ["Move", "Recomputed", "compare", "read_known", "recompute", "targets"]

_TOTALS = ("required", "held", "excess", "shortfall", "interest")


@dataclass(frozen=True)
class Move:
    """One exact figure that differs: a line's requirement, or an institution total."""

    category: str  # a reserve category, or "total"
    currency: str
    figure: str  # required | held | excess | shortfall | interest
    old: Decimal
    new: Decimal

    @property
    def difference(self) -> Decimal:
        with exact():  # 40 digits: Python's default 28 would round a 10^12 đồng figure
            return self.new - self.old


@dataclass
class Recomputed:
    """A stored result and its new evaluation (``new`` is None when it could not be made)."""

    stored: StoredResult
    new: Evaluated | None = None
    moves: list[Move] = field(default_factory=list)
    status: tuple[str, str] | None = None  # (stored, new) when the status changed
    error: str | None = None
    failed: InstitutionError | None = None  # this institution's input is bad with the new pack

    @property
    def moved(self) -> bool:
        return bool(self.moves or self.status)


def _amounts(values: dict[str, str] | None) -> dict[str, Decimal]:
    return {ccy: Decimal(v) for ccy, v in (values or {}).items()}


def compare(stored: dict[str, Any], new: dict[str, Any]) -> list[Move]:
    """Exact figures that differ between two results in the contract's exact JSON form."""
    moves = []
    old_lines = {(ln["category"], ln["reserve_currency"]): Decimal(ln["required"])
                 for ln in stored["lines"]}
    new_lines = {(ln["category"], ln["reserve_currency"]): Decimal(ln["required"])
                 for ln in new["lines"]}
    for cat, ccy in sorted(set(old_lines) | set(new_lines)):
        a, b = old_lines.get((cat, ccy), Decimal(0)), new_lines.get((cat, ccy), Decimal(0))
        if a != b:
            moves.append(Move(cat, ccy, "required", a, b))
    for figure in _TOTALS:
        a_all, b_all = _amounts(stored.get(figure)), _amounts(new.get(figure))
        for ccy in sorted(set(a_all) | set(b_all)):
            a, b = a_all.get(ccy, Decimal(0)), b_all.get(ccy, Decimal(0))
            if a != b:
                moves.append(Move("total", ccy, figure, a, b))
    return moves


def targets(conn: Connection, engine: Engine, first: Any = None,
            last: Any = None) -> tuple[list[tuple[Any, str]], list[str]]:
    """Stored (period, stage) pairs the pack can name, oldest first, within ``first``..``last``
    (periods of the pack, by start date); and notes on stored periods it cannot name."""
    periods = engine.pack.periods
    found, notes = [], []
    for name, stage in stored_keys(conn):
        try:
            period = periods.parse(name)
        except RrrError as exc:
            notes.append(f"stored period {name} ({stage}) left out: {exc}")
            continue
        if first is not None and period.first < first.first:
            continue
        if last is not None and period.first > last.first:
            continue
        found.append((period, stage))
    found.sort(key=lambda ps: (ps[0].first, ps[1] != "requirement"))
    return found, notes


def read_known(path: str | None, engine: Engine) -> dict[str, Institution]:
    """Institution records from a file (``--institutions``), by fingerprint: the fallback for
    results stored before their records were (a record must match exactly to be used)."""
    if not path:
        return {}
    from rrr_engine.defaults.inputs import read_institutions
    return {fingerprint(i): i for i in read_institutions(
        path, engine.pack.header.classes, vocabulary=engine.pack.header)}


def _institutions(conn: Connection, stored: list[StoredResult],
                  known: Mapping[str, Institution]) -> list[Institution]:
    out = []
    for r in stored:
        inst = read_institution(conn, r.institution_fingerprint) or known.get(
            r.institution_fingerprint)
        if inst is None:
            raise StorageError(
                f"{r.institution_id} {r.maintenance_period} {r.stage} v{r.result_version}: the "
                "institution record it was computed from is not stored (a result stored before "
                "schema version 2): give --institutions with the institutions file it was "
                "computed from", institution=r.institution_id, period=r.maintenance_period)
        out.append(inst)
    return out


def recompute(conn: Connection, engine: Engine, period: Any, stage: str, *,
              known: Mapping[str, Institution] | None = None) -> Iterator[Recomputed]:
    """Each institution's latest stored result of ``period``/``stage``, evaluated again with
    ``engine``'s pack from the stored snapshots, and what moved.

    :param known: institution records by fingerprint, for results whose record is not stored.
    """
    stored = latest_for_period(conn, str(period), stage)
    if not stored:
        return
    try:
        _, evaluated = compute_stage(conn, engine, _institutions(conn, stored, known or {}),
                                     period, stage, subset=True)
    except RrrError as exc:
        if isinstance(exc, (StorageError, TemporaryFailure)):
            raise
        evaluated = str(exc)  # the whole stage (e.g. no version of the pack in force)
    if isinstance(evaluated, str):
        for r in stored:
            yield Recomputed(r, error=evaluated)
        return
    by_id = {e.result.institution.id: e for e in evaluated.evaluated}
    failed = {e.institution_id: e for e in evaluated.errors}
    for r in stored:
        if r.institution_id in failed:  # this institution only: the others are compared
            yield Recomputed(r, error=failed[r.institution_id].message,
                             failed=failed[r.institution_id])
            continue
        item = by_id[r.institution_id]
        new = exact_dict(item.result)
        status = None if r.exact["status"] == new["status"] else (r.exact["status"], new["status"])
        yield Recomputed(r, item, compare(r.exact, new), status)
