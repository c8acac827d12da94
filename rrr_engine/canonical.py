"""Canonical JSON and SHA-256 fingerprints of inputs and results.

One byte sequence per value: keys sorted, no insignificant whitespace, ``Decimal`` as plain
decimal text (never through float), dates in ISO form, records (dataclasses, pydantic
models) as their fields. Two runs over the same inputs therefore get the same fingerprint,
and a stored result can be compared with a new evaluation by digest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from rrr_engine.money import dec_str
from rrr_engine.periods import Month

__all__ = ["canonical_json", "fingerprint", "value_text"]


def value_text(amount: Decimal) -> str:
    """Exact text of a decimal's value: ``1.50`` and ``1.5`` both give ``1.5``, ``1E+3`` gives
    ``1000``. Done on the text, so no context precision can round anything."""
    text = dec_str(amount)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return dec_str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Month):
        return str(value)
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="python", by_alias=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, float):
        raise TypeError(f"binary float {value!r} in canonical data; use Decimal")
    return value


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON text (sorted keys, compact, exact decimals)."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(value: Any) -> str:
    """SHA-256 hex digest of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
