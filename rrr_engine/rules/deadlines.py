"""Reports and notices a pack declares, as data: what is due, and by which working day.

The engine turns them into findings on each result (:mod:`rrr_engine.core.findings`); nothing in
the engine names a form or an authority, so a pack without them produces no deadline findings.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["EventNotice", "ReportDeadline"]


def _template(text: str, *names: str) -> str:
    """A message template may use only the named ``{placeholders}``."""
    try:
        text.format(**{n: "" for n in names})
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"text {text!r}: bad placeholder {exc}; allowed: "
                         f"{', '.join('{' + n + '}' for n in names)}") from None
    return text


class ReportDeadline(BaseModel):
    """A report due on the ``working_day``-th working day counting the maintenance start.

    The finding's message is ``text`` (``{computation}`` and ``{maintenance}`` name the
    periods) followed by "due by <day>". An all-zero class is excused when the pack's
    ``zero_ratio_classes_do_not_report`` says so.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    form: str | None = None  # the form (``pack.forms``) this deadline is for
    working_day: int = Field(ge=1)
    text: str = Field(min_length=1)
    basis: str | None = None

    _t = field_validator("text")(lambda cls, v: _template(v, "computation", "maintenance"))


class EventNotice(BaseModel):
    """A notice due ``working_days_after`` working days after an event in the maintenance period."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    event: str = Field(min_length=1)
    working_days_after: int = Field(ge=1)
    text: str = Field(min_length=1)
    basis: str | None = None

    _t = field_validator("text")(lambda cls, v: _template(v, "date"))
