"""Kill ``rrr nightly`` at many points and resume: the store ends byte-identical to an
uninterrupted run, and no killed run ever leaves part of a date behind.

Each run is a real subprocess. Crash points are chosen two ways: ``RRR_TEST_KILL_AFTER=n``
makes the process ``os._exit(137)`` inside a transaction after its n-th written row (some n
aimed at the middle of the month-start evaluation, others random), and real SIGKILLs after a
random delay. After every kill the store must hold only whole dates, each equal to the
reference's; then a plain rerun must complete it to the reference dump, byte for byte.
"""

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time

import nightly_data as nd
import pytest
from clirun import ROOT, VN_PACK
from sqlalchemy import and_, func, select

from rrr_engine.store import schema
from rrr_engine.store.database import Storage

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)
SEED = 20251001


def command(db, feed):
    return [sys.executable, "-m", "rrr_engine.cli.main", "nightly", "--from", str(START), "--to",
            str(END), "--db", db, "--rules", str(VN_PACK), "--institutions", feed["institutions"],
            "--balances", feed["balances"], "--fx-rates", feed["fx_rates"], "--holdings",
            feed["holdings"], "--no-reports"]


def environment(kill_after=None):
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("RRR_TEST_KILL_AFTER", None)
    if kill_after is not None:
        env["RRR_TEST_KILL_AFTER"] = str(kill_after)
    return env


def run(db, feed, kill_after=None):
    return subprocess.run(command(db, feed), env=environment(kill_after), capture_output=True,
                          text=True, timeout=300)


def dump(db):
    with Storage.open(db) as store:
        return store.dump()


def assert_whole_dates_only(db, reference_lines):
    """Every stored line is one the uninterrupted run has; every date has all its rows."""
    text = dump(db)
    extra = [line for line in text.splitlines() if line not in reference_lines]
    assert extra == [], extra[:3]
    with Storage.open(db) as store, store.transaction() as conn:
        days = conn.execute(select(schema.SNAPSHOT_DAYS)).all()
        for table, column in ((schema.DAILY_TOTALS, "balance_rows"), (schema.FX_RATES, "fx_rows"),
                              (schema.DAILY_HOLDINGS, "holding_rows")):
            counts = dict(conn.execute(select(table.c.business_date, func.count()).group_by(
                table.c.business_date)).all())
            for day in days:
                assert counts.pop(day.business_date, 0) == getattr(day, column)
            assert counts == {}, f"{table.name} has rows of dates never completed: {counts}"


def stored_rows(db, before=None):
    """Rows a store holds (all, or those of dates before ``before``), counted the way the
    kill switch counts them: snapshot rows plus one per date, results with lines and averages."""
    days, results = schema.SNAPSHOT_DAYS, schema.RESULTS
    with Storage.open(db) as store, store.transaction() as conn:
        q = select(func.coalesce(func.sum(days.c.balance_rows + days.c.fx_rows
                                          + days.c.holding_rows + 1), 0))
        if before is not None:
            q = q.where(days.c.business_date < before)
        total = conn.execute(q).scalar_one()
        for table in (results, schema.RESULT_LINES, schema.RESULT_AVERAGES):
            on = and_(*[table.c[k] == results.c[k] for k in schema.RESULT_KEY])
            q = select(func.count()).select_from(
                table if table is results else table.join(results, on))
            if before is not None:
                q = q.where(results.c.as_of < before)
            total += conn.execute(q).scalar_one()
    return int(total)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db(request, tmp_path):
    """A factory of empty databases on one backend."""
    import pgcluster

    made = []

    def make(name):
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name}.sqlite"
        server = request.getfixturevalue("postgres_url")
        db_name = pgcluster.unique_db_name(name)
        made.append((server, db_name))
        return pgcluster.create_database(server, db_name)

    yield make
    for server, db_name in made:
        pgcluster.drop_database(server, db_name)


def test_killed_runs_resume_to_a_byte_identical_store(new_db, tmp_path):
    feed = nd.write_feed(tmp_path / "feed", START, END)
    reference_db = new_db("reference")
    started = time.monotonic()
    done = run(reference_db, feed)
    duration = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    reference = dump(reference_db)
    reference_lines = set(reference.splitlines())
    total = stored_rows(reference_db)
    with Storage.open(reference_db) as store:
        assert json.loads(store.runs()[0]["summary_json"])["rows_written"] == total
    october = stored_rows(reference_db, before=dt.date(2025, 10, 1))
    rng = random.Random(SEED)
    # inside the first snapshot, at a date boundary, inside the October 1 snapshot, in the
    # middle of its evaluations (after its 16 snapshot rows), in the last result; and at random
    aimed = [1, 17, october + 5, october + 16 + 3, october + 16 + 30, total - 2]
    points = sorted(set(aimed + rng.sample(range(2, total - 1), 4)))

    db = new_db("killed")  # one store, killed again and again, each run resuming the last
    for point in points:
        # a process counts the rows it writes itself; committed dates it finds unchanged
        already = stored_rows(db)
        assert already < point
        result = run(db, feed, kill_after=point - already)
        assert result.returncode == 137, (point, result.stderr)
        assert stored_rows(db) < point  # the dying transaction left nothing
        assert_whole_dates_only(db, reference_lines)
        with Storage.open(db) as store:
            assert store.runs()[-1]["outcome"] is None  # a killed run never recorded an end
    assert run(db, feed).returncode == 3
    assert dump(db) == reference

    db = new_db("sigkilled")
    for _ in range(3):  # real SIGKILLs at random moments, the same store resumed each time
        proc = subprocess.Popen(command(db, feed), env=environment(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, max(duration, 0.6)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert_whole_dates_only(db, reference_lines)
    assert run(db, feed).returncode == 3
    assert dump(db) == reference


def test_a_store_holds_the_same_dump_on_sqlite_and_postgresql(tmp_path, postgres_url):
    import pgcluster

    feed = nd.write_feed(tmp_path / "feed", START, END)
    name = pgcluster.unique_db_name("same_dump")
    pg = pgcluster.create_database(postgres_url, name)
    try:
        sqlite = f"sqlite:///{tmp_path / 'same.sqlite'}"
        assert run(sqlite, feed).returncode == 3
        assert run(pg, feed).returncode == 3
        assert dump(sqlite) == dump(pg)
    finally:
        pgcluster.drop_database(postgres_url, name)
