"""Stored evaluation results: immutable, versioned, one row per institution-period-stage-version.

A maintenance period has two stages. ``requirement`` is evaluated at its start from the
computation period's snapshots; ``close`` is evaluated once the period is over, with its
holdings, and carries held/excess/shortfall. :func:`put_result` never updates a row: a
result whose content equals the latest stored version is not written again (idempotence),
and any difference becomes the next version. Each version keeps the presented JSON, the
unrounded figures, every line with its rule and citations, and the base averages.

Every version written also gets, in the same transaction, an audit-log entry, the record of
the institution it was computed from (so the period can be re-evaluated from storage alone),
and, when an earlier version of the same institution-period-stage was submitted to the
central bank, a restatement record: a submitted figure is never superseded silently.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select

from rrr_engine.canonical import canonical_json, fingerprint, value_text
from rrr_engine.core.result import InstitutionResult
from rrr_engine.errors import StorageError
from rrr_engine.models import Institution
from rrr_engine.money import RoundingPolicy
from rrr_engine.store import audit, schema

__all__ = ["STAGES", "StoredResult", "exact_dict", "institution_fingerprints", "latest",
           "latest_for_period", "put_result", "read_averages", "read_institution", "read_lines",
           "restatement_entry", "result_entry", "results_as_of", "stored_keys",
           "stored_version", "submitted_version", "version"]

STAGES = ("requirement", "close")


class _Unrounded(RoundingPolicy):
    """The contract's shape with every amount exact (trailing zeros dropped, so equal values
    give equal text), for storage and the content digest."""

    def round(self, amount: Decimal, currency: str) -> Decimal:  # noqa: ARG002
        return Decimal(value_text(amount))


@dataclass(frozen=True)
class StoredResult:
    institution_id: str
    maintenance_period: str
    stage: str
    result_version: int
    computation_period: str
    as_of: dt.date
    status: str
    has_shortfall: bool
    ruleset_version: str
    input_fingerprint: str
    content_sha256: str
    presented: dict[str, Any]
    exact: dict[str, Any]
    ruleset_sha256: str = ""
    institution_fingerprint: str = ""

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.institution_id, self.maintenance_period, self.stage, self.result_version)


def _stored(row: Any) -> StoredResult:
    return StoredResult(row.institution_id, row.maintenance_period, row.stage, row.result_version,
                        row.computation_period, row.as_of, row.status, bool(row.has_shortfall),
                        row.ruleset_version, row.input_fingerprint, row.content_sha256,
                        json.loads(row.result_json), json.loads(row.exact_json),
                        row.ruleset_sha256, row.institution_fingerprint)


def latest(conn: Connection, institution_id: str, month: str, stage: str) -> StoredResult | None:
    """The highest version of one institution-period-stage, or None."""
    t = schema.RESULTS
    row = conn.execute(select(t).where(
        t.c.institution_id == institution_id, t.c.maintenance_period == month,
        t.c.stage == stage).order_by(t.c.result_version.desc()).limit(1)).first()
    return None if row is None else _stored(row)


def version(conn: Connection, institution_id: str, month: str, stage: str,
            number: int) -> StoredResult | None:
    """One stored version, or None."""
    t = schema.RESULTS
    row = conn.execute(select(t).where(
        t.c.institution_id == institution_id, t.c.maintenance_period == month,
        t.c.stage == stage, t.c.result_version == number)).first()
    return None if row is None else _stored(row)


def stored_version(conn: Connection, institution_id: str, month: str, stage: str,
                   number: int) -> StoredResult:
    """One stored version that a submission or restatement names, so it must be there."""
    found = version(conn, institution_id, month, stage, number)
    if found is None:
        raise StorageError(f"{institution_id} {month} {stage} v{number} is named by the "
                           "submission log but not stored: the results database is inconsistent",
                           institution=institution_id, period=month)
    return found


def latest_for_period(conn: Connection, month: str, stage: str) -> list[StoredResult]:
    """The latest version of every institution's result for a period and stage, by institution."""
    t = schema.RESULTS
    newest = select(t.c.institution_id, func.max(t.c.result_version).label("v")).where(
        t.c.maintenance_period == month, t.c.stage == stage).group_by(t.c.institution_id).subquery()
    rows = conn.execute(select(t).join(newest, and_(
        t.c.institution_id == newest.c.institution_id, t.c.result_version == newest.c.v)).where(
        t.c.maintenance_period == month, t.c.stage == stage).order_by(t.c.institution_id))
    return [_stored(r) for r in rows]


