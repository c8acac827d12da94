"""Honest exits: bad input 2 wherever it is found, 75 for what is unreachable or locked (with a
retry hint), 70 only for bugs; reading commands never create a results database; the
core-banking adapter never creates a file and names the mapping field a database lacks.

Real SQLite files and a real PostgreSQL server (tests/pgcluster.py): a server that is down is a
port nothing listens on, a wrong password is a role that must log in with one.
"""

import datetime as dt
import socket
import sqlite3
from pathlib import Path

import nightly_data as nd
import psycopg
import pytest
from clirun import VN_PACK, printed, rrr
from sqlalchemy.engine import make_url

from rrr_engine.store.database import Storage

ROOT = Path(__file__).resolve().parents[2]
MAPPING = (ROOT / "plugins" / "rrr_corebank_sql" / "sample" / "rrr_corebank_sample"
           / "sample_mapping.yaml")
START = dt.date(2025, 9, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line(err: str, prefix: str = "rrr: error: ") -> str:
    lines = [ln for ln in printed(err) if not ln.startswith(("rrr: note:", "rrr: warning:"))]
    assert len(lines) == 1 and lines[0].startswith(prefix) and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def feed(tmp_path):
    return nd.write_feed(tmp_path / "feed", START, START + dt.timedelta(days=2))


def nightly(capsys, db, feed, *extra):
    files = [x for k, v in feed.items() for x in (f"--{k.replace('_', '-')}", v)]
    return rrr(capsys, "nightly", "--from", "2025-09-01", "--to", "2025-09-03", "--db", db,
               "--no-reports", *files, *extra)


# ---- reading commands never create a results database --------------------------------------

READERS = {
    "report": ["report", "--period", "2025-09"],
    "audit verify": ["audit", "verify"],
    "audit log": ["audit", "log"],
    "rules status": ["rules", "status"],
    "rules diff --db": ["rules", "diff", str(VN_PACK), str(VN_PACK)],
    "periods status": ["periods", "status"],
    "periods submit": ["periods", "submit", "--period", "2025-09", "--by", "x"],
    "restatements": ["restatements"],
    "reevaluate": ["reevaluate", "--rules", str(VN_PACK), "--from-period", "2025-09",
                   "--to-period", "2025-09", "--by", "x", "--why", "y"],
    "rules approve": ["rules", "approve", "--sha", "a" * 12, "--by", "x", "--why", "y"],
}


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_mistyped_sqlite_db_is_refused_and_not_created(command, tmp_path, capsys):
    missing = tmp_path / "typo" / "rrr.sqlite"
    code, out, err = rrr(capsys, *READERS[command], "--db", f"sqlite:///{missing}")
    assert code == 2 and "intact" not in out
    assert one_line(err) == (f"rrr: error: no results database at sqlite:///{missing} (check "
                             "--db; the nightly job creates it)")
    assert not missing.exists() and not missing.parent.exists()


@pytest.mark.parametrize("command", ["audit verify", "report", "rules diff --db"])
def test_an_empty_postgresql_database_is_not_a_results_database(command, fresh_pg_url, capsys):
    code, out, err = rrr(capsys, *READERS[command], "--db", fresh_pg_url)
    assert code == 2 and "intact" not in out
    assert "no results database at" in one_line(err) and "no rrr-engine tables" in err
    conn = psycopg.connect(make_url(fresh_pg_url).render_as_string(hide_password=False)
                           .replace("+psycopg", ""))
    with conn, conn.cursor() as cur:  # nothing was created in it
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert cur.fetchone()[0] == 0
    conn.close()


def test_a_missing_postgresql_database_is_bad_input(postgres_url, capsys):
    url = make_url(postgres_url).set(database="no_such_db").render_as_string(hide_password=False)
    code, _, err = rrr(capsys, "audit", "verify", "--db", url)
    assert code == 2 and 'database "no_such_db" does not exist' in one_line(err)


def test_a_reading_command_still_reads_a_stored_database(tmp_path, feed, capsys):
    db = f"sqlite:///{tmp_path}/r.sqlite"
    assert nightly(capsys, db, feed)[0] == 0
    code, out, _ = rrr(capsys, "audit", "verify", "--db", db)
    assert code == 0 and "0 entries" in out  # September 1-3 store snapshots, no result yet
    with Storage.open(db, read_only=True) as store, store.transaction() as conn:
        with pytest.raises(Exception, match="readonly|read-only|query_only"):
            conn.exec_driver_sql("DELETE FROM rrr_snapshot_days")


# ---- temporary failures: exit 75 with a retry hint ------------------------------------------

def test_a_results_server_that_is_down_is_exit_75(feed, capsys):
    port = free_port()  # nothing listens there
    code, out, err = nightly(capsys, f"postgresql://rrr:secret@127.0.0.1:{port}/rrr", feed)
    line = one_line(err, "rrr: temporary failure: ")
    assert code == 75 and out == ""
    assert f"database postgresql://rrr:***@127.0.0.1:{port}/rrr cannot be reached" in line
    assert line.endswith("; retry when the server is up; check the host, port, user and password")
    assert "secret" not in err


@pytest.fixture
def password_role(postgres_url):
    """A role that must log in with its password: a pg_hba.conf line ahead of the cluster's
    trust lines, for this role only, and a reload."""
    admin = make_url(postgres_url)
    conn = psycopg.connect(host=admin.host, port=admin.port, user=admin.username,
                           dbname=admin.database)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SHOW hba_file")
    hba = Path(cur.fetchone()[0])
    original = hba.read_text()
    rule = "host all rrr_pw 127.0.0.1/32 scram-sha-256\n"
    hba.write_text(rule + original)
    cur.execute("DROP ROLE IF EXISTS rrr_pw")
    cur.execute("CREATE ROLE rrr_pw LOGIN PASSWORD 'right-one'")
    cur.execute("SELECT pg_reload_conf()")
    try:
        yield admin.set(username="rrr_pw", password="wrong-one")
    finally:
        hba.write_text(original)
        cur.execute("SELECT pg_reload_conf()")
        cur.execute("DROP ROLE IF EXISTS rrr_pw")
        conn.close()


def test_a_wrong_database_password_is_exit_75_and_never_shown(password_role, feed, capsys):
    db = password_role.render_as_string(hide_password=False)
    code, _, err = nightly(capsys, db, feed)
    line = one_line(err, "rrr: temporary failure: ")
    assert code == 75 and 'password authentication failed for user "rrr_pw"' in line
    assert "wrong-one" not in err and "retry" in line
    # the same login as a core-banking source
    code, _, err = nightly(capsys, "sqlite:///" + str(Path(feed["balances"]).parent / "r.db"),
                           {"institutions": feed["institutions"]}, "--source",
                           f"corebank_url={db}", "--source", f"corebank_mapping={MAPPING}")
    line = one_line(err, "rrr: temporary failure: ")
    assert code == 75 and "source database" in line and "wrong-one" not in err


def test_a_non_numeric_port_is_bad_input_naming_the_url(feed, capsys):
    code, _, err = nightly(capsys, "postgresql+psycopg2://u:pw@127.0.0.1:abc/x", feed)
    assert code == 2 and "cannot use database URL" in one_line(err) and ":pw@" not in err
    code, _, err = nightly(capsys, f"sqlite:///{Path(feed['balances']).parent}/r.db",
                           {"institutions": feed["institutions"]}, "--source",
                           "corebank_url=postgresql+psycopg2://u:pw@127.0.0.1:abc/x", "--source",
                           f"corebank_mapping={MAPPING}")
    assert code == 2 and "corebank_url: cannot use" in one_line(err) and ":pw@" not in err


def test_a_core_bank_that_is_down_is_exit_75_and_stores_nothing(tmp_path, feed, capsys):
    db = f"sqlite:///{tmp_path}/r.sqlite"
    code, _, err = nightly(capsys, db, {"institutions": feed["institutions"]}, "--source",
                           f"corebank_url=postgresql+psycopg2://core@127.0.0.1:{free_port()}/core",
                           "--source", f"corebank_mapping={MAPPING}")
    line = one_line(err, "rrr: temporary failure: ")
    assert code == 75 and "nightly stopped at 2025-09-01" in line and "source database" in line
    with Storage.open(db, read_only=True) as store, store.transaction() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM rrr_snapshot_days").scalar() == 0
    with Storage.open(db) as store:
        (run,) = store.runs()
    assert (run["outcome"], run["exit_code"]) == ("temporary_failure", 75)


def test_a_missing_core_bank_sqlite_file_is_refused_not_created(tmp_path, feed, capsys):
    core = tmp_path / "core" / "books.db"
    code, _, err = nightly(capsys, f"sqlite:///{tmp_path}/r.sqlite",
                           {"institutions": feed["institutions"]}, "--source",
                           f"corebank_url=sqlite:///{core}", "--source",
                           f"corebank_mapping={MAPPING}")
    assert code == 2
    assert f"corebank_url: no core-banking database at sqlite:///{core}" in one_line(err)
    assert not core.exists() and not core.parent.exists()


# ---- lock timeouts ------------------------------------------------------------------------

def test_a_sqlite_store_locked_past_the_timeout_is_exit_75(tmp_path, feed, capsys, monkeypatch):
    db = tmp_path / "r.sqlite"
    Storage.open(f"sqlite:///{db}").close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
    try:
        code, _, err = nightly(capsys, f"sqlite:///{db}", feed, "--lock-timeout", "0.2")
        line = one_line(err, "rrr: temporary failure: ")
        assert code == 75 and "is locked by another run" in line and "--lock-timeout" in line
        monkeypatch.setenv("RRR_LOCK_TIMEOUT", "0.1")
        assert nightly(capsys, f"sqlite:///{db}", feed)[0] == 75
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert nightly(capsys, f"sqlite:///{db}", feed)[0] == 0  # the lock gone, the run completes


def test_a_postgresql_store_locked_past_the_timeout_is_exit_75(fresh_pg_url, feed, capsys):
    from rrr_engine.store.database import _PG_LOCK_KEY
    Storage.open(fresh_pg_url).close()
    u = make_url(fresh_pg_url)
    holder = psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
    cur = holder.cursor()
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))  # held until rollback
    try:
        code, _, err = nightly(capsys, fresh_pg_url, feed, "--lock-timeout", "0.3")
        line = one_line(err, "rrr: temporary failure: ")
        assert code == 75 and "is locked by another run" in line and "lock timeout" in line
        # a reading command does not queue behind the writer
        assert rrr(capsys, "audit", "verify", "--db", fresh_pg_url)[0] == 0
    finally:
        holder.rollback()
        holder.close()
    assert nightly(capsys, fresh_pg_url, feed)[0] == 0


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan"])
def test_a_bad_lock_timeout_is_bad_input(value, tmp_path, feed, capsys, monkeypatch):
    monkeypatch.setenv("RRR_LOCK_TIMEOUT", value)
    code, _, err = nightly(capsys, f"sqlite:///{tmp_path}/r.sqlite", feed)
    assert code == 2 and f"RRR_LOCK_TIMEOUT: {value!r} is not a number of seconds above 0" in err


