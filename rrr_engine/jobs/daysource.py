"""Reading one business date from the source hooks, and refusing what the engine cannot use.

The nightly job asks the balance, FX and holdings hooks for exactly one date
(``start == end``) and checks every row before anything is stored: the right record type and
date, exact ``Decimal`` amounts (a float from a plugin is refused, not rounded), known
institutions and categories, a currency that fits the category, printable ids, and no
duplicate keys. A bad balance or holding row is its institution's problem: that institution's
rows of the date are refused with an error entry naming it, and every other institution's rows
are kept. A plugin breaking the hook contract as a whole (a row that is not a record, a row
of another date) and a bad FX rate (shared by every institution) stop the date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rrr_engine.core.batch import InstitutionError
from rrr_engine.errors import InputError, PluginError, RrrError
from rrr_engine.hooks.manager import Hooks
from rrr_engine.models import ID_LENGTH, BalanceRow, FxRate, HoldingRow
from rrr_engine.rules.pack import RulePack
from rrr_engine.store.snapshots import DaySnapshot

__all__ = ["FetchedDay", "fetch_day"]

_CURRENCY = re.compile(r"[A-Z]{3}")


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


def _check_amount(hook: str, value: Any, what: str, where: str, *, positive: bool = False) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PluginError(f"{hook} returned {what} {value!r} ({type(value).__name__}) for {where};"
                          " amounts must be finite Decimal values, never float", field=what)
    if value < 0 or (positive and value == 0):
        bound = "positive" if positive else "zero or more"
        raise InputError(f"{where}: {what} {value} must be {bound}", field=what)


def _shown(inst: str) -> str:
    return inst if inst.isprintable() else repr(inst)


def _check_ids(where: str, inst: str, currency: Any, institutions: set[str]) -> None:
    if not inst.isprintable() or len(inst) > ID_LENGTH:
        raise InputError(f"{where}: institution id {inst!r} is not printable text of at "
                         f"most {ID_LENGTH} characters", field="institution_id")
    if inst not in institutions:
        raise InputError(f"{where}: institution {inst!r} is not in the institutions list",
                         field="institution_id")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise InputError(f"{where}: currency {currency!r} is not an ISO code such as VND or USD",
                         field="currency")


def _unique(hook: str, keys: Iterable[tuple], day: dt.date, refuse: Any) -> None:
    seen: set[tuple] = set()
    for key in keys:
        if key in seen:
            refuse(key[0], PluginError(f"{hook} returned two rows for {', '.join(map(str, key))} "
                                       f"on {day}", field="institution_id"))
        seen.add(key)


def fetch_day(hooks: Hooks, pack: RulePack, options: Mapping[str, Any], institutions: set[str],
              day: dt.date) -> FetchedDay:
    """The validated snapshot of ``day`` from the plugins named by ``options``."""
    header = pack.header
    refused: dict[str, InstitutionError] = {}

    def refuse(inst: str, exc: RrrError) -> None:
        if inst not in refused:  # one entry per institution and date: the first problem
            refused[inst] = InstitutionError.of(inst, exc, business_date=day)

    balances, empty_reason = hooks.day_balances(options, day, day)
    for r in balances:
        _check_record("rrr_daily_balances", r, BalanceRow, day)
        where = f"institution {_shown(r.institution_id)}, {day}, {r.category} {r.currency}"
        try:
            _check_ids(where, r.institution_id, r.currency, institutions)
            if r.category not in header.categories:
                raise InputError(f"{where}: unknown category {r.category!r}; expected one of "
                                 f"{', '.join(header.categories)}", field="category")
            domestic = header.categories[r.category].kind == "domestic"
            if domestic != (r.currency == header.domestic_currency):
                raise InputError(f"{where}: category {r.category} cannot hold {r.currency} "
                                 "deposits", field="currency")
            _check_amount("rrr_daily_balances", r.amount, "amount", where)
        except (InputError, PluginError) as exc:
            refuse(r.institution_id, exc)
    _unique("rrr_daily_balances", ((r.institution_id, r.category, r.currency) for r in balances),
            day, refuse)

    rates = hooks.fx_rates(options, day, day)
    for f in rates:
        _check_record("rrr_fx_rates", f, FxRate, day)
        _check_amount("rrr_fx_rates", f.vnd_per_unit, "vnd_per_unit", f"{f.currency} on {day}",
                      positive=True)
    seen: set[str] = set()
    for f in rates:
        if f.currency in seen:
            raise PluginError(f"rrr_fx_rates returned two rows for {f.currency} on {day}")
        seen.add(f.currency)

    holdings = hooks.holdings(options, day, day)
    for h in holdings or ():
        _check_record("rrr_holdings", h, HoldingRow, day)
        where = f"institution {_shown(h.institution_id)}, {day}, central-bank {h.currency}"
        try:
            _check_ids(where, h.institution_id, h.currency, institutions)
            _check_amount("rrr_holdings", h.amount, "amount", where)
        except (InputError, PluginError) as exc:
            refuse(h.institution_id, exc)
    _unique("rrr_holdings", ((h.institution_id, h.currency) for h in holdings or ()), day, refuse)
    snap = DaySnapshot.of(day, [r for r in balances if r.institution_id not in refused], rates,
                          None if holdings is None else
                          [h for h in holdings if h.institution_id not in refused])
    return FetchedDay(snap, refused, len(balances), empty_reason)
