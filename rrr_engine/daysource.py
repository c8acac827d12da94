"""Reading one business date from the source hooks, and refusing what the engine cannot use.

The nightly job asks the balance, FX and holdings hooks for exactly one date
(``start == end``) and checks every row before anything is stored: the right record type and
date, exact ``Decimal`` amounts (a float from a plugin is refused, not rounded), known
institutions and categories, a currency that fits the category, and no duplicate keys. A
plugin breaking the hook contract is a :class:`PluginError`; a bad figure is an
:class:`InputError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .errors import InputError, PluginError
from .models import BalanceRow, FxRate, HoldingRow
from .plugins import Hooks
from .rulesets import RulePack
from .snapshots import DaySnapshot

__all__ = ["fetch_day"]


def _check_record(hook: str, row: Any, kind: type, day: dt.date) -> None:
    if not isinstance(row, kind):
        raise PluginError(f"{hook} returned a {type(row).__name__}; expected {kind.__name__}")
    if row.date != day:
        raise PluginError(f"{hook} was asked for {day} and returned a row dated {row.date}")


def _check_amount(hook: str, value: Any, what: str, where: str, *, positive: bool = False) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PluginError(f"{hook} returned {what} {value!r} ({type(value).__name__}) for {where};"
                          " amounts must be finite Decimal values, never float")
    if value < 0 or (positive and value == 0):
        bound = "positive" if positive else "zero or more"
        raise InputError(f"{where}: {what} {value} must be {bound}", field=what)


def _unique(hook: str, keys: Iterable[tuple], day: dt.date) -> None:
    seen: set[tuple] = set()
    for key in keys:
        if key in seen:
            raise PluginError(f"{hook} returned two rows for {', '.join(map(str, key))} on {day}")
        seen.add(key)


def fetch_day(hooks: Hooks, pack: RulePack, options: Mapping[str, Any], institutions: set[str],
              day: dt.date) -> DaySnapshot:
    """The validated snapshot of ``day`` from the plugins named by ``options``."""
    header = pack.header
    balances = hooks.daily_balances(options, day, day)
    for r in balances:
        _check_record("rrr_daily_balances", r, BalanceRow, day)
        where = f"institution {r.institution_id}, {day}, {r.category} {r.currency}"
        if r.institution_id not in institutions:
            raise InputError(f"{where}: institution {r.institution_id!r} is not in the "
                             "institutions list", field="institution_id")
        if r.category not in header.categories:
            raise InputError(f"{where}: unknown category {r.category!r}; expected one of "
                             f"{', '.join(header.categories)}", field="category")
        domestic = header.categories[r.category].kind == "domestic"
        if domestic != (r.currency == header.domestic_currency):
            raise InputError(f"{where}: category {r.category} cannot hold {r.currency} deposits",
                             field="currency")
        _check_amount("rrr_daily_balances", r.amount, "amount", where)
    _unique("rrr_daily_balances", ((r.institution_id, r.category, r.currency) for r in balances), day)

    rates = hooks.fx_rates(options, day, day)
    for f in rates:
        _check_record("rrr_fx_rates", f, FxRate, day)
        _check_amount("rrr_fx_rates", f.vnd_per_unit, "vnd_per_unit", f"{f.currency} on {day}",
                      positive=True)
    _unique("rrr_fx_rates", ((f.currency,) for f in rates), day)

    holdings = hooks.holdings(options, day, day)
    for h in holdings or ():
        _check_record("rrr_holdings", h, HoldingRow, day)
        where = f"institution {h.institution_id}, {day}, central-bank {h.currency}"
        if h.institution_id not in institutions:
            raise InputError(f"{where}: institution {h.institution_id!r} is not in the "
                             "institutions list", field="institution_id")
        _check_amount("rrr_holdings", h.amount, "amount", where)
    _unique("rrr_holdings", ((h.institution_id, h.currency) for h in holdings or ()), day)
    return DaySnapshot.of(day, balances, rates, holdings)
