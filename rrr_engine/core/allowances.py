"""Allowances: fixed amounts deducted from an institution's total requirement, never below zero.

The kernel says which allowance rules fire for the institution (their ``when:`` sees the
class, statuses and attributes, like any rule); this module deducts each, in pack order, from
the requirement in its currency, floored at zero, and records what was deducted. The lines
keep their gross figures; ``required`` becomes the net requirement the holdings must meet.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rrr_engine.core.result import AllowanceLine
from rrr_engine.money import exact
from rrr_engine.rules.pack import RulePack

__all__ = ["apply_allowances"]


def apply_allowances(pack: RulePack, fired: Iterable[str],
                     required: dict[str, Decimal]) -> list[AllowanceLine]:
    """Deduct the allowances named in ``fired`` from ``required`` (changed in place)."""
    names = set(fired)
    out: list[AllowanceLine] = []
    for rule in pack.allowances:  # pack order: the order the law lists them
        if rule.id not in names:
            continue
        available = required.get(rule.currency, Decimal(0))
        deducted = min(rule.amount, max(available, Decimal(0)))
        if rule.currency in required:
            with exact():
                required[rule.currency] = available - deducted
        out.append(AllowanceLine(rule.id, rule.currency, rule.amount, deducted,
                                 str(rule.citation), rule.title))
    return out
