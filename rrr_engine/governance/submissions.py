"""Submitted periods and restatement reports.

``rrr periods submit`` marks the latest result version of every institution for a period and
stage as submitted to the central bank (a row of ``rrr_submissions`` and an audit entry, in
one transaction). Results are never updated in place; what submission adds is that a later
version of a submitted institution-period-stage is recorded as a restatement
(:func:`rrr_engine.store.results.put_result`) and reported here: every figure that moved
between the submitted version and the restating one, as the central bank was told it
(rounded by the pack's policy) and as it now stands, with both pack versions and the rules
behind each line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from rrr_engine.errors import InputError, SubmissionRefused
from rrr_engine.money import dec_str, exact
from rrr_engine.provenance import Provenance
from rrr_engine.sheet_safety import inert
from rrr_engine.store import audit, schema
from rrr_engine.store.results import STAGES, StoredResult, latest_for_period, stored_version

__all__ = ["RestatementRow", "Submitted", "restatement_csv", "restatement_rows",
           "restatements", "submission_entry", "submissions", "submit"]

_FIGURES = ("required", "held", "excess", "shortfall", "interest")


@dataclass(frozen=True)
class Submitted:
    institution_id: str
    maintenance_period: str
    stage: str
    result_version: int
    submitted_by: str
    reference: str
    submitted_at: str


def submission_entry(row: Any) -> dict[str, Any]:
    """The audit entry's data for a submission (re-derived by ``audit verify``)."""
    m = row if isinstance(row, dict) else row._mapping
    return {**{c: m[c] for c in schema.RESULT_KEY}, "submitted_by": m["submitted_by"],
            "reference": m["reference"], "at": audit.stamp(m["submitted_at"])}


def submit(conn: Connection, period: str, *, by: str, reference: str,
           stages: Sequence[str] = STAGES) -> tuple[list[Submitted], list[Submitted]]:
    """Submit the latest version of each institution's result: (submitted now, already)."""
    if not by.strip():
        raise InputError("must name a person", field="--by")
    now = dt.datetime.now(dt.UTC)
    earlier = {(s.institution_id, s.stage, s.result_version): s for s in submissions(conn, period)}
    latest = [r for stage in stages for r in latest_for_period(conn, period, stage)]
    if not latest:
        raise SubmissionRefused(f"no stored {' or '.join(stages)} results for period {period}: "
                                "nothing to submit", period=period)
    done: list[Submitted] = []
    already: list[Submitted] = []
    for r in latest:
        seen = earlier.get((r.institution_id, r.stage, r.result_version))
        if seen is not None:
            already.append(seen)
            continue
        row: dict[str, Any] = {"institution_id": r.institution_id, "maintenance_period": period,
               "stage": r.stage, "result_version": r.result_version, "submitted_by": by.strip(),
               "reference": reference.strip(), "submitted_at": now}
        conn.execute(schema.SUBMISSIONS.insert().values(**row))
        audit.append(conn, "submission", submission_entry(row))
        done.append(Submitted(**{**row, "submitted_at": audit.stamp(now)}))
    if not done:
        raise SubmissionRefused(f"{' and '.join(stages)} of {period} already submitted: the "
                                f"latest versions were submitted by {already[0].submitted_by} "
                                f"on {already[0].submitted_at}", period=period)
    return done, already


def submissions(conn: Connection, period: str | None = None) -> list[Submitted]:
    t = schema.SUBMISSIONS
    query = select(t).order_by(t.c.maintenance_period, t.c.stage, t.c.institution_id,
                               t.c.result_version)
    if period is not None:
        query = query.where(t.c.maintenance_period == period)
    return [Submitted(r.institution_id, r.maintenance_period, r.stage, r.result_version,
                      r.submitted_by, r.reference, audit.stamp(r.submitted_at))
            for r in conn.execute(query)]


@dataclass(frozen=True)
class RestatementRow:
    """One figure of a restated result: what was submitted and what it is now."""

    institution_id: str
    maintenance_period: str
    stage: str
    category: str  # a reserve category, or "total" for the institution's totals
    currency: str
    figure: str  # required | held | excess | shortfall | interest
    old: Decimal | None
    new: Decimal | None
    difference: Decimal | None
    old_version: int
    new_version: int
    old_ruleset_sha256: str
    old_ruleset_version: str
    new_ruleset_sha256: str
    new_ruleset_version: str
    old_rule: str
    new_rule: str


