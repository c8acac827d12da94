"""The test database backends themselves: the PostgreSQL cluster and the db_url fixture."""

from decimal import Decimal

import pgcluster
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    select,
    text,
)
from sqlalchemy.engine import make_url


def test_server_answers_select_version(postgres_url):
    u = make_url(postgres_url)
    assert u.drivername == "postgresql"
    assert u.host == "127.0.0.1"
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("select version()")).scalar_one()
            settings = dict(
                conn.execute(
                    text(
                        "select name, setting from pg_settings where name in "
                        "('fsync', 'full_page_writes', 'synchronous_commit', 'listen_addresses')"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert settings == {
        "fsync": "off",
        "full_page_writes": "off",
        "synchronous_commit": "off",
        "listen_addresses": "127.0.0.1",
    }


def test_fresh_databases_are_empty_and_isolated(postgres_url):
    first = pgcluster.create_database(postgres_url)
    second = pgcluster.create_database(postgres_url)
    assert make_url(first).database != make_url(second).database
    a, b = create_engine(first), create_engine(second)
    try:
        with a.begin() as conn:
            conn.execute(text("create table only_in_first (x integer)"))
            conn.execute(text("insert into only_in_first values (1)"))
        with b.connect() as conn:
            tables = conn.execute(
                text("select tablename from pg_tables where schemaname = 'public'")
            ).scalars().all()
        assert tables == []
        with a.connect() as conn:
            assert conn.execute(text("select x from only_in_first")).scalar_one() == 1
    finally:
        a.dispose()
        b.dispose()
        pgcluster.drop_database(postgres_url, make_url(first).database)
        pgcluster.drop_database(postgres_url, make_url(second).database)


def test_fresh_pg_url_is_a_new_empty_database(fresh_pg_url, postgres_url):
    assert make_url(fresh_pg_url).database != make_url(postgres_url).database
    engine = create_engine(fresh_pg_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(
                text("select count(*) from pg_tables where schemaname = 'public'")
            ).scalar_one()
            assert conn.execute(text("select current_database()")).scalar_one() == (
                make_url(fresh_pg_url).database
            )
    finally:
        engine.dispose()
    assert count == 0


# At most 15 significant digits: SQLite has no decimal type and stores NUMERIC as an 8-byte
# float, so Decimal("-99999999999999.99") (16 digits) comes back as ...98 there. PostgreSQL
# is exact at any size; SQLite is exact only up to 15 digits.
AMOUNTS = [
    Decimal("123456789012.34"),
    Decimal("0.01"),
    Decimal("-9999999999999.99"),
    Decimal("0.00"),
]


def test_db_url_round_trips_exact_decimals(db_url):
    metadata = MetaData()
    balances = Table(
        "balances",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("account", String(20), nullable=False),
        Column("amount", Numeric(18, 2), nullable=False),
    )
    engine = create_engine(db_url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                balances.insert(),
                [{"account": f"acct-{i}", "amount": amount} for i, amount in enumerate(AMOUNTS)],
            )
        with engine.connect() as conn:
            rows = conn.execute(select(balances.c.amount).order_by(balances.c.id)).scalars().all()
            big = conn.execute(
                select(balances.c.amount).where(balances.c.account == "acct-0")
            ).scalar_one()
    finally:
        engine.dispose()
    assert all(isinstance(r, Decimal) for r in rows)
    assert rows == AMOUNTS
    assert big == Decimal("123456789012.34") and str(big) == "123456789012.34"


def test_find_bindir_prefers_the_highest_version(monkeypatch, tmp_path):
    for version in ("9.6", "15", "10"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        for tool in ("initdb", "postgres"):
            (bindir / tool).write_text("#!/bin/sh\n")
            (bindir / tool).chmod(0o755)
    (tmp_path / "16" / "bin").mkdir(parents=True)  # a client-only install: no server
    monkeypatch.setattr(pgcluster, "BIN_GLOB", str(tmp_path / "*" / "bin"))
    assert pgcluster.find_bindir() == str(tmp_path / "15" / "bin")


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_postgres_is_fatal_only_on_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    assert pgcluster.missing_is_fatal() is (ci == "true")
