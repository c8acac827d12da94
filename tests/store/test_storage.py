"""Storage: migrations, exact decimals, immutable result versions - on SQLite and PostgreSQL."""

import datetime as dt
from decimal import Decimal as D

import pytest
from clirun import VN_PACK
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, inspect, select, text

from rrr_engine.engine import Engine
from rrr_engine.errors import DatabaseUnavailable, StorageError
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.store import schema
from rrr_engine.store.database import Storage
from rrr_engine.store.migrations import MIGRATIONS, Migration, current_version, migrate
from rrr_engine.store.results import (
    latest,
    latest_for_period,
    put_result,
    read_averages,
    read_lines,
)
from rrr_engine.store.snapshots import (
    DaySnapshot,
    read_balances,
    read_day,
    read_fx_rates,
    write_day,
)

DAY = dt.date(2025, 9, 15)
NOW = dt.datetime(2025, 9, 16, 1, 0, tzinfo=dt.UTC)
# more digits than a binary double holds, a long fraction, exponent notation, a tiny value
AWKWARD = [D("12345678901234567890.123456789"), D("0.1"), D("1E+3"), D("0.000000000000000001")]


@pytest.fixture
def store(db_url):
    with Storage.open(db_url) as s:
        yield s


def test_migrated_database_matches_the_current_schema(store):
    with store.transaction() as conn:
        insp = inspect(conn)
        for table in schema.METADATA.sorted_tables:
            have = {c["name"] for c in insp.get_columns(table.name)}
            assert have == {c.name for c in table.columns}, table.name
            pk = insp.get_pk_constraint(table.name)["constrained_columns"]
            assert set(pk) == {c.name for c in table.primary_key.columns}, table.name
        assert current_version(conn) == len(MIGRATIONS)


def test_reopening_applies_nothing_twice(db_url):
    Storage.open(db_url).close()
    with Storage.open(db_url) as s, s.transaction() as conn:
        versions = conn.execute(text("SELECT version FROM rrr_schema_version")).scalars().all()
    assert versions == [m.version for m in MIGRATIONS]


def test_a_newer_database_is_refused(db_url):
    with Storage.open(db_url) as s, s.transaction() as conn:
        conn.execute(text("INSERT INTO rrr_schema_version (version, description, applied_at) "
                          "VALUES (99, 'from the future', CURRENT_TIMESTAMP)"))
    with pytest.raises(StorageError, match="version 99, newer than this rrr-engine"):
        Storage.open(db_url)


def test_a_failing_migration_leaves_the_previous_version_intact(db_url):
    Storage.open(db_url).close()

    def half_done(conn):
        Table("rrr_half", MetaData(), Column("x", Integer)).create(conn)
        raise StorageError("step 2 failed on purpose")

    steps = (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "breaks", half_done))
    with Storage.open(db_url) as s:
        with pytest.raises(StorageError, match="on purpose"):
            with s.transaction() as conn:
                migrate(conn, steps)
        with s.transaction() as conn:
            assert current_version(conn) == len(MIGRATIONS)
            assert not inspect(conn).has_table("rrr_half")


def test_a_version_1_database_is_upgraded_in_place(db_url):
    engine = create_engine(db_url)
    with engine.begin() as conn:  # a store as the nightly job left it before governance
        migrate(conn, MIGRATIONS[:1])
        conn.execute(text(
            "INSERT INTO rrr_runs (run_id, command, started_at, engine_version, ruleset_id, "
            "ruleset_label, ruleset_sha256, sources_json) VALUES ('r1', 'rrr nightly', "
            "CURRENT_TIMESTAMP, '0.1.0', 'vn-sbv', '2025.10', :sha, '{}')"), {"sha": "a" * 64})
    engine.dispose()
    with Storage.open(db_url) as s:
        with s.transaction() as conn:
            assert current_version(conn) == len(MIGRATIONS) == 4
            assert inspect(conn).has_table("rrr_audit_log")
        (run,) = s.runs()
    assert run["run_id"] == "r1" and (run["mode"], run["ruleset_approval"]) == (None, None)


def test_a_version_3_store_keeps_its_rates_and_averages_under_the_neutral_names(db_url):
    """A store written before step 4 (FX rates under the first pack's column name, base
    averages in rrr_result_averages) is renamed in place: every row kept, read by today's code."""
    engine = create_engine(db_url)
    key = {"institution_id": "X1", "maintenance_period": "2025-10", "stage": "requirement",
           "result_version": 1}
    with engine.begin() as conn:
        migrate(conn, MIGRATIONS[:3])
        conn.execute(text("INSERT INTO rrr_fx_rates (business_date, currency, vnd_per_unit) "
                          "VALUES (:d, 'USD', '25350.123456789012345678')"), {"d": DAY})
        conn.execute(text(
            "INSERT INTO rrr_results (institution_id, maintenance_period, stage, result_version, "
            "computation_period, as_of, status, has_shortfall, ruleset_id, ruleset_version, "
            "ruleset_sha256, institution_fingerprint, input_fingerprint, content_sha256, "
            "result_json, exact_json, run_id, created_at) VALUES (:institution_id, "
            ":maintenance_period, :stage, :result_version, '2025-09', :d, 'required', false, "
            "'vn-sbv', '2025-10', :h, :h, :h, :h, '{}', '{}', 'r1', :now)"),
            {**key, "d": DAY, "h": "a" * 64, "now": NOW})
        conn.execute(text(
            "INSERT INTO rrr_result_averages (institution_id, maintenance_period, stage, "
            "result_version, category, currency, average_balance) VALUES (:institution_id, "
            ":maintenance_period, :stage, :result_version, 'vnd_short', 'VND', "
            "'1234567890.123456789')"), key)
    engine.dispose()
    with Storage.open(db_url) as s, s.transaction() as conn:
        assert current_version(conn) == 4
        assert not inspect(conn).has_table("rrr_result_averages")
        assert read_fx_rates(conn, DAY, DAY) == [FxRate(DAY, "USD", D("25350.123456789012345678"))]
        (stored,) = latest_for_period(conn, "2025-10", "requirement")
        assert read_averages(conn, stored) == {("vnd_short", "VND"): D("1234567890.123456789")}


