"""Foreign-currency reserve base: conversion through the domestic currency, and the election.

Every reservable FX deposit is converted to the pack's foreign reserve currency through the
domestic currency at the institution's balance-sheet rates; an institution may instead hold its
FX reserve in one of the pack's elective reserve currencies when that currency exceeds the
pack's election threshold of its reservable FX deposits (Circular 30/2019/TT-NHNN, for one).
Which day's rate is used is the pack setting ``fx_rate_day``. An election whose currency is not
above the threshold does not hold: the reserve is then computed in the foreign reserve currency
(:class:`Election` says so; the evaluation records it as a finding), it is not an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rrr_engine.errors import InputError, MissingDataError
from rrr_engine.models import FxRate
from rrr_engine.money import exact
from rrr_engine.periods import DatedPeriod, Month

__all__ = ["Election", "check_election", "convert", "rates_for"]


def rates_for(rates: Iterable[FxRate], month: Month | DatedPeriod, currencies: Iterable[str], *,
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
        out[currency] = latest[currency].domestic_per_unit
    return out


def convert(amount: Decimal, currency: str, target: str, rates: Mapping[str, Decimal]) -> Decimal:
    """``amount`` of ``currency`` in ``target``, through the domestic currency; exact."""
    if currency == target:
        return amount
    with exact():
        return amount * rates[currency] / rates[target]


@dataclass(frozen=True)
class Election:
    """An elected reserve currency's share of reservable FX deposits (domestic-currency terms)."""

    currency: str
    share: Decimal
    threshold: Decimal
    basis: str | None = None  # the law that sets the test (``pack.election_basis``)

    @property
    def holds(self) -> bool:
        """The election is allowed only when the share is above the threshold."""
        return self.share > self.threshold

    def finding(self, month: object, fallback: str) -> dict[str, str]:
        """The finding recorded when the election does not hold and ``fallback`` is used."""
        return {"code": "fx_election_not_met", "currency": self.currency,
                "share": f"{self.share:.6f}", "threshold": str(self.threshold),
                "reserve_currency": fallback, "message": (
                    f"elected reserve currency {self.currency} is {self.share:.4%} of reservable "
                    f"FX deposits in {month}, not above {self.threshold:.0%} (the test of "
                    f"{self.basis or 'the pack'} for holding the FX reserve in it): the FX "
                    f"reserve is computed in {fallback}")}


def check_election(by_currency_domestic: Mapping[str, Decimal], elected: str,
                   threshold: Decimal, basis: str | None = None) -> Election:
    """Share of ``elected`` in FX deposits given in domestic-currency terms, and the test."""
    total = sum(by_currency_domestic.values(), Decimal(0))
    with exact():
        share = by_currency_domestic.get(elected, Decimal(0)) / total if total else Decimal(0)
    return Election(elected, share, threshold, basis)
