"""``rrr rules check``: a fixture pack per bad case, caught with its cells and lines named."""

from __future__ import annotations

import json
import shutil

import pytest
from clirun import FIXTURES, VN_PACK, rrr

from rrr_engine.authoring.check.report import check_pack
from rrr_engine.errors import RuleFileError
from rrr_engine.rules.pack import load_pack

PACKS = FIXTURES / "packs"


def errors(name: str) -> list[str]:
    return errors_in(PACKS / name)


def errors_in(pack) -> list[str]:
    return [str(i) for i in check_pack(pack).issues if i.is_error]


def test_vn_pack_passes_with_its_declared_gaps_listed(capsys):
    code, out, _ = rrr(capsys, "rules", "check", VN_PACK)
    assert code == 0, out
    assert "0 errors" in out and out.rstrip().endswith("check passed")
    assert ("ratios.yaml:58: not_covered.0: note: declared gap (no ratio, on purpose): 2011-09 to "
            "2018-05: classes agribank, coop_bank, other_ci × categories vnd_short, "
            "vnd_long") in out
    assert ("not_covered.1: note: declared gap (no ratio, on purpose): 2011-09 to 2018-05: classes "
            "people_credit_fund, microfinance, policy_bank × all categories") in out
    # the policy bank's null row is listed as a cell with no number, with its reason
    assert ("class policy_bank × all categories: no number, because the policy bank's ratio is set "
            "by the Government") in out


def test_vn_pack_has_no_errors_or_warnings():
    # the 2011 FX tables give figures for institutions without VND deposits (a declared
    # gap's zero base is a finding), so they are not flagged
    report = check_pack(VN_PACK)
    assert [i for i in report.issues if i.severity in ("error", "warning")] == []


def test_policy_bank_needs_no_ratio_once_exempt():
    # from 2025-10 the policy bank has no row but c23-policy-bank exempts it unconditionally
    report = check_pack(VN_PACK)
    cells = [c for i in report.issues for c in i.cells if c["class"] == "policy_bank"]
    assert all(c["to"] is not None and c["to"] <= "2025-09" for c in cells)


def test_gap_names_classes_categories_and_months():
    found = errors("gap")
    assert found == [
        f"{PACKS}/gap/ratios.yaml:2: ratios: gap: 2021-01 to 2021-02: no ratio table covers "
        "classes bank, agency × all categories; class fund × category dom (add a ratio row, or "
        "declare the range under not_covered: with a reason)",
        f"{PACKS}/gap/ratios.yaml:2: ratios: gap: 2021-01 onwards: no ratio table covers class "
        "fund × category fx (add a ratio row, or declare the range under not_covered: with a "
        "reason)"]


def test_gap_cells_as_data():
    report = check_pack(PACKS / "gap")
    gap = next(i for i in report.issues if i.code == "gap" and "onwards" in i.message)
    assert gap.cells == [{"class": "fund", "category": "fx", "from": "2021-01", "to": None,
                          "tables": [], "rows": [], "exempt": [], "declared": []}]


def test_overlap_names_both_tables_and_rows_with_lines():
    assert errors("overlap") == [
        f"{PACKS}/overlap/ratios.yaml:7: ratios.t-open: overlap: 2021-01 onwards: class bank × "
        "all categories covered more than once: t-open row 1 (ratios.yaml:7), t-2021 row 1 "
        "(ratios.yaml:13)"]


def test_declared_gap_passes_and_is_listed():
    report = check_pack(PACKS / "declared_gap")
    assert report.ok
    note = next(i for i in report.issues if i.code == "declared_gap")
    assert (note.line, note.key) == (13, "not_covered.0")
    assert "class fund × category fx: funds may not take foreign-currency deposits" in note.message


def test_declaration_over_a_covered_cell_is_an_error(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "declared_gap", pack)
    text = (pack / "ratios.yaml").read_text().replace("values: {dom: \"0\"}",
                                                      "values: {dom: \"0\", fx: \"0\"}")
    (pack / "ratios.yaml").write_text(text)
    report = check_pack(pack)
    stale = [i for i in report.issues if i.code == "stale_declaration"]
    assert len(stale) == 1 and stale[0].line == 13
    assert ("declared not covered, but t2020 row 2 (ratios.yaml:8) covers class fund × category fx"
            in stale[0].message)


def test_a_status_opened_by_no_declared_event_is_unreachable(tmp_path):
    """An institution carries only the events its pack declares: in a pack that declares none,
    a status its rules name can never hold."""
    pack = tmp_path / "unreachable"
    shutil.copytree(PACKS / "unreachable", pack)
    text = (pack / "pack.yaml").read_text()
    (pack / "pack.yaml").write_text("\n".join(line for line in text.splitlines()
                                              if not line.startswith("  events:")) + "\n")
    found = {i.key: i for i in check_pack(pack).issues if i.is_error}
    assert "no event an institution can carry opens status merged" in found[
        "reductions.merged-half"].message