def restatements(conn: Connection, *, period: str | None = None,
                 as_of: Iterable[dt.date] | None = None) -> list[tuple[StoredResult, StoredResult]]:
    """(submitted version, restating version) pairs, by period, stage and institution."""
    t, r = schema.RESULT_RESTATEMENTS, schema.RESULTS
    query = select(t).join(r, (r.c.institution_id == t.c.institution_id)
                           & (r.c.maintenance_period == t.c.maintenance_period)
                           & (r.c.stage == t.c.stage) & (r.c.result_version == t.c.result_version))
    if period is not None:
        query = query.where(t.c.maintenance_period == period)
    if as_of is not None:
        query = query.where(r.c.as_of.in_(sorted(set(as_of))))
    out = []
    # requirement before close ("requirement" sorts after "close")
    for row in conn.execute(query.order_by(t.c.maintenance_period, t.c.stage.desc(),
                                           t.c.institution_id, t.c.result_version)):
        key = (row.institution_id, row.maintenance_period, row.stage)
        out.append((stored_version(conn, *key, row.submitted_version),
                    stored_version(conn, *key, row.result_version)))
    return out


def _rule(line: dict[str, Any] | None) -> str:
    return "" if line is None else " + ".join([line["rule"], *line.get("reductions", [])])


def _exemption(result: dict[str, Any]) -> str:
    return (result.get("exemption") or {}).get("rule", "")


def restatement_rows(old: StoredResult, new: StoredResult) -> list[RestatementRow]:
    """Every presented figure that differs between the submitted and the restating version,
    line by line and in total; one row saying so when only the rules or citations changed."""
    with exact():
        return _rows(old, new)


def _rows(old: StoredResult, new: StoredResult) -> list[RestatementRow]:
    a, b = old.presented, new.presented
    base = dict(institution_id=new.institution_id, maintenance_period=new.maintenance_period,
                stage=new.stage, old_version=old.result_version, new_version=new.result_version,
                old_ruleset_sha256=a["ruleset"]["sha256"],
                old_ruleset_version=a["ruleset"]["version"],
                new_ruleset_sha256=b["ruleset"]["sha256"],
                new_ruleset_version=b["ruleset"]["version"])
    rows = []
    lines_a = {(ln["category"], ln["reserve_currency"]): ln for ln in a["lines"]}
    lines_b = {(ln["category"], ln["reserve_currency"]): ln for ln in b["lines"]}
    for cat, ccy in sorted(set(lines_a) | set(lines_b)):
        la, lb = lines_a.get((cat, ccy)), lines_b.get((cat, ccy))
        va = Decimal(la["required"]) if la else Decimal(0)
        vb = Decimal(lb["required"]) if lb else Decimal(0)
        if va != vb or _rule(la) != _rule(lb):
            rows.append(RestatementRow(**base, category=cat, currency=ccy, figure="required",
                                       old=va, new=vb, difference=vb - va,
                                       old_rule=_rule(la), new_rule=_rule(lb)))
    for figure in _FIGURES:
        fa, fb = a.get(figure) or {}, b.get(figure) or {}
        for ccy in sorted(set(fa) | set(fb)):
            va, vb = Decimal(fa.get(ccy, "0")), Decimal(fb.get(ccy, "0"))
            if va != vb:
                rows.append(RestatementRow(**base, category="total", currency=ccy, figure=figure,
                                           old=va, new=vb, difference=vb - va,
                                           old_rule=_exemption(a), new_rule=_exemption(b)))
    if not rows:
        rows.append(RestatementRow(**base, category="", currency="", figure="no figure changed",
                                   old=None, new=None, difference=None,
                                   old_rule=_exemption(a), new_rule=_exemption(b)))
    return rows


def restatement_csv(rows: Iterable[RestatementRow], provenance: Provenance | None = None) -> str:
    """The restatement report as CSV: plain decimal figures, one row per figure that moved;
    text cells inert for spreadsheets (:mod:`rrr_engine.sheet_safety`); the provenance, if
    given, as trailing columns."""
    names = [f.name for f in fields(RestatementRow)]
    head, tail = provenance.columns() if provenance is not None else ([], [])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names + head)
    for row in rows:
        w.writerow(["" if v is None else dec_str(v) if isinstance(v, Decimal) else
                    str(v) if isinstance(v, int) else inert(v)
                    for v in (getattr(row, n) for n in names)] + tail)
    return buf.getvalue()
