"""Ratio tables to and from CSV/XLSX decision tables, checked before anything is written."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal as D

import pytest
from clirun import VN_PACK, rrr
from openpyxl import load_workbook

from rrr_engine.authoring.sheets.writer import render_table, table_span
from rrr_engine.rules.pack import load_pack


@pytest.fixture
def pack(tmp_path):
    copy = tmp_path / "vn-sbv"
    shutil.copytree(VN_PACK, copy, ignore=shutil.ignore_patterns("scenarios"))
    return copy


def files(directory):
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.yaml"))}


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_round_trip_of_every_table_leaves_the_pack_identical(capsys, pack, tmp_path, suffix):
    before, sha = files(pack), load_pack(pack).sha256
    for table in load_pack(pack).ratios:
        out = tmp_path / f"{table.id}.{suffix}"
        assert rrr(capsys, "rules", "export", "--rules", pack, "--table", table.id,
                   "--out", out)[0] == 0
        code, text, _ = rrr(capsys, "rules", "import", out, "--into", pack, "--table", table.id)
        assert code == 0 and "is unchanged: nothing written" in text
    assert files(pack) == before and load_pack(pack).sha256 == sha


def test_rendering_reproduces_the_file_byte_for_byte():
    # so even a rewritten table leaves an untouched pack with the same sha256
    p = load_pack(VN_PACK)
    text = (VN_PACK / "ratios.yaml").read_text()
    lines = text.splitlines()
    for table in p.ratios:
        start, end, indent = table_span(text, table.id)
        assert render_table(table, list(p.header.categories), indent) == lines[start:end]


def test_csv_layout(pack, tmp_path, capsys):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2018", "--out", out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "rrr-engine ratio table" and "Import with: rrr rules import" in rows[0][1]
    assert rows[2] == ["table", "d1158-2018"]
    assert rows[4:6] == [["effective_from", "2018-06"], ["effective_to", "2025-09"]]
    assert rows[6] == ["citation_document", "Decision 1158/QĐ-NHNN of 29/5/2018"]
    assert rows[9:11] == [["citation_amended_by", ""], ["citation_note", ""]]
    assert rows[12] == ["classes", "vnd_short", "vnd_long", "fx_overseas_ci", "fx_short", "fx_long",
                        "unset_reason"]
    assert rows[14][:2] == ["policy_bank", "unset"] and "set by the Government" in rows[14][6]
    assert rows[16] == ["other_ci", "0.03", "0.01", "0.01", "0.08", "0.06", ""]


def test_changed_ratio_is_written_in_place_and_exact(capsys, pack, tmp_path):
    out = tmp_path / "t.xlsx"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2977-2025", "--out", out)
    wb = load_workbook(out)
    ws = wb.active
    assert (ws["A10"].value, ws["B10"].value) == ("citation_amended_by", "Decision 2977/QĐ-NHNN "
                                                                         "(2025)")
    assert ws["A16"].value == "other_ci" and ws["B16"].value == "0.03"
    ws["B16"] = "3.5%"  # percent text is exact too
    wb.save(out)
    before = files(pack)
    code, text, _ = rrr(capsys, "rules", "import", out, "--into", pack,
                        "--table", "d1158-2977-2025")
    assert code == 0, text
    assert "wrote ratio table d1158-2977-2025 into" in text and "0 errors" in text
    after = files(pack)
    assert {k for k in after if after[k] != before[k]} == {"ratios.yaml"}
    changed = [(a, b) for a, b in zip(before["ratios.yaml"].decode().splitlines(),
                                      after["ratios.yaml"].decode().splitlines(), strict=True)
               if a != b]
    assert changed == [('        values: {vnd_short: "0.03", vnd_long: "0.01", fx_overseas_ci: '
                        '"0.01", fx_short: "0.08", fx_long: "0.06"}',
                        '        values: {vnd_short: "0.035", vnd_long: "0.01", fx_overseas_ci: '
                        '"0.01", fx_short: "0.08", fx_long: "0.06"}')]
    table = next(t for t in load_pack(pack).ratios if t.id == "d1158-2977-2025")
    assert table.rows[2].values["vnd_short"] == D("0.035")


def test_float_cell_is_refused_with_its_address(capsys, pack, tmp_path):
    out = tmp_path / "ratios.xlsx"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2977-2025", "--out", out)
    wb = load_workbook(out)
    wb.active["C16"] = 0.01  # what Excel stores when a General cell gets 0.01 typed in
    wb.save(out)
    before = files(pack)
    code, text, _ = rrr(capsys, "rules", "import", out, "--into", pack,
                        "--table", "d1158-2977-2025")
    assert code == 1
    assert (f"{out}:ratios!C16: vnd_long: 0.01 is stored as a binary number, which is not exact; "
            "format the cell as Text and type the value (e.g. 0.03 or 3%)") in text
    assert "refused: nothing written" in text and files(pack) == before


def test_bad_cells_all_reported_in_csv(capsys, pack, tmp_path):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2977-2025", "--out", out)
    text = out.read_text(encoding="utf-8-sig").replace("effective_from,2025-10",
                                                       "effective_from,2025-13")
    text = text.replace("other_ci,0.03,", "other_ci,three percent,").replace(
        '"agribank, coop_bank"', '"agribank, coop"')
    out.write_text(text, encoding="utf-8-sig")
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", pack,
                          "--table", "d1158-2977-2025")
    assert code == 1
    assert f"{out}:15: A15 (classes): unknown class 'coop'" in report
    assert f"{out}:16: B16 (vnd_short): 'three percent' is not a ratio" in report
    assert (f"{out}:5: B5 (effective_from): '2025-13' is not a month; expected YYYY-MM such as "
            "2025-10") in report


def test_import_that_fails_the_check_is_refused(capsys, pack, tmp_path):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2018", "--out", out)
    text = out.read_text(encoding="utf-8-sig").replace("effective_to,2025-09", "effective_to,")
    out.write_text(text, encoding="utf-8-sig")
    before = files(pack)
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", pack, "--table", "d1158-2018")
    assert code == 1 and files(pack) == before
    assert ("overlap: 2025-10 onwards: classes people_credit_fund, microfinance × all categories"
            in report)
    assert "refused: nothing written" in report


def test_new_table_is_appended_after_the_last(capsys, pack, tmp_path):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2977-2025", "--out", out)
    text = out.read_text(encoding="utf-8-sig").replace("table,d1158-2977-2025", "table,d-2027")
    text = text.replace("effective_from,2025-10", "effective_from,2027-01")
    out.write_text(text, encoding="utf-8-sig")
    # while the current table is open-ended the new one overlaps it: refused
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", pack, "--table", "d-2027")
    assert code == 1 and "overlap: 2027-01 onwards" in report
    # end the current table (an edit of the YAML), then the import completes the pack
    ratios = pack / "ratios.yaml"
    ratios.write_text(ratios.read_text().replace('effective: {from: "2025-10"}',
                                                 'effective: {from: "2025-10", to: "2026-12"}'))
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", pack, "--table", "d-2027")
    assert code == 0, report
    assert [t.id for t in load_pack(pack).ratios][-1] == "d-2027"
    text = ratios.read_text()
    assert text.index("  - id: d-2027") < text.index("not_covered:")  # still inside ratios:
    assert "\n\n  - id: d-2027\n" in text


def test_file_for_another_table_is_refused(capsys, pack, tmp_path):
    out = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2018", "--out", out)
    code, report, _ = rrr(capsys, "rules", "import", out, "--into", pack,
                          "--table", "d1158-2977-2025")
    assert code == 1 and "the file holds table 'd1158-2018', not 'd1158-2977-2025'" in report


def test_unknown_table_and_format(capsys, pack, tmp_path):
    code, _, err = rrr(capsys, "rules", "export", "--rules", pack, "--table", "nope",
                       "--out", tmp_path / "x.csv")
    assert code == 2 and "no ratio table 'nope'" in err
    code, _, err = rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2018",
                       "--out", tmp_path / "x.ods")
    assert code == 2 and "expected a .csv or .xlsx file name" in err


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_text_a_spreadsheet_would_run_is_exported_inert_and_read_back(capsys, pack, tmp_path,
                                                                      suffix):
    ratios = pack / "ratios.yaml"
    ratios.write_text(ratios.read_text(encoding="utf-8").replace(
        'title: "Decision 1158 ratios from the June 2018 maintenance period"',
        'title: "=HYPERLINK(\\"http://attacker.test\\",\\"Decision 1158\\")"'), encoding="utf-8")
    before = files(pack)
    out = tmp_path / f"t.{suffix}"
    assert rrr(capsys, "rules", "export", "--rules", pack, "--table", "d1158-2018",
               "--out", out)[0] == 0
    if suffix == "csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            title = list(csv.reader(handle))[3]
        assert title == ["title", "'=HYPERLINK(\"http://attacker.test\",\"Decision 1158\")"]
    else:
        cell = load_workbook(out).active["B4"]
        assert cell.value.startswith("=HYPERLINK(") and cell.data_type == "s"
    code, text, _ = rrr(capsys, "rules", "import", out, "--into", pack, "--table", "d1158-2018")
    assert code == 0 and "is unchanged: nothing written" in text
    assert files(pack) == before
