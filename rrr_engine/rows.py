"""The row contract: what a balance, FX rate or holding row must be, whoever supplies it.

The file adapter (:mod:`rrr_engine.defaults.inputs`), the rows source plugins return
(:mod:`rrr_engine.jobs.daysource`) and the SQL adapter (``rrr_corebank_sql``) check rows here,
so a problem reads the same whichever source has it: the place first (``file:line: field:``,
or ``field: institution X, date, category currency:`` for a hook's row), then what is wrong
and what is expected. A check is given ``at``, which turns (field, problem) into the
:class:`~rrr_engine.errors.InputError` that names the place; the checks never guess it.
How a file spells a value (text to ``Decimal`` or date) is the file adapter's business; this
module checks values, typed as a host record holds them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from typing import Any

from rrr_engine.errors import InputError
from rrr_engine.notation import check_id, shown

__all__ = ["At", "Duplicates", "amount", "balance", "category", "currency", "institution_id",
           "rate"]

At = Callable[[str, str], InputError]  # (field, problem) -> the error naming the place

_CCY = re.compile("[A-Z]{3}")


def institution_id(value: Any, at: At) -> str:
    """Printable text of at most :data:`~rrr_engine.models.ID_LENGTH` characters."""
    if not isinstance(value, str):
        raise at("institution_id", f"{value!r} ({type(value).__name__}) is not text; expected "
                 "an institution id")
    try:
        return sys.intern(check_id(value, "an institution id"))  # interned: repeated per row
    except ValueError as exc:
        raise at("institution_id", str(exc)) from None


def category(value: Any, categories: Iterable[str], at: At) -> str:
    """A reserve category the pack declares."""
    known = tuple(categories)
    if value not in known:
        raise at("category", f"unknown category {value!r}; expected one of {', '.join(known)}")
    return sys.intern(value)


def currency(value: Any, at: At, field: str = "currency") -> str:
    """A currency code: three capital letters (ISO 4217)."""
    if not isinstance(value, str) or not _CCY.fullmatch(value):
        text = shown(value) if isinstance(value, str) else repr(value)
        raise at(field, f"{text} is not an ISO currency code (three capital letters, such as USD)")
    return sys.intern(value)


def amount(value: Any, at: At, field: str = "amount") -> Decimal:
    """An exact, finite ``Decimal`` (a float has already lost exactness: refused, not rounded)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise at(field, f"{value!r} ({type(value).__name__}) is not an exact amount; amounts "
                 "must be finite Decimal values, never float")
    return value


def balance(value: Any, at: At, field: str = "amount") -> Decimal:
    """A deposit balance or a central-bank holding: an exact amount, zero or more."""
    value = amount(value, at, field)
    if value < 0:
        raise at(field, f"negative balance {value}; expected zero or more")
    return value


def rate(value: Any, at: At, field: str) -> Decimal:
    """An FX rate: an exact amount of the domestic currency per unit, above zero."""
    value = amount(value, at, field)
    if value <= 0:
        raise at(field, f"rate {value} must be positive")
    return value


class Duplicates:
    """Rows are unique per key (institution, date, category, currency for a balance; date and
    currency for a rate; institution, date, currency for a holding); the second is refused
    naming where the first was."""

    def __init__(self, fields: str, field: str = "") -> None:
        self.fields = fields  # "institution, date, category and currency"
        self.field = field  # the field a refusal names: institution_id for one institution's row
        self.first: dict[Hashable, str] = {}

    def check(self, key: Hashable, place: str, at: At) -> None:
        """Refuse ``key`` if seen before; ``place`` is where this row is (``line 3``)."""
        if key in self.first:
            raise at(self.field, f"duplicate row (same {self.fields} as {self.first[key]})")
        self.first[key] = place
