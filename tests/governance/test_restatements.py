"""Locked periods: submitting results, restatements by a restated snapshot or a retroactive
amendment (rrr reevaluate), and the restatement report - on SQLite and PostgreSQL.

Expected figures come from tests/nightly_data.py's Fraction arithmetic, not from the engine.
"""

import csv
import datetime as dt
import io
from decimal import Decimal as D
from fractions import Fraction

import governance_data as gd
import nightly_data as nd
import pytest
from clirun import rrr
from sqlalchemy import select

from rrr_engine.store import schema
from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest, version

KEY = ("BANK1", "vnd_short", "VND")


@pytest.fixture
def stored(db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    code, _, err = gd.backfill(capsys, db_url, sources)
    assert code == 0, err
    return db_url, sources


def submit(capsys, db, period, *args):
    return rrr(capsys, "periods", "submit", "--db", db, "--period", period, "--by", "dave",
               "--reference", "SBV filing 42", *args)


def result(db, inst, period, stage, number=None):
    with Storage.open(db) as store, store.transaction() as conn:
        if number is None:
            return latest(conn, inst, period, stage)
        return version(conn, inst, period, stage, number)


def report(capsys, db, *args):
    code, out, err = rrr(capsys, "restatements", "--db", db, *args)
    assert code == 0, err
    return out


def test_submitting_marks_the_latest_versions_and_audits_it(stored, capsys):
    db, _ = stored
    code, out, err = submit(capsys, db, "2025-10")
    assert code == 0, err
    assert out.splitlines() == [f"submitted BANK{i} 2025-10 {stage} v1 by dave"
                                for stage in ("requirement", "close") for i in (1, 2, 3)]
    code, out, _ = rrr(capsys, "periods", "status", "--db", db, "--period", "2025-10")
    assert "2025-10 close BANK1 v1: submitted by dave on " in out and "(SBV filing 42)" in out
    assert rrr(capsys, "audit", "verify", "--db", db)[0] == 0


def test_submitting_one_stage_leaves_the_other_open(stored, capsys):
    db, _ = stored
    code, out, _ = submit(capsys, db, "2025-11", "--stage", "requirement")
    assert code == 0 and out.count("submitted") == 3 and "close" not in out


def test_submitting_a_period_twice_is_refused(stored, capsys):
    db, _ = stored
    assert submit(capsys, db, "2025-10")[0] == 0
    code, out, err = submit(capsys, db, "2025-10")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "requirement and close of 2025-10 already submitted: the latest versions were " \
           "submitted by dave on " in err


def test_submitting_a_period_with_no_results_is_refused(stored, capsys):
    db, _ = stored
    code, _, err = submit(capsys, db, "2025-07")
    assert code == 2 and "no stored requirement or close results for period 2025-07" in err


def test_a_restated_snapshot_of_a_submitted_period_is_a_restatement(stored, tmp_path, capsys):
    db, sources = stored
    assert submit(capsys, db, "2025-10")[0] == 0
    day = dt.date(2025, 9, 15)
    override = {(KEY, day): D("49000000000000.5")}
    gd.feed(tmp_path / "feed", override)
    code, out, err = gd.nightly(capsys, db, sources, "--date", str(day), "--restate")
    assert code == 0, err
    assert ("RESTATEMENT BANK1 2025-10 requirement: v2 supersedes submitted v1 "
            "(rrr restatements --period 2025-10)") in out
    v1, v2 = (result(db, "BANK1", "2025-10", "requirement", n) for n in (1, 2))
    old = nd.presented(nd.expected_required("BANK1", 2025, 10)["VND"], 0)
    new = nd.presented(nd.expected_required("BANK1", 2025, 10, override)["VND"], 0)
    assert D(v1.presented["required"]["VND"]) == old  # the submitted version is kept as it was
    assert D(v2.presented["required"]["VND"]) == new
    text = report(capsys, db, "--period", "2025-10")
    assert "BANK1 2025-10 requirement: v2 restates submitted v1" in text
    assert f"total VND required: {old:,} -> {new:,} ({new - old:,})" in text


def test_the_restatement_report_lists_old_new_difference_packs_and_rule(stored, tmp_path, capsys):
    db, sources = stored
    assert submit(capsys, db, "2025-10", "--stage", "close")[0] == 0
    amended = gd.amended_pack(tmp_path / "amended")
    code, out, err = rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period",
                         "2025-10", "--to-period", "2025-10", "--by", "erin", "--why",
                         "Decision 9999",
                         "--csv", tmp_path / "restated.csv")
    assert code == 0, err
    text = (tmp_path / "restated.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    # the requirement of 2025-10 moved too, but was never submitted: no restatement row
    assert {(r["stage"], r["category"], r["figure"]) for r in rows} == {
        ("close", "vnd_short", "required"), ("close", "total", "required"),
        ("close", "total", "excess"), ("close", "total", "shortfall"),
        ("close", "total", "interest")}
    line = next(r for r in rows if r["category"] == "vnd_short")
    avg = nd.average(lambda d: nd.balance(KEY, d), 2025, 9)
    assert D(line["difference"]) == D(line["new"]) - D(line["old"])
    assert D(line["old"]) == nd.presented(Fraction(3, 100) * avg, 0)
    assert D(line["new"]) == nd.presented(Fraction(4, 100) * avg, 0)
    held = nd.expected_held("BANK1", "VND", 2025, 10)
    required = nd.expected_required("BANK1", 2025, 10)["VND"] + Fraction(1, 100) * avg
    short = next(r for r in rows if r["figure"] == "shortfall")
    assert (D(short["old"]), D(short["new"])) == (0, nd.presented(required - held, 0))
    from rrr_engine.rules.pack import load_pack
    assert line["old_ruleset_sha256"] == load_pack(gd.VN_PACK).sha256
    assert line["new_ruleset_sha256"] == load_pack(amended).sha256
    assert (line["old_ruleset_version"], line["new_ruleset_version"]) == ("2025-10", "2025-10")
    assert (line["old_rule"], line["new_rule"]) == ("d1158-2977-2025", "d1158-2977-2025")
    assert (line["old_version"], line["new_version"]) == ("1", "2")
    assert "BANK1 2025-10 close: v2 restates submitted v1" in out
    assert "1 restatement(s)" in out
    # written under the reevaluation's own run, the amended pack and the audit head after it
    from rrr_engine.store.audit import head
    with Storage.open(db) as store:
        run = store.runs()[-1]
        with store.transaction() as conn:
            seq, digest = head(conn)
    assert {(r["run_id"], r["pack_sha256"], r["pack_approval"], r["audit_head"]) for r in rows} == {
        (run["run_id"], load_pack(amended).sha256, "unreviewed", f"{seq}:{digest}")}


def test_reevaluate_writes_new_versions_only_where_figures_change(stored, tmp_path, capsys):
    db, _ = stored
    amended = gd.amended_pack(tmp_path / "amended")
    code, out, err = rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period",
                         "2025-09", "--to-period", "2025-11", "--why", "Decision 9999")
    assert code == 0, err
    assert out.splitlines()[:3] == ["BANK1 2025-10 requirement: v1 -> v2",
                                    "BANK1 2025-10 close: v1 -> v2",
                                    "BANK1 2025-11 requirement: v1 -> v2"]
    assert "3 new result version(s), 6 unchanged, 0 restatement(s)" in out
    assert result(db, "BANK2", "2025-10", "close").result_version == 1
    # the same pack again moves nothing: nothing is written
    code, out, _ = rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period",
                       "2025-09", "--to-period", "2025-11", "--why", "again")
    assert code == 0 and "0 new result version(s), 9 unchanged" in out
    with Storage.open(db) as store:
        runs = store.runs()[-2:]
    from rrr_engine.rules.pack import load_pack
    assert [(r["ruleset_sha256"], r["outcome"], r["mode"], r["ruleset_approval"])
            for r in runs] == [(load_pack(amended).sha256, "ok", "demo", "unreviewed")] * 2


