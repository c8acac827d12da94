"""Per-institution outcomes of a batch: every institution's result, or an error entry naming it.

One institution's bad input (an unknown class, a proposed ratio below its floor, a missing FX
rate, no holdings, a category no rule covers that has a balance, a bad row from a plugin)
must never stop the others. :class:`Batch` holds, in the order the institutions were given,
an :class:`~rrr_engine.core.result.InstitutionResult` for each institution that could be computed
and an :class:`InstitutionError` for each that could not; the error entry names the
institution, the field to fix and what is expected, and is part of the JSON contract of
``rrr evaluate``::

    {"institution_id": "BANK7", "institution_name": "...", "maintenance_period": "2025-10",
     "status": "error",
     "error": {"code": "ratio_below_floor", "field": "proposed_ratios.short_term",
               "message": "institution BANK7 (class bank), category short_term, ..."}}

``code`` is the error's class in snake case (``input_error``, ``missing_data_error``,
``ratio_below_floor``, ``no_rule_applies``, ``ambiguous_rules``, ``plugin_error``, ...).
The nightly job adds ``stage`` and, when a date's rows were refused, ``business_date``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rrr_engine.core.result import InstitutionResult
from rrr_engine.errors import RrrError
from rrr_engine.money import RoundingPolicy

__all__ = ["Batch", "InstitutionError", "error_code", "name_institution"]


def error_code(exc: RrrError) -> str:
    """``RatioBelowFloor`` -> ``ratio_below_floor``: the error entry's stable code."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def name_institution(institution_id: str, message: str) -> str:
    """``message`` naming the institution, unless it already does (an id with a control
    character is shown quoted and escaped, so the message stays one printable line)."""
    shown = institution_id if institution_id.isprintable() else repr(institution_id)
    return message if shown in message else f"institution {shown}: {message}"


def _field(exc: RrrError) -> str | None:
    found = exc.context.get("field")
    return None if found in (None, "") else str(found)


@dataclass(frozen=True)
class InstitutionError:
    """Why one institution has no result: what a compliance officer must fix, and where."""

    institution_id: str
    code: str
    message: str  # one line, naming the institution
    field: str | None = None
    institution_name: str = ""
    period: str | None = None
    stage: str | None = None
    business_date: dt.date | None = None
    error: RrrError | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, institution_id: str, exc: RrrError, *, institution_name: str = "",
           period: Any = None, stage: str | None = None,
           business_date: dt.date | None = None) -> InstitutionError:
        return cls(institution_id, error_code(exc), name_institution(institution_id, str(exc)),
                   _field(exc), institution_name, None if period is None else str(period),
                   stage, business_date, exc)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"institution_id": self.institution_id,
                               "institution_name": self.institution_name,
                               "maintenance_period": self.period}
        if self.stage is not None:
            out["stage"] = self.stage
        if self.business_date is not None:
            out["business_date"] = self.business_date.isoformat()
        out["status"] = "error"
        out["error"] = {"code": self.code, "field": self.field, "message": self.message}
        return out

    def line(self) -> str:
        """One line for stderr: where (period, stage, date) and the message."""
        where = " ".join(str(p) for p in (self.period, self.stage) if p)
        if self.business_date is not None:
            rows = f"rows of {self.business_date}"
            where = f"{where}, {rows}" if where else rows
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Batch:
    """Results and error entries of one batch, in the order the institutions were given."""

    outcomes: list[InstitutionResult | InstitutionError] = dataclasses.field(default_factory=list)

    @property
    def results(self) -> list[InstitutionResult]:
        return [o for o in self.outcomes if isinstance(o, InstitutionResult)]

    @property
    def errors(self) -> list[InstitutionError]:
        return [o for o in self.outcomes if isinstance(o, InstitutionError)]

    def __iter__(self) -> Iterator[InstitutionResult | InstitutionError]:
        return iter(self.outcomes)

    def strict(self) -> list[InstitutionResult]:
        """Every result, or the first institution's error raised (all or nothing)."""
        for err in self.errors:
            assert err.error is not None
            err.error.message = err.message  # the raised error names its institution too
            raise err.error
        return self.results

    def to_json(self, rounding: RoundingPolicy) -> list[dict[str, Any]]:
        """The JSON contract: result objects and error entries, in institution order."""
        return [o.to_dict() if isinstance(o, InstitutionError) else o.to_dict(rounding)
                for o in self.outcomes]
