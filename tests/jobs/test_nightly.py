"""rrr nightly: month-start evaluation, month close with holdings, idempotence, restatement,
exit codes and atomicity of a failing date - against real SQLite and PostgreSQL.

Expected figures come from tests/nightly_data.py's own Fraction arithmetic over the feed's
generating functions, not from the engine.
"""

import datetime as dt
import json
import sys
from decimal import Decimal as D
from types import SimpleNamespace

import nightly_data as nd
import pytest
from clirun import VN_PACK, errors, printed, rrr
from sqlalchemy import select

from rrr_engine.cli.nightly import logged_command
from rrr_engine.engine import Engine
from rrr_engine.jobs.nightly import NightlyJob
from rrr_engine.rules.pack import load_pack
from rrr_engine.store import schema
from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest, latest_for_period

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backfill(request, tmp_path_factory):
    """August 1 to October 2 through the library API, once per backend."""
    url = nd.module_db_url(request, tmp_path_factory)
    folder = tmp_path_factory.mktemp("feed")
    sources = nd.write_feed(folder, START, END)
    engine = Engine(VN_PACK)
    with Storage.open(url) as store:
        summary = NightlyJob(engine, store, sources).run(nd.dates(START, END))
    return SimpleNamespace(url=url, sources=sources, engine=engine, summary=summary)


def stored(url, month, stage):
    with Storage.open(url) as store, store.transaction() as conn:
        return {r.institution_id: r for r in latest_for_period(conn, month, stage)}


def money(values):
    return {ccy: D(v) for ccy, v in values.items()}


def test_requirement_is_evaluated_on_the_first_day_of_the_month(backfill):
    october = stored(backfill.url, "2025-10", "requirement")
    september = stored(backfill.url, "2025-09", "requirement")
    for inst in ("BANK1", "BANK2", "BANK3"):
        assert october[inst].as_of == dt.date(2025, 10, 1)
        assert september[inst].as_of == dt.date(2025, 9, 1)
        for (year, month), got in (((2025, 10), october[inst]), ((2025, 9), september[inst])):
            want = nd.expected_required(inst, year, month)
            assert money(got.presented["required"]) == {
                "VND": nd.presented(want["VND"], 0), "USD": nd.presented(want["USD"], 2)}
    # the ratio version changes with Decision 2977 from the 2025-10 maintenance month
    assert october["BANK1"].ruleset_version == "2025-10"
    assert september["BANK1"].ruleset_version < "2025-10"
    assert "held" not in october["BANK1"].presented  # holdings of October are not known yet


def test_previous_month_is_closed_against_its_holdings_on_the_next_first_day(backfill):
    close = stored(backfill.url, "2025-09", "close")
    bank1 = close["BANK1"]
    assert bank1.as_of == dt.date(2025, 10, 1)
    required = nd.expected_required("BANK1", 2025, 9)
    held_vnd = nd.expected_held("BANK1", "VND", 2025, 9)
    assert D(bank1.presented["held"]["VND"]) == nd.presented(held_vnd, 0)
    assert D(bank1.presented["shortfall"]["VND"]) == nd.presented(required["VND"] - held_vnd, 0)
    assert D(bank1.presented["shortfall"]["USD"]) == 0
    assert bank1.has_shortfall and not close["BANK2"].has_shortfall
    # August cannot be closed: its requirement needs July, which was never snapshotted
    assert stored(backfill.url, "2025-08", "close") == {}
    notes = {s.skipped for d in backfill.summary.days for s in d.stages if s.skipped}
    assert any("close of 2025-08" in n and "2025-07-01" in n for n in notes)
    assert [r.key for r in backfill.summary.shortfalls] == [("BANK1", "2025-09", "close", 1)]


def test_stored_results_equal_a_direct_evaluation_of_the_same_files(backfill):
    engine = backfill.engine
    direct = {r["institution_id"]: r for r in engine.to_json(
        engine.evaluate_sources("2025-09", backfill.sources))}
    for inst, r in stored(backfill.url, "2025-09", "close").items():
        assert r.presented == direct[inst]
    no_holdings = {k: v for k, v in backfill.sources.items() if k != "holdings"}
    direct = {r["institution_id"]: r for r in engine.to_json(
        engine.evaluate_sources("2025-10", no_holdings))}
    for inst, r in stored(backfill.url, "2025-10", "requirement").items():
        assert r.presented == direct[inst]


