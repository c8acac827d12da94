"""PostgreSQL through both drivers: psycopg 3 behind plain ``postgresql://`` URLs (the form the
docs use; SQLAlchemy 2.1 maps it to psycopg 3, a dependency), and psycopg2 behind
``postgresql+psycopg2://`` for hosts that still use it (the dev extra installs psycopg2 for
these tests)."""

import datetime as dt
from decimal import Decimal as D

import pgcluster
import pytest
import sqlalchemy as sa

from rrr_corebank_sample import generate
from rrr_engine.models import BalanceRow, FxRate
from rrr_engine.store.database import Storage
from rrr_engine.store.snapshots import DaySnapshot, read_balances, write_day

DRIVERS = {"postgresql": "psycopg", "postgresql+psycopg2": "psycopg2"}
DAY = dt.date(2025, 9, 15)
NOW = dt.datetime(2025, 9, 16, 1, 0, tzinfo=dt.UTC)


def _through(url: str, drivername: str) -> str:
    return sa.make_url(url).set(drivername=drivername).render_as_string(hide_password=False)


def test_the_test_server_hands_out_plain_postgresql_urls(postgres_url):
    assert sa.make_url(postgres_url).drivername == "postgresql"


@pytest.mark.parametrize("drivername", DRIVERS)
def test_the_results_database_round_trips_exact_amounts_through_each_driver(
        fresh_pg_url, drivername):
    amounts = [D("12345678901234567890.123456789"), D("0.000000000000000001"), D("1E+3")]
    rows = [BalanceRow("B", DAY, "fx_short", ccy, a)
            for ccy, a in zip(("USD", "EUR", "JPY"), amounts, strict=True)]
    snap = DaySnapshot.of(DAY, rows, [FxRate(DAY, "USD", D("26000.123456789012345678901"))], None)
    with Storage.open(_through(fresh_pg_url, drivername)) as store:
        assert store.engine.dialect.driver == DRIVERS[drivername]
        with store.transaction() as conn:
            write_day(conn, snap, revision=1, run_id="r", now=NOW)
        with store.transaction() as conn:
            back = {r.currency: r.amount for r in read_balances(conn, DAY, DAY)}
    assert back == {"USD": amounts[0], "EUR": amounts[1], "JPY": D(1000)}
    assert str(back["USD"]) == "12345678901234567890.123456789"


def test_the_sample_bank_loads_the_same_through_each_driver(postgres_url):
    # generate_bank loads with COPY, which each driver spells its own way
    dumps = {}
    for drivername in DRIVERS:
        url = pgcluster.create_database(postgres_url)
        generate.generate_bank(_through(url, drivername), accounts=40, seed=3,
                               start=dt.date(2025, 9, 29), end=dt.date(2025, 10, 1))
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                dumps[drivername] = {
                    t.name: conn.execute(sa.select(t).order_by(*t.columns)).all()
                    for t in generate.METADATA.sorted_tables}
        finally:
            engine.dispose()
        pgcluster.drop_database(postgres_url, sa.make_url(url).database)
    plain, legacy = dumps.values()
    assert all(plain[name] for name in plain)  # every table has rows
    assert plain == legacy
