"""rrr demo: the README's first command, end to end on the synthetic core bank, and every
command after it finding the demo's data without a flag (the one --db default)."""

import csv
import io
import json
import os
from decimal import Decimal as D

import pytest
from clirun import VN_PACK, printed, rrr
from openpyxl import load_workbook
from PIL import Image

from rrr_engine.cli.main import main
from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest_for_period

ACCOUNTS = "200"
# the back-dated correction the demo takes in: 1,000,000,000 VND more on 15 July 2025 in a
# VND current account, a vnd_short deposit (Decision 1158 Art. 1: 3% for other_ci)
CORRECTION, JULY_DAYS, RATIO = D(1_000_000_000), 31, D("0.03")
# the demo's own tables: run ids, times and hashes aside, two runs store the same
_FIGURES = ("rrr_daily_holdings", "rrr_daily_totals", "rrr_fx_rates", "rrr_results",
            "rrr_result_lines", "rrr_base_averages")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """``rrr demo`` run once with its defaults in an empty working directory."""
    work = tmp_path_factory.mktemp("demo")
    here = os.getcwd()
    os.chdir(work)
    try:
        assert main(["demo", "--accounts", ACCOUNTS]) == 0
    finally:
        os.chdir(here)
    return work


@pytest.fixture
def in_demo(demo, monkeypatch):
    monkeypatch.chdir(demo)
    return demo


def test_demo_with_defaults_keeps_a_year_evaluates_closes_and_reports(demo):
    out = demo / "out"
    sept = sorted(p.name for p in (out / "reports" / "2025-09").iterdir())
    assert sept == ["rrr_2025-09.xlsx", "rrr_2025-09_DEMO_holdings.png", "rrr_2025-09_dtbb001.csv",
                    "rrr_2025-09_obligation.csv", "rrr_2025-09_requirement.csv"]
    assert load_workbook(out / "reports" / "2025-09" / "rrr_2025-09.xlsx").sheetnames == [
        "DTBB001", "Requirement", "Obligation", "Provenance"]
    with Image.open(out / "reports" / "2025-09" / "rrr_2025-09_DEMO_holdings.png") as img:
        assert img.size == (1200, 900)  # a VND panel and a USD panel
    with Storage.open(f"sqlite:///{out / 'rrr.sqlite'}") as store, store.transaction() as conn:
        (october,) = latest_for_period(conn, "2025-10", "requirement")
        (close,) = latest_for_period(conn, "2025-09", "close")
        # a year of history: a requirement for each month October 2024 - October 2025
        months = [f"{y}-{m:02d}" for y, m in [(2024, 10), (2024, 11), (2024, 12)]
                  + [(2025, m) for m in range(1, 11)]]
        assert all(latest_for_period(conn, m, "requirement") for m in months)
        assert all(latest_for_period(conn, m, "close") for m in months[:-1])
    assert october.ruleset_version == "2025-10" and D(october.presented["required"]["VND"]) > 0
    assert set(close.presented["held"]) == {"VND", "USD"}


def test_every_command_finds_the_demo_database_without_a_flag(in_demo, capsys):
    code, out, err = rrr(capsys, "periods", "status", "--format", "json")
    assert code == 0, err
    submitted = {(s["maintenance_period"], s["stage"]) for s in json.loads(out)}
    assert ("2024-10", "requirement") in submitted and ("2025-08", "close") in submitted
    assert not any(period >= "2025-09" for period, _ in submitted)

    code, out, err = rrr(capsys, "audit", "verify")
    assert code == 0 and "intact" in out, err
    code, out, _ = rrr(capsys, "audit", "log", "--format", "json")
    kinds = {e["kind"] for e in json.loads(out)}
    assert {"proposal", "approval", "result", "submission", "restatement"} <= kinds

    code, out, _ = rrr(capsys, "rules", "status", "--rules", VN_PACK)
    assert code == 0 and f"{VN_PACK}: approved" in out

    code, out, err = rrr(capsys, "report", "--period", "2025-09", "--out", in_demo / "again")
    assert code == 0, err
    assert (in_demo / "again" / "reports" / "2025-09" / "rrr_2025-09.xlsx").is_file()