def test_each_result_line_keeps_its_rule_and_citation(backfill):
    with Storage.open(backfill.url) as store, store.transaction() as conn:
        rows = conn.execute(select(schema.RESULT_LINES).where(
            schema.RESULT_LINES.c.institution_id == "BANK1",
            schema.RESULT_LINES.c.maintenance_period == "2025-10",
            schema.RESULT_LINES.c.stage == "requirement")).all()
    by_cat = {r.category: r for r in rows}
    assert set(by_cat) == {"vnd_short", "vnd_long", "fx_overseas_ci", "fx_short", "fx_long"}
    assert by_cat["fx_short"].ratio == D("0.08") and by_cat["fx_short"].rule == "d1158-2977-2025"
    assert json.loads(by_cat["fx_short"].citations_json) == [
        "Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision 2977/QĐ-NHNN (2025)"]


def test_the_run_manifest_records_what_ran(backfill):
    with Storage.open(backfill.url) as store:
        (run,) = store.runs()
    assert run["outcome"] == "shortfall" and run["exit_code"] == 3
    assert run["ruleset_id"] == "vn-sbv" and run["ruleset_sha256"] == backfill.engine.pack.sha256
    assert run["engine_version"] == "0.1.0"
    assert (run["date_from"], run["date_to"]) == (START, END)
    assert len(run["input_fingerprint"]) == 64 and run["finished_at"] >= run["started_at"]
    assert json.loads(run["summary_json"])["new"] == (END - START).days + 1


# ---- the command ---------------------------------------------------------------------------

def nightly(capsys, db, feed, *args):
    return rrr(capsys, "nightly", "--db", db, "--rules", VN_PACK, "--institutions",
               feed["institutions"], "--balances", feed["balances"], "--fx-rates", feed["fx_rates"],
               "--holdings", feed["holdings"], "--no-reports", *args)


def dump(url):
    with Storage.open(url) as store:
        return store.dump()


def test_exit_code_is_3_for_a_shortfall_and_0_otherwise(tmp_path, capsys):
    feed, db = nd.write_feed(tmp_path / "feed", START, END), f"sqlite:///{tmp_path}/r.sqlite"
    code, out, err = nightly(capsys, db, feed, "--from", "2025-08-01", "--to", "2025-09-30")
    assert code == 0, err
    assert "61 date(s) 2025-08-01..2025-09-30: 61 new" in out
    code, out, err = nightly(capsys, db, feed, "--date", "2025-10-01")
    assert code == 3, err
    assert "SHORTFALL BANK1 2025-09: VND " in out
    # the alert belongs to the date: running the same date again raises it again
    code, out, _ = nightly(capsys, db, feed, "--date", "2025-10-01")
    assert code == 3 and "1 unchanged" in out and "0 result version(s) stored" in out
    code, _, _ = nightly(capsys, db, feed, "--date", "2025-10-02")
    assert code == 0


def test_sources_can_be_given_as_key_value_options_and_passwords_stay_out_of_the_log(
        tmp_path, capsys, monkeypatch):
    feed, db = nd.write_feed(tmp_path / "feed", START, END), f"sqlite:///{tmp_path}/r.sqlite"
    args = ["nightly", "--db", db, "--rules", str(VN_PACK), "--no-reports",
            "--date", "2025-08-01", "--source", f"institutions={feed['institutions']}",
            "--source", f"balances={feed['balances']}",
            "--source", "bank_url=postgresql://reader:s3cret@core.example/books"]
    monkeypatch.setattr(sys, "argv", ["rrr", *args])  # what the process would have been given
    code, out, err = rrr(capsys, *args)
    assert code == 0, err
    with Storage.open(db) as store:
        (run,) = store.runs()
    logged = json.loads(run["sources_json"])
    assert logged["balances"] == feed["balances"]
    assert logged["bank_url"] == "postgresql://reader:***@core.example/books"
    assert "s3cret" not in run["sources_json"] and "s3cret" not in run["command"]
    assert "bank_url=postgresql://reader:***@core.example/books" in run["command"]
    assert logged_command(["--db", "postgresql://u:pw@h/d"]) == "rrr --db postgresql://u:***@h/d"


