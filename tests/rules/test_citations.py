"""A rule amended by a later document cites it: ``amended_by`` on a citation reaches the
JSON contract, the table format, the reports and ``rrr rules explain``; the rule language
refuses a malformed one and the pack writer writes it back as it was."""

import pytest
from clirun import FIXTURES, VN_PACK, rrr
from pydantic import ValidationError

from rrr_engine.authoring.sheets.writer import render_table
from rrr_engine.rules.model import Citation
from rrr_engine.rules.pack import load_pack

W = FIXTURES / "worked"
AMENDED = "Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision 2977/QĐ-NHNN (2025)"


def test_a_citation_names_every_amending_document():
    c = Citation(document="Circular 30/2019/TT-NHNN", article="7", clause="1",
                 amended_by=["Circular 23/2025/TT-NHNN", "Circular 99/2026/TT-NHNN"])
    assert str(c) == ("Circular 30/2019/TT-NHNN, Art. 7(1), as amended by Circular 23/2025/TT-NHNN "
                      "and Circular 99/2026/TT-NHNN")
    assert Citation(document="D", article="1", amended_by="E").amended_by == ("E",)
    assert str(Citation(document="D", article="1")) == "D, Art. 1"


@pytest.mark.parametrize("bad", [[""], ["  "], [3], [None]])
def test_an_amending_document_must_be_named(bad):
    with pytest.raises(ValidationError, match="amended_by lists documents"):
        Citation(document="D", article="1", amended_by=bad)


def test_the_table_format_of_evaluate_cites_the_amendment(capsys):
    code, out, err = rrr(capsys, "evaluate", "--rules", VN_PACK, "--format", "table",
                         "--institutions", W / "institutions_a.yaml", "--balances",
                         W / "balances_a.csv", "--period", "2025-10")
    assert code == 0, err
    assert f"  law: {AMENDED}\n" in out
    # the reduction in force from 2025-10 is Circular 30 Art. 7 as amended by Circular 23
    assert ("  law: Circular 30/2019/TT-NHNN, Art. 7, as amended by Circular 23/2025/TT-NHNN\n"
            in out)


def test_before_the_amendment_only_the_original_is_cited(capsys, tmp_path):
    (tmp_path / "i.yaml").write_text('- {id: B, name: "Bank", class: other_ci}\n')
    (tmp_path / "b.csv").write_text("institution_id,date,category,currency,amount\n"
                                    "B,2025-08-01,vnd_short,VND,1000000\n")
    code, out, err = rrr(capsys, "evaluate", "--rules", VN_PACK, "--format", "table",
                         "--institutions", tmp_path / "i.yaml", "--balances", tmp_path / "b.csv",
                         "--period", "2025-09")
    assert code == 0, err
    assert "  law: Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1\n" in out and "2977" not in out


def test_the_pack_writer_keeps_amended_by_in_both_layouts():
    from rrr_engine.authoring.sheets.writer import Layout
    pack = load_pack(VN_PACK)
    table = next(t for t in pack.ratios if t.id == "d1158-2977-2025")
    cats = list(pack.header.categories)
    flow = render_table(table, cats)
    assert flow[3:5] == ['    citation: {document: "Decision 1158/QĐ-NHNN of 29/5/2018", article: '
                         '"1",',
                         '               amended_by: ["Decision 2977/QĐ-NHNN (2025)"]}']
    block = render_table(table, cats, layout=Layout(citation_block=True))
    assert '      amended_by: ["Decision 2977/QĐ-NHNN (2025)"]' in block


def test_a_placeholder_amending_document_fails_the_check(tmp_path):
    import shutil

    from rrr_engine.authoring.check.report import check_pack
    pack = tmp_path / "vn-sbv"
    shutil.copytree(VN_PACK, pack, ignore=shutil.ignore_patterns("scenarios"))
    ratios = pack / "ratios.yaml"
    text = ratios.read_text(encoding="utf-8")
    ratios.write_text(text.replace('amended_by: ["Decision 2977/QĐ-NHNN (2025)"]',
                                   'amended_by: ["TBD"]'), encoding="utf-8")
    amended = '               amended_by: ["Decision 2977/QĐ-NHNN (2025)"]}'
    line = text.splitlines().index(amended) + 1
    found = [str(i) for i in check_pack(pack).issues if i.is_error]
    assert found == [f"{ratios}:{line}: ratios.3.citation.amended_by.0: citation amended_by 'TBD' "
                     "is a placeholder; name the amending document"]
