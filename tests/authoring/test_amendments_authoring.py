"""Amendments in the author's tools: ``rrr rules diff`` in the words of the change (an
amendment, a superseded amendment, a whole table replaced by one repeating most cells),
``rrr rules check`` listing every amendment problem with its line, ``rrr rules explain``
showing the amended figure and its citation, and an amendment made in one spreadsheet import."""

from __future__ import annotations

import csv
import json
from decimal import Decimal as D

from amended_packs import (
    CITED_100,
    CITED_1158,
    FIVE_PERCENT,
    FOUR_PERCENT,
    TABLE,
    amended,
    line_of,
)
from clirun import VN_PACK, rrr

from rrr_engine.authoring.diff import diff_packs
from rrr_engine.rules.pack import load_pack

CITED_200 = "Decision 200/QĐ-NHNN (2026), Art. 1"


def diff_lines(capsys, old, new):
    code, out, err = rrr(capsys, "rules", "diff", old, new)
    assert code == 0, err
    return out.splitlines()[1:]


def test_a_superseded_amendment_is_a_closed_run_and_the_next_one_open(tmp_path, capsys):
    new = amended(tmp_path / "new", FOUR_PERCENT, FIVE_PERCENT)
    assert diff_lines(capsys, VN_PACK, new) == [
        "ratios: changed",
        f"  other_ci vnd_short 3% → 4% from 2026-01 to 2026-06 ({CITED_100})",
        f"  agribank, other_ci vnd_short 3% → 5% from 2026-07 ({CITED_200})",
        "1 change(s)"]
    # between two amended packs only the difference shows, the 2026-01 step being in both
    old = amended(tmp_path / "old", FOUR_PERCENT)
    assert diff_lines(capsys, old, new)[1:-1] == [
        f"  agribank vnd_short 3% → 5% from 2026-07 ({CITED_200})",
        f"  other_ci vnd_short 4% → 5% from 2026-07 ({CITED_200})"]


def test_a_table_replaced_by_one_repeating_most_cells_reads_as_its_changes(tmp_path, capsys):
    new = tmp_path / "new"
    amended(new, FOUR_PERCENT)  # then written out the long way: a closed table and a new one
    text = (new / "ratios.yaml").read_text(encoding="utf-8")
    start, end = text.index(f"  - id: {TABLE}"), text.index("    amendments:")
    block = text[start:end].rstrip() + "\n"
    closed = block.replace('effective: {from: "2025-10"}',
                           'effective: {from: "2025-10", to: "2025-12"}')
    repeat = (block.replace(f"id: {TABLE}", "id: d100-2026")
              .replace('effective: {from: "2025-10"}', 'effective: {from: "2026-01"}')
              .replace('amended_by: ["Decision 2977/QĐ-NHNN (2025)"]',
                       'amended_by: ["Decision 2977/QĐ-NHNN (2025)", '
                       '"Decision 100/QĐ-NHNN (2025)"]')
              .replace('classes: [other_ci]\n        values: {vnd_short: "0.03"',
                       'classes: [other_ci]\n        values: {vnd_short: "0.04"'))
    tail = text[text.index("# Ranges"):]
    (new / "ratios.yaml").write_text(text[:start] + closed + "\n" + repeat + "\n" + tail,
                                     encoding="utf-8")
    changes = diff_packs(load_pack(VN_PACK), load_pack(new)).changes
    figures = [str(d) for c in changes if c.section == "ratios" and not c.name for d in c.details]
    assert figures == [f"other_ci vnd_short 3% → 4% from 2026-01 ({CITED_1158} and "
                       "Decision 100/QĐ-NHNN (2025))"]
    # the tables themselves: one closed, one added; no cell-by-cell listing of 14 repeated cells
    assert [(c.section, c.name, c.kind) for c in changes if c.name] == [
        ("ratios", "d100-2026", "added"), ("ratios", TABLE, "changed")]
    assert [str(d) for d in changes[-1].details] == ["effective.to: (none) -> 2025-12"]


def test_check_lists_every_amendment_problem_with_its_line(tmp_path, capsys):
    bad = (FOUR_PERCENT.replace('"2026-01"', '"2025-06"').replace("[other_ci]", "[other_bank]")
           + FIVE_PERCENT.replace("{vnd_short:", "{vnd_mid:")
           + FIVE_PERCENT.replace("[other_ci, agribank]", "[policy_bank]")
           + FOUR_PERCENT + FOUR_PERCENT.replace('"0.04"', '"0.045"'))
    folder = amended(tmp_path / "p", bad)
    code, out, _ = rrr(capsys, "rules", "check", folder)
    assert code == 1
    f = folder / "ratios.yaml"
    assert [line for line in out.splitlines() if "amendments" in line] == [
        f"{f}:{line_of(folder, '2025-06')}: ratios.3.amendments.0.from: amendment from "
        "2025-06 is before table d1158-2977-2025 starts (2025-10); amend the table in force then",
        f"{f}:{line_of(folder, 'other_bank')}: ratios.3.amendments.0.classes: unknown class "
        "'other_bank'; declared: agribank, coop_bank, microfinance, other_ci, "
        "people_credit_fund, policy_bank",
        f"{f}:{line_of(folder, 'vnd_mid')}: ratios.3.amendments.1.values.vnd_mid: unknown "
        "category 'vnd_mid'; declared: fx_long, fx_overseas_ci, fx_short, vnd_long, vnd_short",
        f"{f}:{line_of(folder, '        classes: [policy_bank]') + 1}: "
        "ratios.3.amendments.2.values.vnd_short: "
        "table d1158-2977-2025 has no policy_bank × vnd_short cell to amend; an amendment "
        "changes a figure the table sets (add a row to the table instead)",
        f"{f}:{line_of(folder, '0.045')}: ratios.3.amendments.4.values.vnd_short: other_ci × "
        "vnd_short is amended twice from 2026-01 (amendments 4 and 5 of table d1158-2977-2025): "
        "one value per date"]
    assert "check FAILED" in out