def test_running_the_same_dates_twice_changes_nothing(db_url, tmp_path, capsys):
    feed = nd.write_feed(tmp_path / "feed", dt.date(2025, 8, 25), dt.date(2025, 9, 2))
    code, _, err = nightly(capsys, db_url, feed, "--from", "2025-08-25", "--to", "2025-09-02")
    assert code == 0, err
    before = dump(db_url)
    code, out, err = nightly(capsys, db_url, feed, "--from", "2025-08-25", "--to", "2025-09-02")
    assert code == 0, err
    assert "0 new, 9 unchanged, 0 restated; 0 result version(s) stored" in out
    assert dump(db_url) == before
    assert "rrr_daily_totals" in before


def test_a_changed_figure_for_a_stored_date_is_refused_without_restate(db_url, tmp_path, capsys):
    feed = nd.write_feed(tmp_path / "feed", START, END)
    assert nightly(capsys, db_url, feed, "--from", "2025-09-14", "--to", "2025-09-16")[0] == 0
    before = dump(db_url)
    key = ("BANK1", "vnd_short", "VND")
    nd.write_feed(tmp_path / "feed", START, END,
                  override={(key, dt.date(2025, 9, 15)): D("49000000000000.5")})
    code, out, err = nightly(capsys, db_url, feed, "--from", "2025-09-14", "--to", "2025-09-16")
    assert code == 2 and out == ""
    assert len(errors(err)) == 1 and "Traceback" not in err
    assert "nightly stopped at 2025-09-15 (dates up to 2025-09-14 are stored)" in errors(err)[0]
    was = nd.balance(key, dt.date(2025, 9, 15))
    assert f"balances BANK1 vnd_short VND: stored {was}, source now 49000000000000.5" in err
    assert "49000000000000.5" in err and "--restate" in err
    assert dump(db_url) == before


def test_restating_a_day_stores_new_result_versions_and_keeps_the_old(db_url, tmp_path, capsys):
    feed = nd.write_feed(tmp_path / "feed", START, END)
    assert nightly(capsys, db_url, feed, "--from", str(START), "--to", str(END))[0] == 3
    key, day = ("BANK1", "vnd_short", "VND"), dt.date(2025, 9, 15)
    override = {(key, day): D("49000000000000.5")}
    nd.write_feed(tmp_path / "feed", START, END, override=override)
    code, out, err = nightly(capsys, db_url, feed, "--date", str(day), "--restate")
    # September is October's computation month: October's requirement changes; September's
    # close (its requirement comes from August, its holdings did not change) stays at v1
    assert code == 0, err
    assert "2025-09-15  snapshot restated; requirement 2025-10: BANK1 v2\n" in out
    with Storage.open(db_url) as store, store.transaction() as conn:
        v2 = latest(conn, "BANK1", "2025-10", "requirement")
        r = schema.RESULTS.c
        versions = conn.execute(select(r.result_version, r.as_of).where(
            r.institution_id == "BANK1", r.maintenance_period == "2025-10")).all()
        log = conn.execute(select(schema.RESTATEMENTS)).one()
        bank2 = latest(conn, "BANK2", "2025-10", "requirement")
    assert sorted(tuple(v) for v in versions) == [(1, dt.date(2025, 10, 1)), (2, day)]
    want = nd.expected_required("BANK1", 2025, 10, override)
    assert D(v2.presented["required"]["VND"]) == nd.presented(want["VND"], 0)
    assert bank2.result_version == 1  # nothing of BANK2 changed
    assert (log.business_date, log.revision) == (day, 1)
    was = str(nd.balance(key, day))
    assert ["BANK1", "vnd_short", "VND", was] in json.loads(log.previous_rows_json)["balances"]


def test_restating_holdings_recloses_the_month_and_raises_the_alert_again(tmp_path, capsys):
    feed, db = nd.write_feed(tmp_path / "feed", START, END), f"sqlite:///{tmp_path}/r.sqlite"
    assert nightly(capsys, db, feed, "--from", str(START), "--to", str(END))[0] == 3
    day = dt.date(2025, 9, 22)
    override = {(("BANK1", "VND"), day): D("1400000000000")}
    nd.write_feed(tmp_path / "feed", START, END, override=override)
    code, out, err = nightly(capsys, db, feed, "--date", str(day), "--restate")
    assert code == 3, err
    assert "2025-09-22  snapshot restated; close 2025-09: BANK1 v2\n" in out
    close = stored(db, "2025-09", "close")["BANK1"]
    held = nd.expected_held("BANK1", "VND", 2025, 9, override)
    required = nd.expected_required("BANK1", 2025, 9)["VND"]
    assert (close.result_version, close.as_of) == (2, day)
    assert D(close.presented["shortfall"]["VND"]) == nd.presented(required - held, 0)


