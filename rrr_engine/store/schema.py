"""The current storage schema: SQLAlchemy Core tables and the exact money column type.

These definitions are what the code queries; :mod:`rrr_engine.store.migrations` is what creates
and changes them in a database (its steps are frozen copies, and a test checks that the
migrated database matches these tables). Every table is prefixed ``rrr_`` so the store can
live inside a bank's own database. Keys are natural (institution, date, month, version), never
sequences: a PostgreSQL sequence advances even in a rolled-back transaction, and ids that
depend on how often a run was killed would break the byte-identical rerun guarantee.

Results are immutable and versioned: a new evaluation of a period either matches the latest
version (nothing is written) or becomes version n+1. Governance (migration step 2) attaches to
them: the maker-checker reviews of pack versions, the hash-chained audit log (one entry per
review, result version, submission and restatement), submitted result versions, and result
versions that restate a submitted one, all keyed by
``(institution_id, maintenance_period, stage, result_version)`` or a pack's sha256.

Migration step 3 adds ``rrr_snapshot_gaps``: the institutions whose rows of a stored date the
job refused (bad input from the source), so the others' rows could be stored; a re-run after
the source is fixed adds the missing institution's rows to that date and deletes its gap.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from rrr_engine.models import ID_LENGTH
from rrr_engine.money import dec_str

__all__ = [
    "AUDIT_LOG",
    "DAILY_HOLDINGS",
    "DAILY_TOTALS",
    "FX_RATES",
    "INSTITUTION_RECORDS",
    "METADATA",
    "PACK_REVIEWS",
    "RESTATEMENTS",
    "RESULTS",
    "RESULT_AVERAGES",
    "RESULT_KEY",
    "RESULT_LINES",
    "RESULT_RESTATEMENTS",
    "RUNS",
    "SNAPSHOT_DAYS",
    "SNAPSHOT_GAPS",
    "STORE_SETTINGS",
    "SUBMISSIONS",
    "ExactDecimal",
    "ID_LENGTH",
]


class ExactDecimal(TypeDecorator):
    """A ``Decimal`` stored without loss: NUMERIC on PostgreSQL, decimal text elsewhere.

    SQLAlchemy's ``Numeric`` on SQLite passes values through a binary float, so SQLite (and
    any backend without an exact NUMERIC driver) gets the plain decimal string instead.
    Binding a float is refused: a float in a money path is a bug, not something to round.
    """

    impl = String(80)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"exact decimal column given {value!r} ({type(value).__name__})")
        return value if dialect.name == "postgresql" else dec_str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


METADATA = MetaData()

_ID = String(ID_LENGTH)  # institution ids, categories, rule ids
_PERIOD = String(40)  # YYYY-MM, or a calendar pack's period id / date span
_SHA = String(64)
_STAMP = DateTime(timezone=True)

RUNS = Table(
    "rrr_runs", METADATA,
    Column("run_id", String(36), primary_key=True),
    Column("command", Text, nullable=False),
    Column("started_at", _STAMP, nullable=False),
    Column("finished_at", _STAMP),
    Column("outcome", String(16)),  # NULL while running or when the process was killed
    Column("exit_code", Integer),
    Column("error_message", Text),
    Column("engine_version", String(32), nullable=False),
    Column("ruleset_id", _ID, nullable=False),
    Column("ruleset_label", String(64), nullable=False),
    Column("ruleset_sha256", _SHA, nullable=False),
    Column("sources_json", Text, nullable=False),
    Column("date_from", Date),
    Column("date_to", Date),
    Column("input_fingerprint", _SHA),
    Column("summary_json", Text),
    Column("mode", String(16)),  # production | demo (NULL: before migration step 2)
    Column("ruleset_approval", String(16)),  # approved, superseded, proposed, ... (governance)
)

SNAPSHOT_DAYS = Table(
    "rrr_snapshot_days", METADATA,
    Column("business_date", Date, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("balance_rows", Integer, nullable=False),
    Column("fx_rows", Integer, nullable=False),
    Column("holding_rows", Integer, nullable=False),
    Column("has_holdings", Boolean, nullable=False),
    Column("input_fingerprint", _SHA, nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("created_at", _STAMP, nullable=False),
)

# An institution whose rows of a stored date were refused: the date is stored without them.
SNAPSHOT_GAPS = Table(
    "rrr_snapshot_gaps", METADATA,
    Column("business_date", Date, primary_key=True),
    Column("institution_id", _ID, primary_key=True),
    Column("code", String(64), nullable=False),  # the error entry's code, e.g. input_error
    Column("field", Text),
    Column("message", Text, nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("created_at", _STAMP, nullable=False),
)

DAILY_TOTALS = Table(
    "rrr_daily_totals", METADATA,
    Column("institution_id", _ID, primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("category", _ID, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount", ExactDecimal, nullable=False),
    Index("ix_rrr_daily_totals_date", "business_date"),
)

FX_RATES = Table(
    "rrr_fx_rates", METADATA,
    Column("business_date", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("domestic_per_unit", ExactDecimal, nullable=False),  # units of the pack's currency
)

DAILY_HOLDINGS = Table(
    "rrr_daily_holdings", METADATA,
    Column("institution_id", _ID, primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("amount", ExactDecimal, nullable=False),
    Index("ix_rrr_daily_holdings_date", "business_date"),
)

RESTATEMENTS = Table(
    "rrr_restatements", METADATA,
    Column("business_date", Date, primary_key=True),
    Column("revision", Integer, primary_key=True),  # the revision that was replaced
    Column("previous_fingerprint", _SHA, nullable=False),
    Column("previous_rows_json", Text, nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("created_at", _STAMP, nullable=False),
)

RESULT_KEY = ("institution_id", "maintenance_period", "stage", "result_version")

RESULTS = Table(
    "rrr_results", METADATA,
    Column("institution_id", _ID, primary_key=True),
    Column("maintenance_period", _PERIOD, primary_key=True),
    Column("stage", String(16), primary_key=True),  # requirement | close
    Column("result_version", Integer, primary_key=True),
    Column("computation_period", _PERIOD, nullable=False),
    # the business date whose run stored it; an institution's first result completing a stage
    # the others already have takes that stage's first date (as an uninterrupted run would)
    Column("as_of", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("has_shortfall", Boolean, nullable=False),
    Column("ruleset_id", _ID, nullable=False),
    Column("ruleset_version", _PERIOD, nullable=False),
    Column("ruleset_sha256", _SHA, nullable=False),
    Column("institution_fingerprint", _SHA, nullable=False),  # the institution record used
    Column("input_fingerprint", _SHA, nullable=False),
    Column("content_sha256", _SHA, nullable=False),
    Column("result_json", Text, nullable=False),  # the contract JSON, rounded for presentation
    Column("exact_json", Text, nullable=False),  # the same figures unrounded
    Column("run_id", String(36), nullable=False),
    Column("created_at", _STAMP, nullable=False),
    Index("ix_rrr_results_as_of", "as_of"),
)


def _child_key() -> list[Column]:
    return [Column("institution_id", _ID, primary_key=True),
            Column("maintenance_period", _PERIOD, primary_key=True),
            Column("stage", String(16), primary_key=True),
            Column("result_version", Integer, primary_key=True)]


RESULT_LINES = Table(
    "rrr_result_lines", METADATA, *_child_key(),
    Column("line_no", Integer, primary_key=True),
    Column("category", _ID, nullable=False),
    Column("reserve_currency", String(3), nullable=False),
    Column("average_base", ExactDecimal),
    Column("ratio", ExactDecimal, nullable=False),
    Column("class_ratio", ExactDecimal, nullable=False),
    Column("required", ExactDecimal, nullable=False),
    Column("rule", _ID, nullable=False),
    Column("reductions_json", Text, nullable=False),
    Column("citations_json", Text, nullable=False),
    ForeignKeyConstraint(list(RESULT_KEY), [f"rrr_results.{c}" for c in RESULT_KEY]),
)

# The base of each result: the computation period's average (or end-of-period balance) per
# category and deposit currency, the figures of a pack's base-averages form (``pack.forms``).
RESULT_AVERAGES = Table(
    "rrr_base_averages", METADATA, *_child_key(),
    Column("category", _ID, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("average_balance", ExactDecimal, nullable=False),
    ForeignKeyConstraint(list(RESULT_KEY), [f"rrr_results.{c}" for c in RESULT_KEY]),
)


# ---- governance (migration step 2) ---------------------------------------------------------

_NAME = String(128)

# Maker-checker: every proposal, approval and rejection of a pack version (its sha256).
PACK_REVIEWS = Table(
    "rrr_pack_reviews", METADATA,
    Column("ruleset_sha256", _SHA, primary_key=True),
    Column("review_no", Integer, primary_key=True),  # 1, 2, ... per pack version
    Column("action", String(16), nullable=False),  # proposal | approval | rejection
    Column("ruleset_id", _ID, nullable=False),
    Column("ruleset_label", String(64), nullable=False),
    Column("actor", _NAME, nullable=False),
    Column("reason", Text, nullable=False),
    Column("files_json", Text),  # a proposal's rule files -> sha256, to name what changed
    Column("at", _STAMP, nullable=False),
)

# Append-only and hash-chained: hash = sha256(entry_json + prev_hash); seq 1, 2, 3, ...
AUDIT_LOG = Table(
    "rrr_audit_log", METADATA,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("entry_json", Text, nullable=False),
    Column("prev_hash", _SHA, nullable=False),
    Column("hash", _SHA, nullable=False),
    UniqueConstraint("prev_hash", name="uq_rrr_audit_log_prev_hash"),  # no fork in the chain
)

# A result version reported to the central bank: never superseded without a restatement.
SUBMISSIONS = Table(
    "rrr_submissions", METADATA, *_child_key(),
    Column("submitted_by", _NAME, nullable=False),
    Column("reference", Text, nullable=False),
    Column("submitted_at", _STAMP, nullable=False),
    ForeignKeyConstraint(list(RESULT_KEY), [f"rrr_results.{c}" for c in RESULT_KEY]),
)

# A result version that supersedes a submitted one (the key is the new version).
RESULT_RESTATEMENTS = Table(
    "rrr_result_restatements", METADATA, *_child_key(),
    Column("submitted_version", Integer, nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("created_at", _STAMP, nullable=False),
    ForeignKeyConstraint(list(RESULT_KEY), [f"rrr_results.{c}" for c in RESULT_KEY]),
)

# The institution record a result was computed from, so stored periods can be re-evaluated.
INSTITUTION_RECORDS = Table(
    "rrr_institution_records", METADATA,
    Column("institution_fingerprint", _SHA, primary_key=True),
    Column("institution_id", _ID, nullable=False),
    Column("record_json", Text, nullable=False),
)

# Settings of the store itself, e.g. approval_required (production mode).
STORE_SETTINGS = Table(
    "rrr_store_settings", METADATA,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("set_by", _NAME, nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_at", _STAMP, nullable=False),
)
