"""``rrr rules`` on calendar packs: day-dated versions, tiered cells and allowances.

The ECB and Regulation D packs date their rules by days and list their maintenance periods;
Regulation D's net transaction accounts are a tiered cell; the ECB deducts an allowance. Every
rule tool (check, test, explain, export and import) works on them as on the Vietnam pack.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import Decimal as D

import pytest
from clirun import FIXTURES, ROOT, VN_PACK, rrr
from openpyxl import load_workbook

from rrr_engine.authoring.check.report import check_pack
from rrr_engine.authoring.sheets.cell_text import CellTextError, cell_text, parse_cell
from rrr_engine.authoring.sheets.writer import layout_of, render_table, table_span
from rrr_engine.rules.bands import Band
from rrr_engine.rules.pack import load_pack

US = ROOT / "rulesets" / "us-regd"
ECB = ROOT / "rulesets" / "ecb-mro"
PACKS = FIXTURES / "packs"
EXPLAIN = FIXTURES / "explain"


def files(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


# --- rrr rules check -------------------------------------------------------------------------

@pytest.mark.parametrize("pack", [VN_PACK, ECB, US], ids=lambda p: p.name)
def test_every_shipped_pack_passes_the_check(capsys, pack):
    code, out, _ = rrr(capsys, "rules", "check", pack)
    assert code == 0, out
    assert "0 errors, 0 warnings" in out and out.rstrip().endswith("check passed")


def test_us_regd_check_names_its_versions_as_day_spans(capsys):
    code, out, _ = rrr(capsys, "rules", "check", US)
    assert code == 0
    assert ("checked from 2019-01-17 in 3 versions: 2019-01-17 to 2020-01-15 (26 periods), "
            "2020-01-16 to 2020-03-25 (5 periods), 2020-03-26 onwards (21 periods)") in out
    # the first listed period is deliberately before the 2019 amounts: a note, not an error
    assert (f"{US}/periods.yaml:20: periods.maintenance.0: note: period 2019-01-03 "
            "(2019-01-03..2019-01-16) starts before the pack's first version 2019-01-17: "
            "evaluating it is refused (NoRulesetInForce)") in out


def test_us_regd_check_as_json_gives_the_spans_as_data(capsys):
    code, out, _ = rrr(capsys, "rules", "check", US, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["versions"] == ["2019-01-17", "2020-01-16", "2020-03-26"]
    assert data["version_spans"] == [
        {"from": "2019-01-17", "to": "2020-01-15", "periods": 26},
        {"from": "2020-01-16", "to": "2020-03-25", "periods": 5},
        {"from": "2020-03-26", "to": None, "periods": 21}]


def test_vn_check_names_its_versions_as_month_spans(capsys):
    _, out, _ = rrr(capsys, "rules", "check", VN_PACK)
    assert ("checked from 2011-09 in 5 versions: 2011-09 to 2018-05, 2018-06 to 2020-02, "
            "2020-03 to 2021-08, 2021-09 to 2025-09, 2025-10 onwards\n") in out


def test_gap_between_day_bounded_tables_names_cells_dates_and_the_refused_period():
    report = check_pack(PACKS / "calendar_gap")
    assert not report.ok
    assert [str(i) for i in report.issues if i.is_error] == [
        f"{PACKS}/calendar_gap/ratios.yaml:2: ratios: gap: 2021-01-21 to 2021-01-27: no ratio "
        "table covers all classes × all categories; evaluating period 2021-01-21 "
        "(2021-01-21..2021-01-27) is refused (NoRuleApplies) (add a ratio row, or declare the "
        "range under not_covered: with a reason)"]
    gap = next(i for i in report.issues if i.code == "gap")
    assert gap.cells[0] == {"class": "bank", "category": "transaction", "from": "2021-01-21",
                            "to": "2021-01-27", "tables": [], "rows": [], "exempt": [],
                            "declared": [], "periods": ["2021-01-21"]}
    assert {(c["class"], c["category"]) for c in gap.cells} == {
        ("bank", "transaction"), ("bank", "time"), ("thrift", "transaction"), ("thrift", "time")}


def _shifted_gap(tmp_path, early_to: str, late_from: str):
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "calendar_gap", pack)
    ratios = pack / "ratios.yaml"
    ratios.write_text(ratios.read_text().replace("to: 2021-01-20", f"to: {early_to}")
                      .replace("from: 2021-01-28", f"from: {late_from}"))
    return check_pack(pack)


def test_gap_in_which_no_listed_period_starts_is_not_an_error(tmp_path):
    # t-early ends mid-period (2021-01-23, inside 2021-01-21..27) and t-late starts on
    # 2021-01-25: the two days between lie inside a listed period, so nothing is refused
    report = _shifted_gap(tmp_path, "2021-01-23", "2021-01-25")
    assert report.ok
    notes = {i.code: i.message for i in report.issues if i.severity == "note"}
    assert notes["gap"].startswith("gap: 2021-01-24: no ratio table covers all classes × all "
                                   "categories; it lies inside listed maintenance periods")
    mid = [i.message for i in report.issues if i.code == "mid_period"]
    assert mid == [
        "ends 2021-01-23, inside period 2021-01-21 (2021-01-21..2021-01-27), which started "
        "while it was in force: it governs that period to its end (2021-01-27)",
        "starts 2021-01-25, inside period 2021-01-21 (2021-01-21..2021-01-27), which keeps the "
        "rules in force on its start day: it first applies to period 2021-01-28 "
        "(2021-01-28..2021-02-03)"]


def test_gap_beyond_the_listed_periods_is_a_warning(tmp_path):
    # the last listed period starts 2021-02-04; nothing is listed from 2021-02-11 on
    report = _shifted_gap(tmp_path, "2021-02-10", "2021-03-01")
    assert report.ok
    warning = next(i for i in report.issues if i.code == "gap")
    assert warning.severity == "warning"
    assert warning.message.startswith(
        "gap: 2021-02-11 to 2021-02-28: no ratio table covers all classes × all categories; no "
        "listed maintenance period starts in it, so nothing is refused today")
    # t-late is in force for no listed period yet
    assert any(i.code == "no_period" and i.key == "ratios.t-late" for i in report.issues)


def test_day_bounded_overlap_names_the_period_that_would_fail(tmp_path):
    report = _shifted_gap(tmp_path, "2021-01-28", "2021-01-21")
    overlap = [str(i) for i in report.issues if i.code == "overlap"]
    assert overlap == [
        f"{tmp_path}/pack/ratios.yaml:7: ratios.t-early: overlap: 2021-01-21 to 2021-01-28: "
        "all classes × all categories covered more than once: t-early row 1 (ratios.yaml:7), "
        "t-late row 1 (ratios.yaml:17); evaluating periods 2021-01-21, 2021-01-28 fails "
        "(AmbiguousRules)"]


def test_unreachable_rules_of_a_calendar_pack_including_allowances():
    report = check_pack(PACKS / "calendar_unreachable")
    found = {(i.key, i.code): i for i in report.issues if i.severity != "note"}
    assert set(found) == {("ratios.t-2021", "shadowed"),
                          ("reductions.mid-week-half", "unreachable"),
                          ("reductions.own-ratio", "proposed_on_bands"),
                          ("allowances.thrift-allowance", "unreachable")}
    assert found[("reductions.mid-week-half", "unreachable")].message == (
        "can never apply: in force 2021-01-15 to 2021-01-19, which lies inside period "
        "2021-01-14 (2021-01-14..2021-01-20); no maintenance period starts in it, and a rule "
        "governs the periods that start within its dates")
    assert found[("allowances.thrift-allowance", "unreachable")].message == (
        "can never fire: in its whole window (2021-01-07 onwards) no class it names has a "
        "requirement to deduct it from (exempt, or no ratio cell)")
    assert ("t-2021 row 1 (transaction) is a tiered cell, which one proposed ratio cannot "
            "replace") in found[("reductions.own-ratio", "proposed_on_bands")].message
    lump = next(i for i in report.issues if i.key == "allowances.lump-sum")
    assert (lump.severity, lump.line) == ("note", 48)
    assert "it first applies to period 2021-01-21" in lump.message


def test_monthly_pack_refuses_a_day_bounded_declaration(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "declared_gap", pack)
    ratios = pack / "ratios.yaml"
    head, decl = ratios.read_text().split("not_covered:")
    ratios.write_text(head + "not_covered:"
                      + decl.replace('{from: "2020-01"}', "{from: 2020-01-15}"))
    assert [str(i) for i in check_pack(pack).issues if i.is_error] == [
        f"{pack}/ratios.yaml:15: not_covered.0.effective: effective dates are months (YYYY-MM) "
        "in a pack with monthly periods; days need periods: {kind: calendar}"]


# --- rrr rules test --------------------------------------------------------------------------

@pytest.mark.parametrize("pack", [ECB, US], ids=lambda p: p.name)
def test_calendar_pack_scenarios_pass_and_cover_every_rule(capsys, pack):
    code, out, _ = rrr(capsys, "rules", "test", pack, "--require-coverage")
    assert code == 0, out
    assert "Every rule and status is exercised by a scenario." in out


def test_allowances_count_in_scenario_coverage(capsys):
    code, out, _ = rrr(capsys, "rules", "test", ECB, "--format", "json")
    data = json.loads(out)
    lump = data["coverage"]["allowances.ecb-lump-sum"]
    assert lump["where"] == f"{ECB}/allowances.yaml:5"
    assert "ecb_allowance_never_takes_the_requirement_below_zero" in lump["scenarios"]
    assert data["unexercised"] == []


# --- rrr rules explain -----------------------------------------------------------------------

def explain(capsys, pack, institutions, institution, period, *extra):
    code, out, err = rrr(capsys, "rules", "explain", "--rules", pack, "--institutions",
                         institutions, "--institution", institution, "--period", period, *extra)
    assert code == 0, err
    return out


def test_explain_us_regd_shows_each_tranche(capsys):
    out = explain(capsys, US, EXPLAIN / "us_regd_institutions.yaml", "BANK-200", "2020-01-16",
                  "--balances", EXPLAIN / "us_regd_balances.csv")
    assert ("Maintenance period 2020-01-16 (2020-01-16..2020-01-29, 14 days) uses pack us-regd "
            "version 2020-01-16 (label 2020.03, sha256 ") in out
    assert ("the computation period is 2019-12-17..2019-12-30 (14 days); the base is the daily "
            "average over it.") in out
    assert ("  net_transaction_accounts: class depository_institution → tiered: 0% up to "
            "16,900,000 USD; 3% above 16,900,000 up to 127,500,000 USD; 10% above 127,500,000 "
            f"USD (ratio table regd-2020 row 1, {US}/ratios.yaml:28; 12 CFR Part 204 "
            "(Regulation D), Art. 204.9(a) (amounts for 2020") in out
    # 0% × 16.9m + 3% × 110.6m + 10% × 72.5m = 3.318m + 7.25m = 10.568m
    assert ("    average base 200,000,000.00 USD (computation period 2019-12-17..2019-12-30, "
            "14 days), in tranches:\n"
            "      0 to 16,900,000 USD: 16,900,000.00 USD × 0% = 0.00 USD\n"
            "      16,900,000 to 127,500,000 USD: 110,600,000.00 USD × 3% = 3,318,000.00 USD\n"
            "      above 127,500,000 USD: 72,500,000.00 USD × 10% = 7,250,000.00 USD\n"
            "      = 10,568,000.00 USD (effective ratio 5.284% of the base)\n") in out
    assert "Required: 10,568,000.00 USD." in out


def test_explain_us_regd_without_balances_and_before_the_pack(capsys):
    out = explain(capsys, US, EXPLAIN / "us_regd_institutions.yaml", "BANK-200", "2020-03-26")
    assert "version 2020-03-26" in out and ("net_transaction_accounts: class "
                                            "depository_institution → 0% (ratio table "
                                            "regd-zero-2020-03-26 row 1") in out
    assert "average base" not in out and "Required:" not in out
    before = explain(capsys, US, EXPLAIN / "us_regd_institutions.yaml", "BANK-200", "2019-01-03")
    assert ("Maintenance period 2019-01-03 (2019-01-03..2019-01-16, 14 days): no version of pack "
            "us-regd is in force; the pack starts at 2019-01-17. The engine refuses the period "
            "(NoRulesetInForce) rather than report zero.") in before


def test_explain_a_day_that_is_not_a_period_id_is_bad_input(capsys):
    code, _, err = rrr(capsys, "rules", "explain", "--rules", US, "--institutions",
                       EXPLAIN / "us_regd_institutions.yaml", "--institution", "BANK-200",
                       "--period", "2020-01-20")
    assert code == 2 and "2020-01-20 falls in period 2020-01-16 (2020-01-16..2020-01-29)" in err


def test_explain_ecb_shows_the_reference_date_and_the_allowance(capsys):
    out = explain(capsys, ECB, EXPLAIN / "ecb_institutions.yaml", "BANK-L", "2023-02-08",
                  "--balances", EXPLAIN / "ecb_balances.csv")
    assert ("Maintenance period 2023-02-08 (2023-02-08..2023-03-21, 42 days) uses pack ecb-mro "
            "version 2012-01-18") in out
    assert ("the computation period is 2022-12 (2022-12-01..2022-12-31; 31 days; setting "
            "reserve_base_reference_lag_months=2); the base is the balance at its end, "
            "2022-12-31.") in out
    assert ("    base 40,000,000,000.00 EUR (balance on 2022-12-31, the end of computation period "
            "2022-12) × 1% = 400,000,000.00 EUR") in out
    assert (f"  ecb-lump-sum ({ECB}/allowances.yaml:5; Regulation (EU) 2021/378 of the ECB "
            "(ECB/2021/1), Art. 6 ([A] article as given in the project brief") in out
    # 1% × (40bn + 15bn + 5bn) = 600m, less the 100,000 allowance
    assert "100,000.00 EUR, because it applies to every institution; deducts 100,000.00 EUR" in out
    assert "Required before allowances: 600,000,000.00 EUR.\nRequired: 599,900,000.00 EUR." in out


def test_explain_a_reduction_on_a_tiered_cell_and_a_status_in_periods(capsys, tmp_path):
    pack = tmp_path / "us-regd"
    shutil.copytree(US, pack, ignore=shutil.ignore_patterns("scenarios"))
    (pack / "reductions.yaml").write_text(
        "statuses:\n"
        "  supporting:\n"
        "    starts: {event: support_role_start, month: next}\n"
        "    citation: {document: \"Imaginary Order 1\", article: \"1\"}\n"
        "reductions:\n"
        "  - id: support-half\n"
        "    effective: {from: 2020-01-16}\n"
        "    citation: {document: \"Imaginary Order 1\", article: \"2\"}\n"
        "    when: {status: [supporting]}\n"
        "    factor: \"0.5\"\n")
    header = pack / "pack.yaml"
    header.write_text(header.read_text().replace("  rounding:", (
        "  events: [support_role_start]\n  rounding:"), 1).replace("settings:\n", (
        "settings:\n  reduction_stacking:\n    value: lowest\n"
        "    interpretation: \"The lower ratio applies.\"\n    read_by: engine (ratios)\n"), 1))
    institutions = tmp_path / "institutions.yaml"
    institutions.write_text("- id: BANK-200\n  class: depository_institution\n"
                            "  events: [{type: support_role_start, date: \"2020-01-08\"}]\n")
    out = explain(capsys, pack, institutions, "BANK-200", "2020-01-16",
                  "--balances", EXPLAIN / "us_regd_balances.csv")
    # the event on 2020-01-08 lies in period 2020-01-02; "next" is the period of 2020-01-16
    assert "→ status supporting from 2020-01-16 onwards" in out
    assert "opens the period after support_role_start" in out
    assert ("    support-half: factor 0.5 × each band = 0% up to 16,900,000 USD; 1.5% above "
            "16,900,000 up to 127,500,000 USD; 5% above 127,500,000 USD") in out
    # 1.5% × 110.6m + 5% × 72.5m = 1.659m + 3.625m = 5.284m
    assert ("      16,900,000 to 127,500,000 USD: 110,600,000.00 USD × 1.5% = 1,659,000.00 USD"
            in out)
    assert "      = 5,284,000.00 USD (effective ratio 2.642% of the base)" in out


# --- rrr rules export / import ---------------------------------------------------------------

@pytest.fixture
def us_pack(tmp_path):
    copy = tmp_path / "us-regd"
    shutil.copytree(US, copy, ignore=shutil.ignore_patterns("scenarios"))
    return copy


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_round_trip_of_the_banded_tables_leaves_the_pack_identical(capsys, us_pack, tmp_path,
                                                                   suffix):
    before, sha = files(us_pack), load_pack(us_pack).sha256
    for table in load_pack(us_pack).ratios:
        out = tmp_path / f"{table.id}.{suffix}"
        code = rrr(capsys, "rules", "export", "--rules", us_pack, "--table", table.id,
                   "--out", out)[0]
        assert code == 0
        code, text, _ = rrr(capsys, "rules", "import", out, "--into", us_pack, "--table", table.id)
        assert code == 0 and "is unchanged: nothing written" in text, text
    assert files(us_pack) == before and load_pack(us_pack).sha256 == sha


def test_banded_cell_and_day_dates_in_the_decision_table(capsys, us_pack, tmp_path):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", us_pack, "--table", "regd-2019", "--out", out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[4:6] == [["effective_from", "2019-01-17"], ["effective_to", "2020-01-15"]]
    assert rows[12] == ["classes", "net_transaction_accounts", "nonpersonal_time_deposits",
                        "eurocurrency_liabilities", "unset_reason"]
    assert rows[13] == ["depository_institution",
                        "0 up to 16300000; 0.03 up to 124200000; 0.10 above", "0", "0", ""]
    assert "'0 up to 16900000; 0.03 up to 127500000; 0.10 above' (amounts in USD)" in rows[0][1]


def test_changed_tranche_is_written_in_place_as_one_line(capsys, us_pack, tmp_path):
    out = tmp_path / "t.xlsx"
    rrr(capsys, "rules", "export", "--rules", us_pack, "--table", "regd-2020", "--out", out)
    wb = load_workbook(out)
    ws = wb.active
    assert ws["B14"].value == "0 up to 16900000; 0.03 up to 127500000; 0.10 above"
    ws["B14"] = "0% up to 16,900,000; 3% up to 127,600,000; 10% above 127,600,000"
    wb.save(out)
    before = (us_pack / "ratios.yaml").read_text().splitlines()
    code, text, _ = rrr(capsys, "rules", "import", out, "--into", us_pack, "--table", "regd-2020")
    assert code == 0, text
    after = (us_pack / "ratios.yaml").read_text().splitlines()
    assert [(a, b) for a, b in zip(before, after, strict=True) if a != b] == [
        ('            - {upto: "127500000", ratio: "0.03"}',
         '            - {upto: "127600000", ratio: "0.03"}')]
    table = next(t for t in load_pack(us_pack).ratios if t.id == "regd-2020")
    assert table.rows[0].values["net_transaction_accounts"] == (
        Band(upto=D("16900000"), ratio=D("0")), Band(upto=D("127600000"), ratio=D("0.03")),
        Band(ratio=D("0.10")))


def test_a_date_cell_in_a_calendar_pack_is_that_day(capsys, us_pack, tmp_path):
    # typing 2020-03-25 into a General cell makes Excel store a date, not text
    out = tmp_path / "t.xlsx"
    rrr(capsys, "rules", "export", "--rules", us_pack, "--table", "regd-2020", "--out", out)
    wb = load_workbook(out)
    assert wb.active["B6"].value == "2020-03-25"
    wb.active["B6"] = dt.datetime(2020, 3, 25)
    wb.save(out)
    code, text, _ = rrr(capsys, "rules", "import", out, "--into", us_pack, "--table", "regd-2020")
    assert code == 0 and "is unchanged: nothing written" in text, text


def test_bad_bands_are_refused_at_their_cell(capsys, us_pack, tmp_path):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", us_pack, "--table", "regd-2020", "--out", out)
    text = out.read_text(encoding="utf-8-sig")
    text = text.replace("0 up to 16900000; 0.03 up to 127500000; 0.10 above",
                        "0 up to 16900000; 0.03 up to 12750000; 0.10 above")
    text = text.replace("effective_to,2020-03-25", "effective_to,2020-03-26")
    out.write_text(text, encoding="utf-8-sig")
    before = files(us_pack)
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", us_pack, "--table", "regd-2020")
    assert code == 1 and files(us_pack) == before
    assert (f"{out}:14: B14 (net_transaction_accounts): band 2 upto 12750000 is not above band 1 "
            "upto 16900000; bands go in increasing order") in report
    # fixed bands, but the table now runs into the period of 2020-03-26: the check refuses it
    out.write_text(text.replace("0.03 up to 12750000", "0.03 up to 127500000"),
                   encoding="utf-8-sig")
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", us_pack, "--table", "regd-2020")
    assert code == 1 and files(us_pack) == before
    assert ("overlap: 2020-03-26: class depository_institution × all categories covered more "
            "than once") in report
    assert "evaluating period 2020-03-26 (2020-03-26..2020-04-08) fails (AmbiguousRules)" in report


def test_rendering_reproduces_the_us_regd_tables_byte_for_byte():
    pack = load_pack(US)
    text = (US / "ratios.yaml").read_text()
    lines = text.splitlines()
    for table in pack.ratios:
        start, end, indent = table_span(text, table.id)
        assert render_table(table, list(pack.header.categories), indent,
                            layout_of(text, table.id)) == lines[start:end]


@pytest.mark.parametrize("text", [
    "0 up to 16900000; 0.03 up to 127500000; 0.10 above", "0.10 above", "0.03", "0", "unset"])
def test_cell_text_round_trips_exactly(text):
    assert cell_text(parse_cell(text, "nta")) == text


@pytest.mark.parametrize("text, problem", [
    ("0.03 up to 5", "the last band (band 1) has upto 5; it must be open"),
    ("0.1 above; 0.2 above", "band 2 follows an open band"),
    ("0 up to 100; 0.03 above 90", "band 2 is above 90, but the band before it ends at 100"),
    ("0 up to 1,69; 0.1 above", "'1,69' is not an amount"),
    ("0 upto; 0.1 above", "band 1 '0 upto' is not 'RATIO up to AMOUNT' or 'RATIO above'"),
])
def test_bad_cell_text_says_what_is_wrong(text, problem):
    with pytest.raises(CellTextError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_cell(text, "nta")