def test_unreachable_rules_each_named():
    found = {i.key: i for i in check_pack(PACKS / "unreachable").issues if i.is_error}
    assert set(found) == {"ratios.agency-2021", "exemptions.agency-special-control",
                          "reductions.contradictory-share",
                          "reductions.share-above-one", "reductions.self-excluding",
                          "reductions.agency-half"}
    message = {key: issue.message for key, issue in found.items()}
    assert "no value of agri_lending_share satisfies >= 0.7 and < 0.4" in message[
        "reductions.contradictory-share"]
    assert "outside the values an institution can report (>= 0 and <= 1)" in message[
        "reductions.share-above-one"]
    assert "requires a status that it also excludes" in found["reductions.self-excluding"].message
    assert "no class it names has a ratio to reduce" in found["reductions.agency-half"].message
    assert "every class it names is already exempt" in message[
        "exemptions.agency-special-control"]
    row = found["ratios.agency-2021"]
    assert (row.line, row.message) == (12, "row 1 (class agency) can never be used: exempt "
                                           "unconditionally under agency-exempt throughout 2021-01 "
                                           "to 2021-12")


def test_missing_and_placeholder_citations():
    assert errors("missing_citation") == [
        f"{PACKS}/missing_citation/pack.yaml:14: statuses.special_control: missing citation: a "
        "status times rules by law; cite where",
        f"{PACKS}/missing_citation/rules.yaml:2: ratios.0.citation: missing citation: every rule "
        "must cite the law it encodes (document and article)",
        f"{PACKS}/missing_citation/rules.yaml:11: exemptions.0.citation.document: citation "
        "document 'TODO' is a placeholder; cite the law",
        f"{PACKS}/missing_citation/rules.yaml:17: reductions.0.citation.article: empty citation "
        "article"]


def test_every_schema_error_of_every_file_is_reported():
    base = f"{PACKS}/schema_error"
    assert errors("schema_error") == [
        f"{base}/exemptions.yaml:5: exemptions.0.when.status: unknown status 'contro'; declared: "
        "special_control",
        f"{base}/exemptions.yaml:7: exemptions.1.effective.from: '2020-13' is not a month; "
        "expected YYYY-MM such as 2025-10",
        f"{base}/interest.yaml:4: (file): invalid YAML: did not find expected ',' or '}}'",
        f"{base}/ratios.yaml:2: ratios.0.effective: required field is missing",
        f"{base}/ratios.yaml:3: ratios.0.efective: unknown field (check the spelling; unknown "
        "fields are not allowed)",
        f"{base}/ratios.yaml:12: ratios.1.rows.0.classes: unknown class 'banc'; declared: agency, "
        "bank, fund",
        f"{base}/ratios.yaml:13: ratios.1.rows.0.values.dom: ratio 1.5 is outside 0..1"]


def test_exit_codes_gate_ci(capsys, tmp_path):
    assert rrr(capsys, "rules", "check", PACKS / "overlap")[0] == 1
    code, _, err = rrr(capsys, "rules", "check", tmp_path / "missing")
    assert code == 2 and "rule pack directory not found" in err  # the loader's words
    code, _, err = rrr(capsys, "rules", "check", tmp_path)
    assert code == 2 and "no rule files" in err


def test_json_output(capsys):
    code, out, _ = rrr(capsys, "rules", "check", PACKS / "gap", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["counts"]["error"] == 2
    assert data["versions"] == ["2020-01", "2021-01", "2021-03"]
    assert {i["code"] for i in data["issues"]} == {"gap"}
    assert all({"file", "line", "key", "message", "cells", "severity"} <= set(i)
               for i in data["issues"])


def _duplicate_id_pack(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(VN_PACK, pack, ignore=shutil.ignore_patterns("scenarios"))
    text = (pack / "reductions.yaml").read_text().replace("id: c14-agri-40", "id: c14-agri-70")
    (pack / "reductions.yaml").write_text(text)
    return pack


def test_duplicate_rule_id(tmp_path):
    pack = _duplicate_id_pack(tmp_path)
    assert [str(i) for i in check_pack(pack).issues if i.is_error] == [
        f"{pack}/reductions.yaml:27: reductions.3.id: duplicate rule id 'c14-agri-70' (also in "
        "reductions)"]


def test_check_and_loader_give_one_verdict_in_the_same_words(tmp_path):
    # one reader: the loader refuses a pack with the first problem the check lists, and loads
    # one the check passes; only the citation review (a status's, a placeholder) is the check's
    packs = [p for p in sorted(PACKS.iterdir()) if p.is_dir()] + [_duplicate_id_pack(tmp_path)]
    refused = 0
    for pack in packs:
        report = check_pack(pack)
        listed = report.reading.issues
        fatal = [i for i in listed if i.code != "citation" or i.message.startswith(
            ("missing citation: every rule", "empty citation"))]  # the rule language's own
        if not fatal:
            assert load_pack(pack).sha256 == report.reading.sha256
            assert (report.pack is None) == bool(listed)  # analysed only without errors
            continue
        refused += 1
        assert report.pack is None and not report.ok
        with pytest.raises(RuleFileError) as caught:
            load_pack(pack)
        assert str(caught.value).startswith(f"{fatal[0].file}:{fatal[0].line}: ")
        if fatal[0].code == "schema":  # the report words a missing citation as such
            assert str(caught.value).endswith(fatal[0].message)
        assert caught.value.problems == tuple(listed)
    assert refused == 3  # missing_citation, schema_error, the duplicate id


def test_a_status_without_citation_fails_the_check_but_loads(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "missing_citation", pack)
    for name in ("rules.yaml",):
        (pack / name).unlink()
    assert errors_in(pack) == [
        f"{pack}/pack.yaml:14: statuses.special_control: missing citation: a status times rules "
        "by law; cite where"]
    assert load_pack(pack).statuses["special_control"].citation is None
