"""Stored daily snapshots: one business date's category totals, FX rates and holdings.

A :class:`DaySnapshot` is what the source hooks returned for one date, validated and put in
canonical order; its fingerprint compares amounts by value (``1.50`` equals ``1.5``), so
re-sending the same figures is recognised as unchanged. The functions here read and write
snapshots on a connection inside the caller's transaction, and read them back as the
engine's own records (:class:`~rrr_engine.models.BalanceRow` and friends) for evaluation.

A date may be stored without some institutions whose rows the job refused (bad input from the
source): each such institution has a :class:`Gap` naming why. :func:`complete_day` later adds
the rows of institutions the source now gives correctly and deletes their gaps, leaving the
date exactly as if it had been stored whole at once (same rows, counts and fingerprint).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update

from rrr_engine.canonical import canonical_json, fingerprint, value_text
from rrr_engine.core.batch import InstitutionError
from rrr_engine.models import BalanceRow, FxRate, HoldingRow
from rrr_engine.store import schema

__all__ = [
    "DaySnapshot",
    "Gap",
    "StoredDay",
    "complete_day",
    "delete_day",
    "processed_days",
    "read_balances",
    "read_day",
    "read_fx_rates",
    "read_gaps",
    "read_holdings",
    "write_day",
    "write_gaps",
]


@dataclass(frozen=True)
class DaySnapshot:
    """One business date as the source gave it; ``holdings`` is None without a holdings source."""

    day: dt.date
    balances: tuple[BalanceRow, ...]
    fx_rates: tuple[FxRate, ...]
    holdings: tuple[HoldingRow, ...] | None

    @classmethod
    def of(cls, day: dt.date, balances: Iterable[BalanceRow], fx_rates: Iterable[FxRate],
           holdings: Iterable[HoldingRow] | None) -> DaySnapshot:
        return cls(day,
                   tuple(sorted(balances,
                                key=lambda r: (r.institution_id, r.category, r.currency))),
                   tuple(sorted(fx_rates, key=lambda r: r.currency)),
                   None if holdings is None else tuple(
                       sorted(holdings, key=lambda r: (r.institution_id, r.currency))))

    def canonical(self) -> dict[str, Any]:
        """Value-level content, for fingerprints and the restatement log."""
        return {
            "date": self.day.isoformat(),
            "balances": [[r.institution_id, r.category, r.currency, value_text(r.amount)]
                         for r in self.balances],
            "fx_rates": [[r.currency, value_text(r.domestic_per_unit)] for r in self.fx_rates],
            "holdings": None if self.holdings is None else [
                [r.institution_id, r.currency, value_text(r.amount)] for r in self.holdings],
        }

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.canonical())

    def only(self, keep: Callable[[str], bool]) -> DaySnapshot:
        """The same date with only the rows of institutions ``keep`` accepts (FX rates kept)."""
        return DaySnapshot(self.day, tuple(r for r in self.balances if keep(r.institution_id)),
                           self.fx_rates, None if self.holdings is None else tuple(
                               r for r in self.holdings if keep(r.institution_id)))

    def institutions(self) -> set[str]:
        """Every institution with a row (balance or holding) on this date."""
        return ({r.institution_id for r in self.balances}
                | {h.institution_id for h in self.holdings or ()})


@dataclass(frozen=True)
class StoredDay:
    snapshot: DaySnapshot
    revision: int
    fingerprint: str


def read_day(conn: Connection, day: dt.date) -> StoredDay | None:
    """The stored snapshot of ``day``, or None when the date was never processed."""
    meta = conn.execute(select(schema.SNAPSHOT_DAYS).where(
        schema.SNAPSHOT_DAYS.c.business_date == day)).first()
    if meta is None:
        return None
    holdings = read_holdings(conn, day, day) if meta.has_holdings else None
    snap = DaySnapshot.of(day, read_balances(conn, day, day), read_fx_rates(conn, day, day),
                          holdings)
    return StoredDay(snap, meta.revision, meta.input_fingerprint)


def write_day(conn: Connection, snap: DaySnapshot, *, revision: int, run_id: str,
              now: dt.datetime, tick: Callable[[int], None] = lambda n: None) -> None:
    """Insert a snapshot (the date must hold none); ``tick(n)`` after each batch of n rows."""
    day = snap.day
    _insert_rows(conn, snap, fx=True, tick=tick)
    conn.execute(schema.SNAPSHOT_DAYS.insert().values(
        business_date=day, revision=revision, balance_rows=len(snap.balances),
        fx_rows=len(snap.fx_rates), holding_rows=len(snap.holdings or ()),
        has_holdings=snap.holdings is not None, input_fingerprint=snap.fingerprint,
        run_id=run_id, created_at=now))
    tick(1)


def _insert_rows(conn: Connection, snap: DaySnapshot, *, fx: bool,
                 tick: Callable[[int], None]) -> None:
    day = snap.day
    if snap.balances:
        conn.execute(schema.DAILY_TOTALS.insert(), [
            {"institution_id": r.institution_id, "business_date": day, "category": r.category,
             "currency": r.currency, "amount": r.amount} for r in snap.balances])
        tick(len(snap.balances))
    if fx and snap.fx_rates:
        conn.execute(schema.FX_RATES.insert(), [
            {"business_date": day, "currency": r.currency, "domestic_per_unit": r.domestic_per_unit}
            for r in snap.fx_rates])
        tick(len(snap.fx_rates))
    if snap.holdings:
        conn.execute(schema.DAILY_HOLDINGS.insert(), [
            {"institution_id": r.institution_id, "business_date": day, "currency": r.currency,
             "amount": r.amount} for r in snap.holdings])
        tick(len(snap.holdings))


def complete_day(conn: Connection, stored: StoredDay, added: DaySnapshot, resolved: Iterable[str],
                 *, tick: Callable[[int], None] = lambda n: None) -> StoredDay:
    """Add ``added``'s balance and holding rows (institutions the stored date lacks) and delete
    the gaps of ``resolved``; the date keeps its revision, its counts and fingerprint become
    those of the whole. Not a restatement: no stored figure changes."""
    day = stored.snapshot.day
    _insert_rows(conn, added, fx=False, tick=tick)
    gone = sorted(set(resolved))
    if gone:
        t = schema.SNAPSHOT_GAPS
        conn.execute(delete(t).where(t.c.business_date == day, t.c.institution_id.in_(gone)))
    old = stored.snapshot
    holdings = None if old.holdings is None else (*old.holdings, *(added.holdings or ()))
    whole = DaySnapshot.of(day, (*old.balances, *added.balances), old.fx_rates, holdings)
    conn.execute(update(schema.SNAPSHOT_DAYS).where(schema.SNAPSHOT_DAYS.c.business_date == day)
                 .values(balance_rows=len(whole.balances), holding_rows=len(whole.holdings or ()),
                         input_fingerprint=whole.fingerprint))
    tick(1)
    return StoredDay(whole, stored.revision, whole.fingerprint)


@dataclass(frozen=True)
class Gap:
    """An institution whose rows of ``business_date`` were refused, and why."""

    business_date: dt.date
    institution_id: str
    code: str
    field: str | None
    message: str


def write_gaps(conn: Connection, day: dt.date, refused: Mapping[str, InstitutionError], *,
               run_id: str, now: dt.datetime) -> None:
    """Record the institutions whose rows of ``day`` were refused (none stored for the date)."""
    if refused:
        conn.execute(schema.SNAPSHOT_GAPS.insert(), [
            {"business_date": day, "institution_id": inst, "code": err.code, "field": err.field,
             "message": err.message, "run_id": run_id, "created_at": now}
            for inst, err in sorted(refused.items())])


def read_gaps(conn: Connection, start: dt.date, end: dt.date) -> list[Gap]:
    """Refused institutions of the stored dates in ``[start, end]``, by date and institution."""
    t = schema.SNAPSHOT_GAPS
    rows = conn.execute(select(t).where(t.c.business_date.between(start, end)).order_by(
        t.c.business_date, t.c.institution_id))
    return [Gap(r.business_date, r.institution_id, r.code, r.field, r.message) for r in rows]


def delete_day(conn: Connection, stored: StoredDay, *, run_id: str, now: dt.datetime) -> None:
    """Remove a date's snapshot for restatement, keeping the replaced figures in the log."""
    day = stored.snapshot.day
    conn.execute(schema.RESTATEMENTS.insert().values(
        business_date=day, revision=stored.revision, previous_fingerprint=stored.fingerprint,
        previous_rows_json=canonical_json(stored.snapshot.canonical()), run_id=run_id,
        created_at=now))
    for table in (schema.DAILY_TOTALS, schema.FX_RATES, schema.DAILY_HOLDINGS,
                  schema.SNAPSHOT_GAPS, schema.SNAPSHOT_DAYS):
        conn.execute(delete(table).where(table.c.business_date == day))


