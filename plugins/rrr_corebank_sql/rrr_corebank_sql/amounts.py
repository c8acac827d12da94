"""Exact amounts out of a database driver: what a SUM or a rate column may come back as.

It owns the one rule that no binary float enters a money path. Drivers return ``int`` for
integer columns and SQLite sums, ``Decimal`` for PostgreSQL NUMERIC (and for SUM of BIGINT),
``str`` for TEXT; all three convert exactly. A ``float`` means the store already lost
exactness (SQLite keeps a NUMERIC with a fraction as an 8-byte binary double), so it is
refused rather than rounded into something that looks right.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rrr_engine.errors import InputError

__all__ = ["exact"]


def exact(value: object, scale: int | None, *, field: str) -> Decimal:
    """``value`` as a Decimal; ``scale`` N means the stored integer counts 10^-N units."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        kind = "no value (NULL)" if value is None else f"a {type(value).__name__} ({value!r})"
        hint = (" SQLite stores a fractional NUMERIC as a binary double, which no sum can make "
                "exact: store integer minor units and set scale in the mapping" if
                isinstance(value, float) else "")
        raise InputError(f"the database returned {kind} where an exact amount was "
                         f"expected.{hint}", field=field)
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError) as err:
        raise InputError(f"{value!r} is not a number", field=field) from err
    if not number.is_finite():
        raise InputError(f"{value!r} is not a finite amount", field=field)
    if scale is None:
        return number
    if number != number.to_integral_value():
        raise InputError(f"{value!r} has a fraction, but the mapping says the column holds "
                         f"integer units of 10^-{scale}", field=field)
    # Built from text so no context precision or rounding is involved.
    return Decimal(f"{int(number)}E-{scale}") if scale else Decimal(int(number))
