"""Reading one business date from the source hooks, and refusing what the engine cannot use.

The nightly job asks the balance, FX and holdings hooks for exactly one date
(``start == end``) and checks every row before anything is stored: the right record type and
date (the hook contract), then the row contract every source shares (:mod:`rrr_engine.rows`:
printable ids, known categories, currency codes, exact ``Decimal`` amounts, a float refused
rather than rounded, no duplicate keys), known institutions and a currency that fits the
category. A bad balance or holding row is its institution's problem: that institution's
rows of the date are refused with an error entry naming it, and every other institution's rows
are kept. A plugin breaking the hook contract as a whole (a row that is not a record, a row
of another date) and a bad FX rate (shared by every institution) stop the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rrr_engine import rows
from rrr_engine.core.batch import InstitutionError
from rrr_engine.errors import InputError, PluginError, RrrError
from rrr_engine.hooks.manager import Hooks
from rrr_engine.models import BalanceRow, FxRate, HoldingRow
from rrr_engine.rules.pack import RulePack
from rrr_engine.store.snapshots import DaySnapshot

__all__ = ["FetchedDay", "fetch_day"]


@dataclass(frozen=True)
class FetchedDay:
    """One date from the source: the rows to store, and the institutions refused."""

    snapshot: DaySnapshot  # the rows of every institution none of whose rows was refused
    refused: dict[str, InstitutionError] = field(default_factory=dict)
    balance_rows: int = 0  # balance rows the source gave, refused ones included
    empty_reason: str | None = None  # the source says the date has no balances on purpose


def _check_record(hook: str, row: Any, kind: type[BalanceRow | FxRate | HoldingRow],
                  day: dt.date) -> None:
    if not isinstance(row, kind):
        raise PluginError(f"{hook} returned a {type(row).__name__}; expected {kind.__name__}")
    if row.date != day:
        raise PluginError(f"{hook} was asked for {day} and returned a row dated {row.date}")
    if hasattr(row, "institution_id") and not isinstance(row.institution_id, str):
        raise PluginError(f"{hook} returned an institution id {row.institution_id!r} "
                          f"({type(row.institution_id).__name__}); expected text")


def _shown(inst: str) -> str:
    return inst if inst.isprintable() else repr(inst)


def _at(where: str) -> rows.At:
    """Where a row contract problem is: the hook's row, by institution, date and key."""
    return lambda field, problem: InputError(f"{where}: {problem}", field=field or None)


def _known(inst: str, institutions: set[str], at: rows.At) -> None:
    if inst not in institutions:
        raise at("institution_id", f"institution {inst!r} is not in the institutions list")


def fetch_day(hooks: Hooks, pack: RulePack, options: Mapping[str, Any], institutions: set[str],
              day: dt.date) -> FetchedDay:
    """The validated snapshot of ``day`` from the plugins named by ``options``."""
    header = pack.header
    refused: dict[str, InstitutionError] = {}

    def refuse(inst: str, exc: RrrError) -> None:
        if inst not in refused:  # one entry per institution and date: the first problem
            refused[inst] = InstitutionError.of(inst, exc, business_date=day)

    balances, empty_reason = hooks.day_balances(options, day, day)
    seen = rows.Duplicates("institution, date, category and currency", "institution_id")
    for n, r in enumerate(balances, 1):
        _check_record("rrr_daily_balances", r, BalanceRow, day)
        at = _at(f"institution {_shown(r.institution_id)}, {day}, {r.category} {r.currency}")
        try:
            rows.institution_id(r.institution_id, at)
            _known(r.institution_id, institutions, at)
            rows.currency(r.currency, at)
            rows.category(r.category, header.categories, at)
            domestic = header.categories[r.category].kind == "domestic"
            if domestic != (r.currency == header.domestic_currency):
                raise at("currency", f"category {r.category} cannot hold {r.currency} deposits")
            rows.balance(r.amount, at)
            seen.check((r.institution_id, r.category, r.currency), f"row {n} of "
                       "rrr_daily_balances", at)
        except InputError as exc:
            refuse(r.institution_id, exc)

    rates = hooks.fx_rates(options, day, day)
    seen = rows.Duplicates("date and currency")
    for n, f in enumerate(rates, 1):
        _check_record("rrr_fx_rates", f, FxRate, day)
        at = _at(f"rrr_fx_rates, {f.currency!r} on {day}")
        # a rate is every institution's: a bad one stops the date
        rows.currency(f.currency, at)
        rows.rate(f.domestic_per_unit, at, "domestic_per_unit")
        seen.check(f.currency, f"row {n} of rrr_fx_rates", at)

    holdings = hooks.holdings(options, day, day)
    seen = rows.Duplicates("institution, date and currency", "institution_id")
    for n, h in enumerate(holdings or (), 1):
        _check_record("rrr_holdings", h, HoldingRow, day)
        at = _at(f"institution {_shown(h.institution_id)}, {day}, central-bank {h.currency}")
        try:
            rows.institution_id(h.institution_id, at)
            _known(h.institution_id, institutions, at)
            rows.currency(h.currency, at)
            rows.balance(h.amount, at)
            seen.check((h.institution_id, h.currency), f"row {n} of rrr_holdings", at)
        except InputError as exc:
            refuse(h.institution_id, exc)
    snap = DaySnapshot.of(day, [r for r in balances if r.institution_id not in refused], rates,
                          None if holdings is None else
                          [h for h in holdings if h.institution_id not in refused])
    return FetchedDay(snap, refused, len(balances), empty_reason)