# ---- bad input deep inside is still bad input ------------------------------------------------

def test_a_share_finer_than_a_millionth_is_exit_2_naming_the_field(tmp_path, capsys):
    (tmp_path / "b.yaml").write_text(
        '- {id: A, class: agribank, agri_lending_share: "0.7500001"}\n')
    (tmp_path / "b.csv").write_text("institution_id,date,category,currency,amount\n"
                                    "A,2025-09-01,vnd_short,VND,5\n")
    code, out, err = rrr(capsys, "evaluate", "--rules", VN_PACK, "--institutions",
                         tmp_path / "b.yaml", "--balances", tmp_path / "b.csv", "--period",
                         "2025-10")
    assert code == 2 and out == ""
    assert one_line(err) == ("rrr: error: institution A: agri_lending_share: 0.7500001 is finer "
                             "than a millionth; expected a value with at most 6 decimal places, "
                             "such as \"0.75\"")


def test_every_help_lists_its_exit_codes(capsys):
    for command in (["evaluate"], ["nightly"], ["audit", "verify"], ["rules", "diff"]):
        with pytest.raises(SystemExit):
            rrr(capsys, *command, "--help")
        out = " ".join(capsys.readouterr().out.split())
        assert "exit status: 0 done;" in out and "75 temporary failure" in out
        assert ("4 partly failed" in out) == (command[-1] in ("evaluate", "nightly", "diff"))
        assert ("3 done, and a closed period has a shortfall" in out) == (command == ["nightly"])