def test_the_correction_restated_the_submitted_august_requirement(in_demo, capsys):
    code, out, err = rrr(capsys, "restatements", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    # the requirement of August (its computation period is July), and the close of August
    # that compares it with the holdings
    assert {(r["maintenance_period"], r["stage"]) for r in rows} == {
        ("2025-08", "requirement"), ("2025-08", "close")}
    (total,) = [r for r in rows if r["category"] == "total" and r["currency"] == "VND"
                and r["stage"] == "requirement" and r["figure"] == "required"]
    assert (total["old_version"], total["new_version"]) == ("1", "2")
    # July's average grows by CORRECTION / 31; the requirement by 3% of that, each figure
    # rounded to the dong on its own, so the difference is within a dong of the exact one
    exact = RATIO * CORRECTION / JULY_DAYS
    assert abs(D(total["difference"]) - exact) < 1
    code, text, _ = rrr(capsys, "restatements")
    assert "DEMO 2025-08 requirement: v2 restates submitted v1" in text


def test_the_whatif_pack_moves_the_stored_year_in_rules_diff(in_demo, capsys):
    whatif = in_demo / "out" / "whatif-pack"
    code, out, err = rrr(capsys, "rules", "diff", VN_PACK, whatif, "--db", "--format", "json")
    assert code == 0, err
    diff = json.loads(out)
    changed = {(c["name"], d["field"], d["old"], d["new"]) for c in diff["changes"]
               for d in c["details"]}
    # one line in words, whatever table the cell is in (rules diff words a ratio change so)
    assert ("", "other_ci vnd_short", "3%", "4%") in changed
    moved = diff["impact"]["moved"]
    periods = {m["period"] for m in moved if m["stage"] == "requirement"}
    assert {"2024-10", "2025-09"} <= periods
    # each moved requirement's vnd_short line is 4/3 of what it was: the ratio 3% -> 4%
    for m in moved:
        for f in m["moves"]:
            if f["category"] == "vnd_short" and f["figure"] == "required":
                assert D(f["new"]) * 3 == D(f["old"]) * 4


def test_reevaluate_with_the_whatif_pack_restates_submitted_periods(demo, tmp_path, capsys):
    # a copy: the other tests read the demo's database as the demo left it
    db = tmp_path / "rrr.sqlite"
    db.write_bytes((demo / "out" / "rrr.sqlite").read_bytes())
    code, out, err = rrr(capsys, "reevaluate", "--db", f"sqlite:///{db}", "--rules",
                         demo / "out" / "whatif-pack", "--from-period", "2025-07",
                         "--to-period", "2025-09", "--why", "what if", "--by", "analyst",
                         "--format", "json")
    assert code == 0, err
    done = json.loads(out)
    assert {(w["maintenance_period"], w["stage"]) for w in done["written"]} == {
        (p, s) for p in ("2025-07", "2025-08", "2025-09") for s in ("requirement", "close")}
    # submitted: July and August (the requirement of August for the second time)
    assert {(r["maintenance_period"], r["stage"]) for r in done["restatements"]} == {
        ("2025-07", "requirement"), ("2025-07", "close"), ("2025-08", "requirement"),
        ("2025-08", "close")}
    assert "rrr: warning:" in "\n".join(printed(err))  # the what-if pack is not approved


def test_demo_is_repeatable_and_replaces_its_own_files(demo, tmp_path, capsys):
    code, _, err = rrr(capsys, "demo", "--accounts", ACCOUNTS, "--out", tmp_path / "again")
    assert code == 0, err

    def figures(path):
        with Storage.open(f"sqlite:///{path}") as store:
            return [line for line in store.dump().splitlines() if line.split()[0] in _FIGURES]

    first = figures(demo / "out" / "rrr.sqlite")
    assert first and figures(tmp_path / "again" / "rrr.sqlite") == first


def test_demo_never_replaces_a_database_it_did_not_make(tmp_path, capsys):
    out = tmp_path / "out"
    with Storage.open(f"sqlite:///{out / 'rrr.sqlite'}") as store:
        store.finish_run(store.start_run(command="rrr nightly --date 2025-09-01",
                                         engine_version="0", sources={},
                                         ruleset={"id": "vn-sbv", "label": "x",
                                                  "sha256": "0" * 64},
                                         date_from=None, date_to=None, mode="demo",
                                         ruleset_approval="unreviewed"),
                         outcome="ok", exit_code=0)
    before = (out / "rrr.sqlite").read_bytes()
    code, _, err = rrr(capsys, "demo", "--accounts", "1", "--out", out)
    assert code == 2
    assert printed(err) == [f"rrr: error: --out: {out / 'rrr.sqlite'} holds results rrr demo did "
                            "not make (its first run: rrr nightly --date 2025-09-01); rrr demo "
                            "replaces only its own: give another --out"]
    assert (out / "rrr.sqlite").read_bytes() == before


def test_a_bad_account_count_is_one_line(tmp_path, capsys):
    code, _, err = rrr(capsys, "demo", "--accounts", "0", "--out", tmp_path)
    assert code == 2 and err == "rrr: error: --accounts 0: expected at least 1\n"