def test_reevaluate_keeps_to_the_periods_asked_for(stored, tmp_path, capsys):
    db, _ = stored
    amended = gd.amended_pack(tmp_path / "amended")
    code, out, _ = rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period",
                       "2025-11", "--to-period", "2025-11", "--why", "November only")
    assert code == 0 and out.splitlines()[0] == "BANK1 2025-11 requirement: v1 -> v2"
    assert result(db, "BANK1", "2025-10", "requirement").result_version == 1


def test_reevaluate_in_production_refuses_an_unapproved_pack(stored, tmp_path, capsys):
    db, _ = stored
    amended = gd.amended_pack(tmp_path / "amended")
    with Storage.open(db) as store:
        before = store.dump(), len(store.runs())
    code, out, err = rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period",
                         "2025-09", "--to-period", "2025-11", "--why", "x", "--production")
    assert code == 2 and out == "" and "production mode: reevaluate refuses to run" in err
    with Storage.open(db) as store:
        assert (store.dump(), len(store.runs())) == before


def test_reevaluate_refuses_a_backwards_range(stored, tmp_path, capsys):
    db, _ = stored
    code, _, err = rrr(capsys, "reevaluate", "--db", db, "--rules", gd.VN_PACK, "--from-period",
                       "2025-11", "--to-period", "2025-09", "--why", "x")
    assert code == 2 and "--to-period 2025-09 is before --from-period 2025-11" in err


def test_the_period_report_gets_a_restatements_sheet(stored, tmp_path, capsys):
    db, _ = stored
    assert submit(capsys, db, "2025-11")[0] == 0
    amended = gd.amended_pack(tmp_path / "amended")
    assert rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period", "2025-11",
               "--to-period", "2025-11", "--why", "Decision 9999")[0] == 0
    code, out, err = rrr(capsys, "report", "--db", db, "--period", "2025-11", "--out", tmp_path,
                         "--rules", amended)
    assert code == 0, err
    path = tmp_path / "reports" / "2025-11" / "rrr_2025-11_restatements.csv"
    assert str(path) in out
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [(r["institution_id"], r["category"], r["figure"]) for r in rows] == [
        ("BANK1", "vnd_short", "required"), ("BANK1", "total", "required")]


def test_restatements_are_audited(stored, tmp_path, capsys):
    db, _ = stored
    assert submit(capsys, db, "2025-11")[0] == 0
    amended = gd.amended_pack(tmp_path / "amended")
    assert rrr(capsys, "reevaluate", "--db", db, "--rules", amended, "--from-period", "2025-11",
               "--to-period", "2025-11", "--why", "Decision 9999", "--by", "erin")[0] == 0
    from rrr_engine.store import audit
    with Storage.open(db) as store, store.transaction() as conn:
        kinds = [(e.kind, e.data.get("by")) for e in audit.entries(conn)][-3:]
        restated = conn.execute(select(schema.RESULT_RESTATEMENTS)).one()
    assert kinds == [("reevaluation", "erin"), ("result", None), ("restatement", None)]
    assert (restated.institution_id, restated.result_version, restated.submitted_version) == (
        "BANK1", 2, 1)
    assert rrr(capsys, "audit", "verify", "--db", db)[0] == 0


def test_no_restatement_is_reported_before_any_submission(stored, capsys):
    db, _ = stored
    assert report(capsys, db) == "no restatement\n"
