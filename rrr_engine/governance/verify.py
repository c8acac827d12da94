"""``rrr audit verify``: the audit chain, and the audited tables against their entries.

Beyond the chain itself (:func:`rrr_engine.store.audit.verify_chain`), every row of an audited table
(reviews, results, restatements, submissions, store settings) must have exactly one entry
recording the same content, and every entry its row: a row added, edited or deleted behind
rrr-engine's back shows up even when the chain is intact. Each stored result's content
fingerprint is recomputed from its stored figures, and each institution record from its
text. A head recorded earlier (``--head SEQ:HASH``, e.g. from the last verification or a
run's output) shows a chain rewritten from the start or cut short at its end.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select

from rrr_engine.canonical import canonical_json, fingerprint, value_text
from rrr_engine.governance.approvals import review_entry, setting_entry
from rrr_engine.governance.submissions import submission_entry
from rrr_engine.store import schema
from rrr_engine.store.audit import ChainBreak, entries, verify_chain
from rrr_engine.store.results import restatement_entry, result_entry

__all__ = ["AuditReport", "verify"]

_SHOWN = 20  # findings listed one by one; the rest are counted
# entry kinds that record a table row (a "reevaluation" entry records a request, no row)
_TABLE_KINDS = frozenset({"proposal", "approval", "rejection", "result", "restatement",
                          "submission", "setting"})


@dataclass
class AuditReport:
    database: str
    entries: int = 0
    head: tuple[int, str] = (0, "")
    chain_break: ChainBreak | None = None
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain_break is None and not self.findings

    def to_text(self) -> str:
        out = []
        if self.chain_break:
            out.append(f"BROKEN {self.chain_break}")
        shown = self.findings[:_SHOWN]
        out += [f"MISMATCH {f}" for f in shown]
        if len(self.findings) > _SHOWN:
            out.append(f"... and {len(self.findings) - _SHOWN} more mismatch(es)")
        seq, digest = self.head
        verdict = "intact" if self.ok else "NOT intact"
        out.append(f"audit log of {self.database}: {self.entries} entries, {verdict}; "
                   f"head {seq}:{digest or '(empty)'}")
        return "\n".join(out) + "\n"


def _kinds(kind: str | Callable[[Any], str]) -> Callable[[Any], str]:
    return kind if callable(kind) else (lambda row: kind)


# (table, kind of each row's entry, the entry's data for a row, how a row is named)
_AUDITED: list[tuple[Table, Any, Callable[[Any], dict[str, Any]], Callable[[Any], str]]] = [
    (schema.PACK_REVIEWS, lambda r: r.action, review_entry,
     lambda r: f"review {r.ruleset_sha256[:12]} #{r.review_no} ({r.action} by {r.actor})"),
    (schema.RESULTS, "result", result_entry,
     lambda r: f"result {r.institution_id} {r.maintenance_period} {r.stage} v{r.result_version}"),
    (schema.RESULT_RESTATEMENTS, "restatement", restatement_entry,
     lambda r: f"restatement {r.institution_id} {r.maintenance_period} {r.stage} "
               f"v{r.result_version}"),
    (schema.SUBMISSIONS, "submission", submission_entry,
     lambda r: f"submission {r.institution_id} {r.maintenance_period} {r.stage} "
               f"v{r.result_version}"),
    (schema.STORE_SETTINGS, "setting", setting_entry, lambda r: f"setting {r.name}"),
]


def verify(conn: Connection, database: str, *, head: tuple[int, str] | None = None) -> AuditReport:
    """Check the chain, the audited tables and the stored fingerprints; all findings."""
    report = AuditReport(database)
    report.entries, report.head, report.chain_break = verify_chain(conn)
    if head is not None:
        _check_head(conn, head, report)
    logged: Counter[tuple[str, str]] = Counter()
    first_seq: dict[tuple[str, str], int] = {}
    for e in entries(conn):
        key = (e.kind, canonical_json(e.data))
        logged[key] += 1
        first_seq.setdefault(key, e.seq)
    for table, kind, entry, name in _AUDITED:
        for row in conn.execute(select(table)):
            key = (_kinds(kind)(row), canonical_json(entry(row)))
            if logged[key] > 0:
                logged[key] -= 1
            else:
                report.findings.append(f"{table.name}: {name(row)} has no audit entry recording "
                                       "it as stored (added or edited outside rrr-engine)")
    for (kind, data), left in sorted(logged.items(), key=lambda kv: first_seq[kv[0]]):
        if left > 0 and kind in _TABLE_KINDS:
            report.findings.append(f"audit entry #{first_seq[(kind, data)]} ({kind}) has no "
                                   "matching stored row (the row was deleted or edited)")
    report.findings += _fingerprints(conn)
    return report


def _check_head(conn: Connection, head: tuple[int, str], report: AuditReport) -> None:
    seq, digest = head
    t = schema.AUDIT_LOG
    stored = conn.execute(select(t.c.hash).where(t.c.seq == seq)).scalar()
    if stored is None:
        report.findings.append(f"the recorded head #{seq} is not in the log any more "
                               "(entries were removed from its end)")
    elif stored != digest:
        report.findings.append(f"entry #{seq} hashes to {stored}, not the recorded {digest} "
                               "(the log was rewritten up to there)")


def _fingerprints(conn: Connection) -> list[str]:
    """Stored results whose figures no longer give their content fingerprint, and institution
    records whose text no longer gives their key."""
    found = []
    avg = schema.RESULT_AVERAGES
    averages: dict[tuple, list] = defaultdict(list)
    for r in conn.execute(select(avg).order_by(avg.c.category, avg.c.currency)):
        averages[tuple(getattr(r, c) for c in schema.RESULT_KEY)].append(
            (r.category, r.currency, value_text(r.average_balance)))
    for r in conn.execute(select(schema.RESULTS)):
        key = tuple(getattr(r, c) for c in schema.RESULT_KEY)
        content = fingerprint({"exact": json.loads(r.exact_json), "averages": averages[key]})
        if content != r.content_sha256:
            found.append(f"rrr_results: result {' '.join(map(str, key))}: its stored figures "
                         "do not give its content fingerprint (figures edited)")
    for r in conn.execute(select(schema.INSTITUTION_RECORDS)):
        if fingerprint(json.loads(r.record_json)) != r.institution_fingerprint:
            found.append(f"rrr_institution_records: {r.institution_id}: the record does not "
                         "give its fingerprint (edited)")
    return found
