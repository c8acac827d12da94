"""What a number, a date and an identifier may look like in a file a host or a person wrote.

Python is generous where a reserve figure must not be: ``Decimal("50_050_000")`` and
``Decimal("٥٠")`` (Arabic-Indic digits) are fifty million and fifty, ``Decimal("1E+999999999")``
is accepted and overflows only later, in the arithmetic, and ``date.fromisoformat`` reads week
dates. This module owns the one accepted spelling of each: a decimal is ASCII digits with an
optional sign and at most one point, of bounded length; a date is ``YYYY-MM-DD``; an id is
short printable text. :data:`Exact` is the pydantic type of every decimal read from YAML or
JSON (ratios, thresholds, amounts, shares), so a rule pack, an institutions file and a CSV
refuse the same spellings with the same words.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["DECIMAL_EXPECTED", "Exact", "MAX_ID_LENGTH", "check_id", "check_text", "exact_decimal",
           "iso_date", "plain_decimal", "shown"]

# 30 digits before the point is 10^30: far beyond any balance in any currency, and a bound
# that keeps every figure inside the 40-digit arithmetic context of rrr_engine.money.
_PLAIN = re.compile(r"[+-]?[0-9]{1,30}(?:\.[0-9]{1,30})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_ID_LENGTH = 64
MAX_TEXT_LENGTH = 1000

DECIMAL_EXPECTED = ("a decimal number in plain notation such as 1250000.50 (ASCII digits and at "
                    "most one '.'; no exponent, '_', spaces or thousands separators)")


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for a one-line message: control characters escaped, long text cut."""
    return repr(text if len(text) <= limit else text[:limit]) + ("…" if len(text) > limit else "")


def plain_decimal(text: str) -> Decimal:
    """The Decimal ``text`` spells in plain notation; ``ValueError`` for any other spelling."""
    if not _PLAIN.fullmatch(text):
        raise ValueError(f"{shown(text)} is not {DECIMAL_EXPECTED}")
    return Decimal(text)


def exact_decimal(value: Any) -> Any:
    """Pydantic before-validator: an exact decimal from YAML/JSON, in plain notation.

    A binary float is refused (it is not the number written), text must be plain notation,
    and a Decimal or int must be finite and within the digits plain notation allows.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value} is a true/false value, not a number")
    if isinstance(value, float):
        raise ValueError(f"{value!r} is not an exact decimal; quote it (\"0.03\")")
    if isinstance(value, str):
        return plain_decimal(value.strip())
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        if not number.is_finite() or not _PLAIN.fullmatch(format(number, "f")):
            raise ValueError(f"{value} is not {DECIMAL_EXPECTED}")
        return number
    return value


Exact = Annotated[Decimal, BeforeValidator(exact_decimal)]


def iso_date(text: str) -> dt.date:
    """A calendar date written ``YYYY-MM-DD`` in ASCII digits; ``ValueError`` otherwise."""
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def _bad_character(text: str, categories: tuple[str, ...]) -> str | None:
    for char in text:
        if unicodedata.category(char) in categories:
            name = unicodedata.name(char, "")
            return f"U+{ord(char):04X}" + (f" ({name})" if name else "")
    return None


def check_id(text: str, what: str = "an id") -> str:
    """``text`` as an identifier: 1 to 64 characters, no control or invisible characters,
    no spaces at either end; ``ValueError`` naming what is wrong."""
    if not text:
        raise ValueError(f"is empty; expected {what}")
    if len(text) > MAX_ID_LENGTH:
        raise ValueError(f"{shown(text)} is {len(text)} characters long; {what} has at most "
                         f"{MAX_ID_LENGTH}")
    bad = _bad_character(text, ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    if bad:
        raise ValueError(f"{shown(text)} contains the control or invisible character {bad}; "
                         f"{what} is printable text")
    if text != text.strip():
        raise ValueError(f"{shown(text)} begins or ends with a space; {what} has none")
    return text


def check_text(text: str, what: str) -> str:
    """``text`` as a one-line label (a name): at most 1000 characters, no control characters."""
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"is {len(text)} characters long; {what} has at most {MAX_TEXT_LENGTH}")
    bad = _bad_character(text, ("Cc", "Cs", "Zl", "Zp"))
    if bad:
        raise ValueError(f"{shown(text)} contains the control character {bad}; {what} is one "
                         "line of printable text")
    return text