def institution_fingerprints(conn: Connection, month: str, stage: str) -> dict[str, str]:
    """Institution id -> fingerprint of the institution record its latest result used."""
    t = schema.RESULTS
    newest = select(t.c.institution_id, func.max(t.c.result_version).label("v")).where(
        t.c.maintenance_period == month, t.c.stage == stage).group_by(t.c.institution_id).subquery()
    rows = conn.execute(select(t.c.institution_id, t.c.institution_fingerprint).join(newest, and_(
        t.c.institution_id == newest.c.institution_id, t.c.result_version == newest.c.v)).where(
        t.c.maintenance_period == month, t.c.stage == stage))
    return {r.institution_id: r.institution_fingerprint for r in rows}


def stored_keys(conn: Connection) -> set[tuple[str, str]]:
    """Every (maintenance period, stage) that has at least one stored result."""
    t = schema.RESULTS
    return {(r.maintenance_period, r.stage) for r in conn.execute(
        select(t.c.maintenance_period, t.c.stage).distinct())}


def results_as_of(conn: Connection, days: Iterable[dt.date]) -> list[StoredResult]:
    """Results stored by the runs of the given business dates (every version they created)."""
    t = schema.RESULTS
    wanted = sorted(set(days))
    if not wanted:
        return []
    rows = conn.execute(select(t).where(t.c.as_of.in_(wanted)).order_by(
        t.c.maintenance_period, t.c.stage, t.c.institution_id, t.c.result_version))
    return [_stored(r) for r in rows]


def put_result(conn: Connection, result: InstitutionResult, *, stage: str,
               rounding: RoundingPolicy, averages: Mapping[tuple[str, str], Decimal],
               input_fingerprint: str, institution_fingerprint: str, as_of: dt.date,
               run_id: str, now: dt.datetime,
               tick: Callable[[int], None] = lambda n: None) -> int | None:
    """Store ``result`` as the next version unless it equals the latest; return the version.

    :param averages: the base averages, (category, deposit currency) -> exact average.
    :returns: the version written, or None when the latest stored version is identical.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    presented = result.to_dict(rounding)
    exact = exact_dict(result)
    avg_rows = sorted((cat, ccy, amount) for (cat, ccy), amount in averages.items())
    content = fingerprint({"exact": exact,
                           "averages": [(c, ccy, value_text(a)) for c, ccy, a in avg_rows]})
    inst, month = result.institution.id, str(result.maintenance_period)
    previous = latest(conn, inst, month, stage)
    if previous is not None and previous.content_sha256 == content:
        return None
    version = 1 if previous is None else previous.result_version + 1
    key = {"institution_id": inst, "maintenance_period": month, "stage": stage,
           "result_version": version}
    row = dict(
        **key, computation_period=str(result.computation_period), as_of=as_of,
        status=result.status, has_shortfall=result.has_shortfall,
        ruleset_id=result.ruleset["id"], ruleset_version=result.ruleset["version"],
        ruleset_sha256=result.ruleset["sha256"], input_fingerprint=input_fingerprint,
        institution_fingerprint=institution_fingerprint,
        content_sha256=content, result_json=canonical_json(presented),
        exact_json=canonical_json(exact), run_id=run_id, created_at=now)
    conn.execute(schema.RESULTS.insert().values(**row))
    tick(1)
    if result.lines:
        conn.execute(schema.RESULT_LINES.insert(), [
            {**key, "line_no": n, "category": ln.category, "reserve_currency": ln.reserve_currency,
             "average_base": ln.average_base, "ratio": ln.ratio, "class_ratio": ln.class_ratio,
             "required": ln.required, "rule": ln.rule,
             "reductions_json": canonical_json(ln.reductions),
             "citations_json": canonical_json(ln.citations)}
            for n, ln in enumerate(result.lines, start=1)])
        tick(len(result.lines))
    if avg_rows:
        conn.execute(schema.RESULT_AVERAGES.insert(), [
            {**key, "category": cat, "currency": ccy, "average_balance": amount}
            for cat, ccy, amount in avg_rows])
        tick(len(avg_rows))
    _keep_institution(conn, result.institution, institution_fingerprint)
    audit.append(conn, "result", result_entry(row))
    submitted = submitted_version(conn, inst, month, stage)
    if submitted is not None:
        restated = {**key, "submitted_version": submitted, "run_id": run_id, "created_at": now}
        conn.execute(schema.RESULT_RESTATEMENTS.insert().values(**restated))
        audit.append(conn, "restatement", restatement_entry(restated))
    return version


def exact_dict(result: InstitutionResult) -> dict[str, Any]:
    """The contract's JSON object with every amount exact, as stored in ``exact_json``."""
    return result.to_dict(_Unrounded())