def test_snapshot_amounts_round_trip_exactly(store):
    rows = [BalanceRow("B", DAY, "vnd_short", "VND", a) for a in AWKWARD[:1]] + [
        BalanceRow("B", DAY, "fx_short", ccy, a)
        for ccy, a in zip(("USD", "EUR", "JPY"), AWKWARD[1:], strict=True)]
    snap = DaySnapshot.of(DAY, rows, [FxRate(DAY, "USD", D("26000.123456789012345678901"))],
                          [HoldingRow("B", DAY, "VND", D("1800000000000.5"))])
    with store.transaction() as conn:
        write_day(conn, snap, revision=1, run_id="r", now=NOW)
    with store.transaction() as conn:
        back = read_day(conn, DAY)
        amounts = {(r.category, r.currency): r.amount for r in read_balances(conn, DAY, DAY)}
    assert back.snapshot == snap
    assert back.fingerprint == snap.fingerprint
    assert amounts[("vnd_short", "VND")] == D("12345678901234567890.123456789")
    assert str(amounts[("vnd_short", "VND")]) == "12345678901234567890.123456789"
    assert amounts[("fx_short", "EUR")] == D(1000)
    assert amounts[("fx_short", "JPY")] == D("0.000000000000000001")
    assert back.snapshot.fx_rates[0].domestic_per_unit == D("26000.123456789012345678901")


def test_same_value_with_other_trailing_zeros_is_the_same_snapshot():
    a = DaySnapshot.of(DAY, [BalanceRow("B", DAY, "vnd_short", "VND", D("1.50"))], [], None)
    b = DaySnapshot.of(DAY, [BalanceRow("B", DAY, "vnd_short", "VND", D("1.5"))], [], None)
    c = DaySnapshot.of(DAY, [BalanceRow("B", DAY, "vnd_short", "VND", D("1.51"))], [], None)
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_a_float_amount_is_refused_not_stored(store):
    with pytest.raises(StorageError, match="exact decimal column given 0.1"):
        with store.transaction() as conn:
            conn.execute(schema.DAILY_TOTALS.insert().values(
                institution_id="B", business_date=DAY, category="vnd_short", currency="VND",
                amount=0.1))
    with store.transaction() as conn:
        assert conn.execute(select(schema.DAILY_TOTALS)).first() is None


def _result(engine, vnd_short: str):
    inst = Institution(id="B", name="Bank", **{"class": "other_ci"})
    sep = [BalanceRow("B", d, "vnd_short", "VND", D(vnd_short))
           for d in (dt.date(2025, 9, 1) + dt.timedelta(days=n) for n in range(30))]
    return engine.evaluate("2025-10", institutions=[inst], balances=sep)[0]


def test_results_are_versioned_and_never_rewritten(store):
    engine = Engine(VN_PACK)
    kw = dict(stage="requirement", rounding=engine.pack.header.rounding, averages={},
              input_fingerprint="i" * 64, institution_fingerprint="f" * 64, run_id="r", now=NOW)
    with store.transaction() as conn:
        assert put_result(conn, _result(engine, "1000000.7"), as_of=DAY, **kw) == 1
        assert put_result(conn, _result(engine, "1000000.7"), as_of=DAY, **kw) is None
        assert put_result(conn, _result(engine, "1000000.70"), as_of=DAY, **kw) is None
        assert put_result(conn, _result(engine, "2000000"), as_of=DAY + dt.timedelta(1), **kw) == 2
    with store.transaction() as conn:
        rows = conn.execute(select(schema.RESULTS.c.result_version, schema.RESULTS.c.as_of)
                            .order_by(schema.RESULTS.c.result_version)).all()
        v2 = latest(conn, "B", "2025-10", "requirement")
        lines = {ln["category"]: ln for ln in read_lines(conn, v2)}
    assert [tuple(r) for r in rows] == [(1, DAY), (2, DAY + dt.timedelta(1))]
    assert v2.result_version == 2
    # 3% of 2,000,000 exactly; the stored line keeps its rule and citation
    assert lines["vnd_short"]["required"] == D("60000")
    assert lines["vnd_short"]["rule"] == "d1158-2977-2025"
    assert lines["vnd_short"]["citations"] == [
        "Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision 2977/QĐ-NHNN (2025)"]
    # the exact figures are stored beside the rounded contract JSON
    assert v2.exact["lines"][0]["average_base"] == "2000000"


def test_an_unusable_url_is_one_storage_error():
    with pytest.raises(StorageError, match="cannot use database URL nosuch://"):
        Storage.open("nosuch://somewhere/db")


def test_an_unreachable_server_is_a_temporary_failure_without_the_password():
    with pytest.raises(DatabaseUnavailable) as err:  # nothing listens on port 1
        Storage.open("postgresql+psycopg2://u:secret@127.0.0.1:1/none")
    assert "secret" not in str(err.value) and "\n" not in str(err.value)
    assert "127.0.0.1:1" in str(err.value) and "retry when the server is up" in str(err.value)
