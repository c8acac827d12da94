"""The append-only, hash-chained audit log: appending an entry and verifying the chain.

Entry n is the canonical JSON text of ``{"seq": n, "kind": ..., "data": ...}``; its hash is
``sha256(entry_json + prev_hash)``, with ``prev_hash`` the hash of entry n-1 (64 zeros for the
first). :func:`append` writes inside the caller's transaction, so an entry is committed with
exactly what it records or not at all. Appends are serialised before the head is read: on
PostgreSQL by a transaction-scoped advisory lock of the log's own (then ``SELECT ... FOR
UPDATE`` of the head row), so the head is read after any earlier appender committed; on SQLite
by the ``BEGIN IMMEDIATE`` of every rrr-engine transaction. Should a writer bypass both, the
primary key on ``seq`` and the unique ``prev_hash`` refuse a second entry after the same head:
the chain can fail a transaction but never fork. :func:`verify_chain` recomputes every hash and
names the first entry that was edited, deleted, inserted or moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text

from rrr_engine.canonical import canonical_json
from rrr_engine.store import schema

__all__ = ["GENESIS", "AuditEntry", "ChainBreak", "append", "entries", "entry_hash", "head",
           "stamp", "verify_chain"]

GENESIS = "0" * 64

# Arbitrary constant naming "the rrr-engine audit log" for pg_advisory_xact_lock.
_PG_AUDIT_LOCK = 0x525252_4155


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the stored log stops being the chain that was written."""

    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit log entry #{self.seq}: {self.problem}"


def stamp(moment: dt.datetime) -> str:
    """A time as audit text: ISO 8601 in UTC, to the microsecond both backends keep."""
    if moment.tzinfo is None:  # SQLite returns the stored UTC time without its zone
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def entry_hash(entry_json: str, prev_hash: str) -> str:
    return hashlib.sha256((entry_json + prev_hash).encode("utf-8")).hexdigest()


def head(conn: Connection, *, lock: bool = False) -> tuple[int, str]:
    """(seq, hash) of the last entry, ``(0, GENESIS)`` for an empty log."""
    t = schema.AUDIT_LOG
    query = select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return (0, GENESIS) if row is None else (row.seq, row.hash)


def append(conn: Connection, kind: str, data: Mapping[str, Any]) -> AuditEntry:
    """Append one entry after the locked head, inside the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    seq, prev = head(conn, lock=True)
    seq += 1
    body = canonical_json({"seq": seq, "kind": kind, "data": dict(data)})
    digest = entry_hash(body, prev)
    conn.execute(schema.AUDIT_LOG.insert().values(seq=seq, kind=kind, entry_json=body,
                                                  prev_hash=prev, hash=digest))
    return AuditEntry(seq, kind, json.loads(body)["data"], prev, digest)


def entries(conn: Connection, kind: str | None = None) -> Iterator[AuditEntry]:
    """Stored entries in chain order (of one ``kind`` if given), as stored, unverified."""
    t = schema.AUDIT_LOG
    query = select(t).order_by(t.c.seq)
    if kind is not None:
        query = query.where(t.c.kind == kind)
    for row in conn.execute(query):
        try:
            data = json.loads(row.entry_json).get("data", {})
        except (ValueError, AttributeError):
            data = {}
        yield AuditEntry(row.seq, row.kind, data, row.prev_hash, row.hash)


def verify_chain(conn: Connection) -> tuple[int, tuple[int, str], ChainBreak | None]:
    """Recompute the chain: (entries checked, (seq, hash) of the head, first break or None)."""
    t = schema.AUDIT_LOG
    expected, prev, count = 1, GENESIS, 0
    last = (0, GENESIS)
    for row in conn.execute(select(t).order_by(t.c.seq)):
        count += 1
        problem = _problem(row, expected, prev)
        if problem:
            return count, last, ChainBreak(expected if row.seq > expected else row.seq, problem)
        prev, expected, last = row.hash, expected + 1, (row.seq, row.hash)
    return count, last, None


def _problem(row: Any, expected: int, prev: str) -> str | None:
    if row.seq != expected:
        return (f"missing: the log jumps from #{expected - 1} to #{row.seq} "
                "(an entry was deleted)")
    try:
        parsed = json.loads(row.entry_json)
    except ValueError:
        return "its text is not JSON (it was edited)"
    if not isinstance(parsed, dict) or canonical_json(parsed) != row.entry_json:
        return "its text is not the canonical text that was written (it was edited)"
    if parsed.get("seq") != row.seq or parsed.get("kind") != row.kind:
        return (f"it records seq {parsed.get('seq')} kind {parsed.get('kind')!r} but is stored "
                f"as #{row.seq} {row.kind!r} (entries were moved or edited)")
    if row.prev_hash != prev:
        return (f"its prev_hash does not match the hash of entry #{expected - 1} "
                "(an entry before it was deleted, inserted or moved)")
    if entry_hash(row.entry_json, row.prev_hash) != row.hash:
        return "its hash does not match its content (it was edited)"
    return None