# ---- a mapping naming what the core-banking database does not have --------------------------

@pytest.mark.parametrize("edit, field, problem", [
    (("currency: currency_code\n    gl_account", "currency: currency_cd\n    gl_account"),
     "accounts.columns.currency",
     "names column currency_cd, which table deposit_account of the core-banking database does "
     "not have"),
    (("gl_account: product.gl_account", "gl_account: product.gl_code"),
     "accounts.columns.gl_account",
     "names column gl_code, which table product of the core-banking database does not have"),
    (("table: eod_balance", "table: eod_balances"), "balances.table",
     "names table eod_balances, which the core-banking database does not have"),
])
def test_a_mapping_naming_an_unknown_column_or_table_is_bad_input(edit, field, problem, db_url,
                                                                   tmp_path, feed, capsys):
    from rrr_corebank_sample import generate
    if db_url.startswith("postgresql"):
        bank, results = db_url, f"sqlite:///{tmp_path}/r.sqlite"
    else:
        bank, results = f"sqlite:///{tmp_path}/bank.sqlite", db_url
    generate.generate_bank(bank, accounts=20, start=START, end=START, seed=3)
    mapping = tmp_path / "map.yaml"
    text = MAPPING.read_text()
    assert edit[0] in text
    mapping.write_text(text.replace(edit[0], edit[1]))
    code, _, err = rrr(capsys, "nightly", "--date", "2025-09-01", "--db", results, "--no-reports",
                       "--institutions", feed["institutions"], "--source",
                       f"corebank_url={bank}", "--source", f"corebank_mapping={mapping}")
    assert code == 2
    assert one_line(err).endswith(f"{mapping}: {field}: {problem}")
