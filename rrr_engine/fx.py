"""Foreign-currency reserve base: conversion through the domestic currency, and the election.

Circular 30: every reservable FX deposit is converted to the foreign reserve currency (USD)
through VND at the institution's balance-sheet rates; an institution may instead hold its FX
reserve in EUR, JPY, GBP or CHF when that currency exceeds half of its reservable FX deposits.
Which day's rate is used is the pack setting ``fx_rate_day``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from .errors import InputError, MissingDataError
from .models import FxRate
from .money import exact
from .periods import Month

__all__ = ["check_election", "convert", "rates_for"]


def rates_for(rates: Iterable[FxRate], month: Month, currencies: Iterable[str], *,
              domestic: str, rule: str) -> dict[str, Decimal]:
    """Domestic-currency rate per currency, taken as the pack's ``fx_rate_day`` says."""
    if rule != "last_of_computation_month":
        raise InputError(f"setting fx_rate_day is {rule!r}; expected last_of_computation_month",
                         field="settings.fx_rate_day")
    latest: dict[str, FxRate] = {}
    for rate in rates:
        if month.first <= rate.date <= month.last:
            held = latest.get(rate.currency)
            if held is None or rate.date > held.date:
                latest[rate.currency] = rate
    out: dict[str, Decimal] = {domestic: Decimal(1)}
    for currency in sorted(set(currencies)):
        if currency == domestic:
            continue
        if currency not in latest:
            raise MissingDataError(f"no balance-sheet rate for {currency} dated in {month} "
                                   f"(needed to convert FX deposits)", field="fx_rates",
                                   currency=currency, period=str(month))
        out[currency] = latest[currency].vnd_per_unit
    return out


def convert(amount: Decimal, currency: str, target: str, rates: Mapping[str, Decimal]) -> Decimal:
    """``amount`` of ``currency`` in ``target``, through the domestic currency; exact."""
    if currency == target:
        return amount
    with exact():
        return amount * rates[currency] / rates[target]


def check_election(by_currency_domestic: Mapping[str, Decimal], elected: str,
                   threshold: Decimal, *, institution: str, month: Month) -> Decimal:
    """Share of ``elected`` in FX deposits (domestic-currency terms); refuse if not above it."""
    total = sum(by_currency_domestic.values(), Decimal(0))
    with exact():
        share = by_currency_domestic.get(elected, Decimal(0)) / total if total else Decimal(0)
    if share <= threshold:
        raise InputError(
            f"elected reserve currency {elected} is {share:.4%} of reservable FX deposits in "
            f"{month}; Circular 30 allows the election only above {threshold:.0%}",
            field="reserve_currency", institution=institution, period=str(month))
    return share