def test_an_incomplete_computation_month_is_not_evaluated_until_it_is_complete(tmp_path, capsys):
    feed, db = nd.write_feed(tmp_path / "feed", START, END), f"sqlite:///{tmp_path}/r.sqlite"
    code, _, err = nightly(capsys, db, feed, "--from", "2025-09-10", "--to", "2025-10-02")
    assert code == 0
    assert ("requirement of 2025-10 not evaluated yet: 9 day(s) from 2025-09-01 to 2025-09-09 "
            "are not snapshotted") in err
    assert stored(db, "2025-10", "requirement") == {}
    assert nightly(capsys, db, feed, "--from", "2025-09-01", "--to", "2025-09-09")[0] == 0
    code, out, _ = nightly(capsys, db, feed, "--date", "2025-10-02")
    assert code == 0 and "requirement 2025-10: BANK1 v1, BANK2 v1, BANK3 v1" in out
    assert stored(db, "2025-10", "requirement")["BANK1"].as_of == dt.date(2025, 10, 2)


def test_a_failing_date_leaves_nothing_of_itself(db_url, tmp_path, capsys):
    feed = nd.write_feed(tmp_path / "feed", START, END)
    balances = tmp_path / "feed" / "balances.csv"  # the source has not loaded 2025-10-01 yet
    balances.write_text("".join(line for line in balances.read_text().splitlines(keepends=True)
                                if ",2025-10-01," not in line))
    code, out, err = nightly(capsys, db_url, feed, "--from", "2025-09-01", "--to", "2025-10-02")
    assert code == 2 and len(errors(err)) == 1
    assert "nightly stopped at 2025-10-01 (dates up to 2025-09-30 are stored)" in errors(err)[0]
    assert ("2025-10-01 is a working day and the source gave no balances for it; nothing of "
            "2025-10-01 is stored") in err and "--source empty_days=2025-10-01" in err
    # the run failed, and its warnings are still both logged and printed
    warning = "pack vn-sbv version {} was never proposed or approved (demo mode ran it; "
    warning = warning.format(load_pack(VN_PACK).sha256[:12])
    assert any(line.endswith(" WARNING nightly " + warning + "production mode refuses it)")
               for line in err.splitlines())
    assert "rrr: warning: " + warning + "production mode refuses it)" in printed(err)
    with Storage.open(db_url) as store:
        with store.transaction() as conn:
            days = conn.execute(select(schema.SNAPSHOT_DAYS.c.business_date)).scalars().all()
            oct1 = conn.execute(select(schema.DAILY_HOLDINGS).where(
                schema.DAILY_HOLDINGS.c.business_date == dt.date(2025, 10, 1))).all()
        (run,) = store.runs()
    assert sorted(days) == nd.dates(dt.date(2025, 9, 1), dt.date(2025, 9, 30)) and oct1 == []
    assert run["outcome"] == "error" and run["exit_code"] == 2
    assert "no balances" in run["error_message"]


@pytest.mark.parametrize("args, message", [
    (("--from", "2025-09-02", "--to", "2025-09-01"),
     "rrr: error: --to 2025-09-01 is before --from 2025-09-02\n"),
    (("--from", "2025-09-02"), "--from needs --to"),
    (("--date", "2025-09-02", "--to", "2025-09-03"), "--to goes with --from"),
    (("--date", "2025-13-01"), "'2025-13-01' is not a date; expected YYYY-MM-DD"),
    (("--date", "2025-09-02", "--source", "novalue"), "'novalue': expected KEY=VALUE"),
])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    feed = nd.write_feed(tmp_path / "feed", START, START)
    try:
        code, _, err = nightly(capsys, f"sqlite:///{tmp_path}/r.sqlite", feed, *args)
    except SystemExit as exit_:  # argparse's own checks end the process, as they would in a shell
        code, err = exit_.code, capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_progress_bar_only_when_asked(tmp_path, capsys):
    feed, db = nd.write_feed(tmp_path / "feed", START, END), f"sqlite:///{tmp_path}/r.sqlite"
    _, _, err = nightly(capsys, db, feed, "--from", "2025-08-01", "--to", "2025-08-03")
    assert "\r[" not in err  # stderr is not a terminal under pytest
    _, _, err = nightly(capsys, db, feed, "--from", "2025-08-04", "--to", "2025-08-06",
                        "--progress")
    assert "\r[##########....................] 1/3  2025-08-04" in err
    assert "3/3  2025-08-06  done" in err
