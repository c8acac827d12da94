"""Versioned schema migrations: the ``rrr_schema_version`` table and the ordered steps.

A database records every step applied to it in ``rrr_schema_version``. :func:`migrate` applies
the missing steps in order, all in one transaction, so a failure leaves the database at its
previous version with nothing half-created (PostgreSQL and SQLite both have transactional
DDL). A database newer than this code is refused rather than written to.

Each step is frozen: it builds its own table objects instead of using
:mod:`rrr_engine.store.schema`, because a step must create what existed at its version even after
``schema`` has moved on. To change the schema, edit ``schema`` *and* append a step; a test
checks that a fully migrated database matches ``schema``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    inspect,
    select,
    text,
)

from rrr_engine.errors import StorageError
from rrr_engine.store.schema import ExactDecimal

__all__ = ["MIGRATIONS", "Migration", "current_version", "migrate"]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


_VERSIONS = MetaData()
SCHEMA_VERSION = Table(
    "rrr_schema_version", _VERSIONS,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)


def _v1_nightly(conn: Connection) -> None:
    """Snapshots, versioned results with lines and base averages, run manifests."""
    md = MetaData()
    sha, month, ident, stamp = String(64), String(40), String(64), DateTime(timezone=True)
    Table("rrr_runs", md,
          Column("run_id", String(36), primary_key=True),
          Column("command", Text, nullable=False),
          Column("started_at", stamp, nullable=False), Column("finished_at", stamp),
          Column("outcome", String(16)), Column("exit_code", Integer),
          Column("error_message", Text),
          Column("engine_version", String(32), nullable=False),
          Column("ruleset_id", ident, nullable=False),
          Column("ruleset_label", String(64), nullable=False),
          Column("ruleset_sha256", sha, nullable=False),
          Column("sources_json", Text, nullable=False),
          Column("date_from", Date), Column("date_to", Date),
          Column("input_fingerprint", sha), Column("summary_json", Text))
    Table("rrr_snapshot_days", md,
          Column("business_date", Date, primary_key=True),
          Column("revision", Integer, nullable=False),
          Column("balance_rows", Integer, nullable=False),
          Column("fx_rows", Integer, nullable=False),
          Column("holding_rows", Integer, nullable=False),
          Column("has_holdings", Boolean, nullable=False),
          Column("input_fingerprint", sha, nullable=False),
          Column("run_id", String(36), nullable=False),
          Column("created_at", stamp, nullable=False))
    Table("rrr_daily_totals", md,
          Column("institution_id", ident, primary_key=True),
          Column("business_date", Date, primary_key=True),
          Column("category", ident, primary_key=True),
          Column("currency", String(3), primary_key=True),
          Column("amount", ExactDecimal, nullable=False),
          Index("ix_rrr_daily_totals_date", "business_date"))
    Table("rrr_fx_rates", md,
          Column("business_date", Date, primary_key=True),
          Column("currency", String(3), primary_key=True),
          Column("vnd_per_unit", ExactDecimal, nullable=False))
    Table("rrr_daily_holdings", md,
          Column("institution_id", ident, primary_key=True),
          Column("business_date", Date, primary_key=True),
          Column("currency", String(3), primary_key=True),
          Column("amount", ExactDecimal, nullable=False),
          Index("ix_rrr_daily_holdings_date", "business_date"))
    Table("rrr_restatements", md,
          Column("business_date", Date, primary_key=True),
          Column("revision", Integer, primary_key=True),
          Column("previous_fingerprint", sha, nullable=False),
          Column("previous_rows_json", Text, nullable=False),
          Column("run_id", String(36), nullable=False),
          Column("created_at", stamp, nullable=False))
    key = ("institution_id", "maintenance_period", "stage", "result_version")

    def key_columns() -> list[Column]:
        return [Column("institution_id", ident, primary_key=True),
                Column("maintenance_period", month, primary_key=True),
                Column("stage", String(16), primary_key=True),
                Column("result_version", Integer, primary_key=True)]

    Table("rrr_results", md, *key_columns(),
          Column("computation_period", month, nullable=False),
          Column("as_of", Date, nullable=False),
          Column("status", String(16), nullable=False),
          Column("has_shortfall", Boolean, nullable=False),
          Column("ruleset_id", ident, nullable=False),
          Column("ruleset_version", month, nullable=False),
          Column("ruleset_sha256", sha, nullable=False),
          Column("institution_fingerprint", sha, nullable=False),
          Column("input_fingerprint", sha, nullable=False),
          Column("content_sha256", sha, nullable=False),
          Column("result_json", Text, nullable=False),
          Column("exact_json", Text, nullable=False),
          Column("run_id", String(36), nullable=False),
          Column("created_at", stamp, nullable=False),
          Index("ix_rrr_results_as_of", "as_of"))
    parent = ForeignKeyConstraint
    Table("rrr_result_lines", md, *key_columns(),
          Column("line_no", Integer, primary_key=True),
          Column("category", ident, nullable=False),
          Column("reserve_currency", String(3), nullable=False),
          Column("average_base", ExactDecimal),
          Column("ratio", ExactDecimal, nullable=False),
          Column("class_ratio", ExactDecimal, nullable=False),
          Column("required", ExactDecimal, nullable=False),
          Column("rule", ident, nullable=False),
          Column("reductions_json", Text, nullable=False),
          Column("citations_json", Text, nullable=False),
          parent(list(key), [f"rrr_results.{c}" for c in key]))
    Table("rrr_result_averages", md, *key_columns(),
          Column("category", ident, primary_key=True),
          Column("currency", String(3), primary_key=True),
          Column("average_balance", ExactDecimal, nullable=False),
          parent(list(key), [f"rrr_results.{c}" for c in key]))
    md.create_all(conn)


def _v2_governance(conn: Connection) -> None:
    """Maker-checker reviews, the hash-chained audit log (append-only, guarded by triggers),
    submitted and restated result versions, institution records, store settings; the run
    manifest gains the mode and the approval state of the pack that ran."""
    md = MetaData()
    sha, month, ident, stamp, name = (String(64), String(40), String(64),
                                      DateTime(timezone=True), String(128))
    key = ("institution_id", "maintenance_period", "stage", "result_version")

    def result_key() -> list:
        return [Column("institution_id", ident, primary_key=True),
                Column("maintenance_period", month, primary_key=True),
                Column("stage", String(16), primary_key=True),
                Column("result_version", Integer, primary_key=True),
                ForeignKeyConstraint(list(key), [f"rrr_results.{c}" for c in key])]

    Table("rrr_results", md, *[Column(c, Integer if c == "result_version" else String(64),
                                      primary_key=True) for c in key])  # the FK target only
    Table("rrr_pack_reviews", md,
          Column("ruleset_sha256", sha, primary_key=True),
          Column("review_no", Integer, primary_key=True),
          Column("action", String(16), nullable=False),
          Column("ruleset_id", ident, nullable=False),
          Column("ruleset_label", String(64), nullable=False),
          Column("actor", name, nullable=False), Column("reason", Text, nullable=False),
          Column("files_json", Text), Column("at", stamp, nullable=False))
    Table("rrr_audit_log", md,
          Column("seq", Integer, primary_key=True, autoincrement=False),
          Column("kind", String(16), nullable=False),
          Column("entry_json", Text, nullable=False),
          Column("prev_hash", sha, nullable=False), Column("hash", sha, nullable=False),
          UniqueConstraint("prev_hash", name="uq_rrr_audit_log_prev_hash"))
    Table("rrr_submissions", md, *result_key(),
          Column("submitted_by", name, nullable=False), Column("reference", Text, nullable=False),
          Column("submitted_at", stamp, nullable=False))
    Table("rrr_result_restatements", md, *result_key(),
          Column("submitted_version", Integer, nullable=False),
          Column("run_id", String(36), nullable=False), Column("created_at", stamp, nullable=False))
    Table("rrr_institution_records", md,
          Column("institution_fingerprint", sha, primary_key=True),
          Column("institution_id", ident, nullable=False),
          Column("record_json", Text, nullable=False))
    Table("rrr_store_settings", md,
          Column("name", String(64), primary_key=True), Column("value", Text, nullable=False),
          Column("set_by", name, nullable=False), Column("reason", Text, nullable=False),
          Column("set_at", stamp, nullable=False))
    md.create_all(conn, tables=[t for n, t in md.tables.items() if n != "rrr_results"])
    conn.execute(text("ALTER TABLE rrr_runs ADD COLUMN mode VARCHAR(16)"))
    conn.execute(text("ALTER TABLE rrr_runs ADD COLUMN ruleset_approval VARCHAR(16)"))
    # Append-only in the database too: the application never updates or deletes an entry,
    # so anyone who does must first drop these guards (and `rrr audit verify` still sees it).
    if conn.dialect.name == "postgresql":
        conn.execute(text(
            "CREATE FUNCTION rrr_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'rrr_audit_log is append-only'; END $$"))
        conn.execute(text(
            "CREATE TRIGGER rrr_audit_log_append_only BEFORE UPDATE OR DELETE ON rrr_audit_log "
            "FOR EACH ROW EXECUTE FUNCTION rrr_audit_log_append_only()"))
        conn.execute(text(
            "CREATE TRIGGER rrr_audit_log_no_truncate BEFORE TRUNCATE ON rrr_audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION rrr_audit_log_append_only()"))
    elif conn.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            conn.execute(text(
                f"CREATE TRIGGER rrr_audit_log_no_{event.lower()} BEFORE {event} ON rrr_audit_log "
                "BEGIN SELECT RAISE(ABORT, 'rrr_audit_log is append-only'); END"))


def _v3_snapshot_gaps(conn: Connection) -> None:
    """Institutions whose rows of a stored date were refused, so the others could be stored."""
    md = MetaData()
    Table("rrr_snapshot_gaps", md,
          Column("business_date", Date, primary_key=True),
          Column("institution_id", String(64), primary_key=True),
          Column("code", String(64), nullable=False),
          Column("field", Text),
          Column("message", Text, nullable=False),
          Column("run_id", String(36), nullable=False),
          Column("created_at", DateTime(timezone=True), nullable=False))
    md.create_all(conn)


def _v4_neutral_names(conn: Connection) -> None:
    """Jurisdiction-neutral names, renamed in place (rows, keys and references kept): the
    base averages' table ``rrr_result_averages`` becomes ``rrr_base_averages``, and the FX
    rate column of step 1, named after the first pack's currency, becomes
    ``domestic_per_unit``."""
    conn.execute(text("ALTER TABLE rrr_result_averages RENAME TO rrr_base_averages"))
    conn.execute(text("ALTER TABLE rrr_fx_rates RENAME COLUMN vnd_per_unit TO domestic_per_unit"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "nightly job: snapshots, versioned results, run manifests", _v1_nightly),
    Migration(2, "governance: reviews, audit log, submissions, restatements", _v2_governance),
    Migration(3, "per-institution isolation: refused rows of a stored date", _v3_snapshot_gaps),
    Migration(4, "neutral names: rrr_base_averages, rrr_fx_rates.domestic_per_unit",
              _v4_neutral_names),
)


def current_version(conn: Connection) -> int:
    """The highest step applied to the database; 0 for a database never migrated."""
    if not inspect(conn).has_table(SCHEMA_VERSION.name):
        return 0
    return int(conn.execute(select(func.max(SCHEMA_VERSION.c.version))).scalar() or 0)


def migrate(conn: Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the missing steps inside the caller's transaction; return the versions applied.

    :param conn: a connection inside a transaction the caller commits (or rolls back).
    :param migrations: the ordered steps; versions must be 1, 2, 3, ... without gaps.
    """
    if [m.version for m in migrations] != list(range(1, len(migrations) + 1)):
        raise StorageError("migration steps must be numbered 1, 2, 3, ... in order")
    SCHEMA_VERSION.create(conn, checkfirst=True)
    have = current_version(conn)
    if have > len(migrations):
        raise StorageError(f"the database schema is at version {have}, newer than this "
                           f"rrr-engine knows (up to {len(migrations)}): upgrade rrr-engine")
    applied = []
    for step in migrations[have:]:
        step.apply(conn)
        conn.execute(SCHEMA_VERSION.insert().values(
            version=step.version, description=step.description,
            applied_at=dt.datetime.now(dt.UTC)))
        applied.append(step.version)
    return applied