def test_check_points_at_an_amended_value_out_of_bounds(tmp_path, capsys):
    folder = amended(tmp_path / "p", FIVE_PERCENT.replace('"0.05"', '"1.05"'))
    code, out, _ = rrr(capsys, "rules", "check", folder)
    assert code == 1
    assert (f"{folder / 'ratios.yaml'}:{line_of(folder, '1.05')}: "
            "ratios.3.amendments.0.values.vnd_short: ratio 1.05 is outside 0..1") in out


def test_explain_shows_the_amended_figure_and_its_citation(tmp_path, capsys):
    folder = amended(tmp_path / "p", FOUR_PERCENT)
    (tmp_path / "inst.yaml").write_text("- {id: B1, name: Bank, class: other_ci}\n")
    (tmp_path / "bal.csv").write_text("institution_id,date,category,currency,amount\n"
                                      "B1,2025-12-01,vnd_short,VND,1000000\n")
    code, out, err = rrr(capsys, "rules", "explain", "--rules", folder, "--institutions",
                         tmp_path / "inst.yaml", "--institution", "B1", "--period", "2026-01",
                         "--balances", tmp_path / "bal.csv")
    assert code == 0, err
    where = f"{folder}/ratios.yaml"
    step = line_of(folder, '- from: "2026-01"')
    assert (f"  vnd_short: class other_ci → 4% (ratio table {TABLE} row 3, "
            f"{where}:{line_of(folder, f'id: {TABLE}')}; {CITED_1158}; amended from 2026-01 by "
            f"amendment 1, {where}:{step}: {CITED_100}; the "
            "table itself says 3%)") in out
    assert "× 4% = 40,000 VND" in out


def rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write(path, grid):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(grid)


def test_an_amendment_in_one_spreadsheet_import(tmp_path, capsys):
    pack = tmp_path / "p"
    amended(pack, FOUR_PERCENT)
    sheet = tmp_path / "t.csv"
    code, _, err = rrr(capsys, "rules", "export", "--rules", pack, "--table", TABLE, "--out",
                       sheet, "--at", "2026-07")
    assert code == 0, err
    grid = rows(sheet)
    labels = {row[0]: i for i, row in enumerate(grid) if row}
    assert grid[labels["amendment_from"]][1] == "2026-07"
    assert grid[labels["other_ci"]][1:3] == ["0.04", "0.01"]  # as amended by 2026-07
    grid[labels["amendment_citation_document"]][1:] = ["Decision 200/QĐ-NHNN (2026)"]
    grid[labels["amendment_citation_article"]][1:] = ["1"]
    grid[labels["other_ci"]][1] = "5%"
    grid[labels["agribank, coop_bank"]][1] = "5%"
    write(sheet, grid)
    before = (pack / "ratios.yaml").read_text(encoding="utf-8")
    code, out, err = rrr(capsys, "rules", "import", str(sheet), "--into", pack, "--table", TABLE)
    assert code == 0, out + err
    after = (pack / "ratios.yaml").read_text(encoding="utf-8")
    assert after == before.replace(FOUR_PERCENT, FOUR_PERCENT + """\
      - from: "2026-07"
        classes: [agribank, coop_bank, other_ci]
        values: {vnd_short: "0.05"}
        citation: {document: "Decision 200/QĐ-NHNN (2026)", article: "1"}
""")
    table = next(t for t in load_pack(pack).ratios if t.id == TABLE)
    assert table.amendments[1].values == {"vnd_short": D("0.05")}
    # the same sheet again changes nothing; a plain export and import keeps the amendments
    code, out, _ = rrr(capsys, "rules", "import", str(sheet), "--into", pack, "--table", TABLE)
    assert code == 0 and "is unchanged" in out
    plain = tmp_path / "plain.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", TABLE, "--out", plain)
    code, out, _ = rrr(capsys, "rules", "import", str(plain), "--into", pack, "--table", TABLE)
    assert code == 0 and "is unchanged" in out
    assert (pack / "ratios.yaml").read_text(encoding="utf-8") == after


def test_an_amendment_import_without_its_document_writes_nothing(tmp_path, capsys):
    pack = amended(tmp_path / "p", FOUR_PERCENT)
    sheet = tmp_path / "t.csv"
    rrr(capsys, "rules", "export", "--rules", pack, "--table", TABLE, "--out", sheet, "--at",
        "2026-07")
    grid = rows(sheet)
    labels = {row[0]: i for i, row in enumerate(grid) if row}
    grid[labels["other_ci"]][1] = "5%"
    write(sheet, grid)
    before = (pack / "ratios.yaml").read_text(encoding="utf-8")
    code, out, _ = rrr(capsys, "rules", "import", str(sheet), "--into", pack, "--table", TABLE)
    assert code == 1
    assert f"{sheet}: amendment_citation_document: required for an amendment" in out
    assert "nothing written" in out
    assert (pack / "ratios.yaml").read_text(encoding="utf-8") == before


def test_json_diff_names_the_run_and_its_source(tmp_path, capsys):
    new = amended(tmp_path / "new", FOUR_PERCENT)
    code, out, _ = rrr(capsys, "rules", "diff", VN_PACK, new, "--format", "json")
    assert json.loads(out)["changes"] == [{
        "section": "ratios", "name": "", "kind": "changed", "details": [{
            "field": "other_ci vnd_short", "old": "3%", "new": "4%", "classes": ["other_ci"],
            "category": "vnd_short", "from": "2026-01", "to": None, "citation": CITED_100,
            "table": TABLE}]}]