def processed_days(conn: Connection, start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """Dates in ``[start, end]`` that have a snapshot, mapped to whether it has holdings."""
    t = schema.SNAPSHOT_DAYS
    rows = conn.execute(select(t.c.business_date, t.c.has_holdings).where(
        t.c.business_date.between(start, end)))
    return {r.business_date: bool(r.has_holdings) for r in rows}


def read_balances(conn: Connection, start: dt.date, end: dt.date) -> list[BalanceRow]:
    t = schema.DAILY_TOTALS
    rows = conn.execute(select(t).where(t.c.business_date.between(start, end)).order_by(
        t.c.business_date, t.c.institution_id, t.c.category, t.c.currency))
    return [BalanceRow(r.institution_id, r.business_date, r.category, r.currency, r.amount)
            for r in rows]


def read_fx_rates(conn: Connection, start: dt.date, end: dt.date) -> list[FxRate]:
    t = schema.FX_RATES
    rows = conn.execute(select(t).where(t.c.business_date.between(start, end)).order_by(
        t.c.business_date, t.c.currency))
    return [FxRate(r.business_date, r.currency, r.domestic_per_unit) for r in rows]


def read_holdings(conn: Connection, start: dt.date, end: dt.date) -> list[HoldingRow]:
    t = schema.DAILY_HOLDINGS
    rows = conn.execute(select(t).where(t.c.business_date.between(start, end)).order_by(
        t.c.business_date, t.c.institution_id, t.c.currency))
    return [HoldingRow(r.institution_id, r.business_date, r.currency, r.amount) for r in rows]