def result_entry(row: Any) -> dict[str, Any]:
    """The audit entry's data for a stored result version (re-derived by ``audit verify``)."""
    m = row if isinstance(row, dict) else row._mapping
    return {**{c: m[c] for c in schema.RESULT_KEY},
            **{c: m[c] for c in ("ruleset_id", "ruleset_version", "ruleset_sha256",
                                 "content_sha256", "input_fingerprint", "institution_fingerprint")},
            "as_of": m["as_of"].isoformat()}


def restatement_entry(row: Any) -> dict[str, Any]:
    m = row if isinstance(row, dict) else row._mapping
    return {**{c: m[c] for c in schema.RESULT_KEY}, "submitted_version": m["submitted_version"]}


def submitted_version(conn: Connection, institution_id: str, month: str,
                      stage: str) -> int | None:
    """The latest version of an institution-period-stage reported to the central bank."""
    t = schema.SUBMISSIONS
    return conn.execute(select(func.max(t.c.result_version)).where(
        t.c.institution_id == institution_id, t.c.maintenance_period == month,
        t.c.stage == stage)).scalar()


def _keep_institution(conn: Connection, inst: Institution, fp: str) -> None:
    t = schema.INSTITUTION_RECORDS
    if conn.execute(select(t.c.institution_id).where(t.c.institution_fingerprint == fp)).first():
        return
    conn.execute(t.insert().values(institution_fingerprint=fp, institution_id=inst.id,
                                   record_json=canonical_json(inst)))


def read_institution(conn: Connection, fp: str) -> Institution | None:
    """The institution record a result was computed from, by its fingerprint."""
    t = schema.INSTITUTION_RECORDS
    text = conn.execute(select(t.c.record_json).where(t.c.institution_fingerprint == fp)).scalar()
    return None if text is None else Institution.model_validate(json.loads(text))


def _child_rows(conn: Connection, table: Any, stored: StoredResult, order: Any) -> list[Any]:
    c = table.c
    return list(conn.execute(select(table).where(
        c.institution_id == stored.institution_id,
        c.maintenance_period == stored.maintenance_period,
        c.stage == stored.stage, c.result_version == stored.result_version).order_by(*order)))


def read_lines(conn: Connection, stored: StoredResult) -> list[dict[str, Any]]:
    """The stored lines of one result version, exact, with rule and citations."""
    t = schema.RESULT_LINES
    return [{"category": r.category, "reserve_currency": r.reserve_currency,
             "average_base": r.average_base, "ratio": r.ratio, "class_ratio": r.class_ratio,
             "required": r.required, "rule": r.rule, "reductions": json.loads(r.reductions_json),
             "citations": json.loads(r.citations_json)}
            for r in _child_rows(conn, t, stored, [t.c.line_no])]


def read_averages(conn: Connection, stored: StoredResult) -> dict[tuple[str, str], Decimal]:
    """The base averages of one result version: (category, currency) -> exact average."""
    t = schema.RESULT_AVERAGES
    return {(r.category, r.currency): r.average_balance
            for r in _child_rows(conn, t, stored, [t.c.category, t.c.currency])}
