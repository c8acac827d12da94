"""The daily minimum: each day's holding against a share of the period's requirement.

Some regimes require, besides the average over the maintenance period, that the holding at
the close of every day be at least a share of the requirement (a ``daily_minimum`` rule,
:class:`rrr_engine.rules.model.DailyMinimum`). This module compares the end-of-day holdings,
carried over missing days as the average carries them, with ``share × required`` in each
reserve currency the rule applies to, in exact arithmetic, and lists the days below it with
the amount each fell short by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rrr_engine.core.averages import end_of_day
from rrr_engine.money import exact
from rrr_engine.rules.model import DailyMinimum

__all__ = ["DailyMinimumResult", "DayBelow", "daily_minimums", "finding"]


@dataclass(frozen=True)
class DayBelow:
    date: dt.date
    held: Decimal
    short: Decimal  # minimum − held, > 0


@dataclass(frozen=True)
class DailyMinimumResult:
    """One reserve currency's daily floor for the period and the days below it."""

    rule: str
    citation: str
    share: Decimal
    minimum: Decimal  # share × required, exact
    days_below: tuple[DayBelow, ...]


def daily_minimums(rules: list[DailyMinimum], required: Mapping[str, Decimal], domestic: str,
                   series: Mapping[dt.date, Mapping[str, Decimal]], period: Any
                   ) -> dict[str, DailyMinimumResult]:
    """Per reserve currency with a rule in force: the floor and every day held below it.

    :param rules: the daily-minimum rules in force for ``period`` (at most one per kind,
        checked when the pack loads).
    :param required: the requirement per currency, net of allowances.
    :param series: end-of-day holdings by day and currency.
    """
    out: dict[str, DailyMinimumResult] = {}
    for ccy, amount in required.items():
        kind = "domestic" if ccy == domestic else "foreign"
        rule = next((r for r in rules if r.applies_to == kind), None)
        if rule is None:
            continue
        with exact():
            minimum = rule.share * amount
            below = tuple(DayBelow(day, held, minimum - held)
                          for day, balances in end_of_day(series, period)
                          for held in [balances.get(ccy, Decimal(0))] if held < minimum)
        out[ccy] = DailyMinimumResult(rule.id, str(rule.citation), rule.share, minimum, below)
    return out


def finding(ccy: str, result: DailyMinimumResult) -> dict[str, Any]:
    """The ``below_daily_minimum`` finding: which days, no amounts (those are in the result)."""
    dates = [str(d.date) for d in result.days_below]
    share = f"{(result.share * 100).normalize():f}%"
    return {"code": "below_daily_minimum", "currency": ccy, "rule": result.rule,
            "count": len(dates), "dates": dates,
            "message": f"end-of-day holding of {ccy} below the daily minimum ({share} of the "
                       f"requirement) on {len(dates)} day(s): {', '.join(dates)}"}
