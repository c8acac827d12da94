"""``rrr rules diff``: rule-by-rule changes between two pack versions, and with --db exactly
which stored institution-months move and by how much (expected amounts from
tests/nightly_data.py's Fraction arithmetic: the changed ratio times the average base)."""

import json
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from fractions import Fraction

import governance_data as gd
import nightly_data as nd
import pytest
from clirun import VN_PACK, rrr

from rrr_engine.authoring.diff import diff_packs
from rrr_engine.rules.pack import load_pack

KEY = ("BANK1", "vnd_short", "VND")


def diff(capsys, old, new, *args):
    code, out, err = rrr(capsys, "rules", "diff", old, new, *args)
    assert code == 0, err
    return out


def changes(old, new):
    return [(c.section, c.name, c.kind, [str(d) for d in c.details])
            for c in diff_packs(load_pack(old), load_pack(new)).changes]


# ---- what changed ----------------------------------------------------------------------

CITED_1158 = ("Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision "
              "2977/QĐ-NHNN (2025)")


def test_one_changed_ratio_is_one_line_of_figures(tmp_path, capsys):
    new = gd.amended_pack(tmp_path / "new")  # the cell edited in place in the 2025-10 table
    line = f"other_ci vnd_short 3% → 4% from 2025-10 ({CITED_1158})"
    assert changes(VN_PACK, new) == [("ratios", "", "changed", [line])]
    out = diff(capsys, VN_PACK, new)
    assert f"ratios: changed\n  {line}\n1 change(s)\n" in out


def test_settings_statuses_citations_dates_added_and_removed_rules(tmp_path):
    new = gd.amended_pack(tmp_path / "new")
    gd.edit_file(new, "pack.yaml", "value: lowest", "value: compound")
    gd.edit_file(new, "pack.yaml", "starts: {event: special_control_start, month: next}",
                 "starts: {event: special_control_start, month: same}")
    gd.edit_file(new, "interest.yaml", 'annual_rate: "0.005"', 'annual_rate: "0.006"')
    gd.edit_file(new, "exemptions.yaml", 'effective: {from: "2025-10"}\n    citation: {document: '
                 '"Circular 23/2025/TT-NHNN", article: "1",',
                 'effective: {from: "2025-11"}\n    citation: {document: '
                 '"Circular 23/2025/TT-NHNN", article: "2",')
    gd.edit_file(new, "reductions.yaml", "  - id: c30-art7-support-2020", "  - id: c30-art7-old")
    found = {(s, n, k): d for s, n, k, d in changes(VN_PACK, new)}
    assert found[("settings", "reduction_stacking", "changed")] == ["value: lowest -> compound"]
    assert found[("statuses", "special_control", "changed")] == ["starts.month: next -> same"]
    assert found[("interest", "sbv-interest-vnd-2021", "changed")] == [
        "annual_rate: 0.005 -> 0.006"]
    assert found[("exemptions", "c23-policy-bank", "changed")] == [
        "citation.article: 1 -> 2", "effective.from: 2025-10 -> 2025-11"]
    assert ("reductions", "c30-art7-support-2020", "removed") in found
    assert found[("reductions", "c30-art7-old", "added")] == [
        "citation.article: (none) -> 7", "citation.document: (none) -> Circular 30/2019/TT-NHNN",
        "effective.from: (none) -> 2020-03", "effective.to: (none) -> 2025-09",
        "title: (none) -> Support-providing institution under an approved recovery plan: "
        "50% of the ratio"]


def test_regrouping_rows_without_changing_a_ratio_is_no_change(tmp_path, capsys):
    new = gd.amended_pack(tmp_path / "new", new="0.03")  # the same files
    gd.edit_file(new, "ratios.yaml",
                 '      - classes: [agribank, coop_bank]\n        values: {vnd_short: "0.03", '
                 'vnd_long: "0.01", fx_overseas_ci: "0.01", fx_short: "0.07", fx_long: "0.05"}\n'
                 '      - classes: [other_ci]\n        values: {vnd_short: "0.03", vnd_long: '
                 '"0.01", fx_overseas_ci: "0.01", fx_short: "0.08", fx_long: "0.06"}\n\n  - id: '
                 'd1158-2977-2025',
                 '      - classes: [other_ci]\n        values: {vnd_short: "0.03", vnd_long: '
                 '"0.01", fx_overseas_ci: "0.01", fx_short: "0.08", fx_long: "0.06"}\n'
                 '      - classes: [coop_bank, agribank]\n        values: {vnd_short: "0.03", '
                 'vnd_long: "0.01", fx_overseas_ci: "0.01", fx_short: "0.07", fx_long: "0.05"}\n\n'
                 '  - id: d1158-2977-2025')
    assert load_pack(new).sha256 != load_pack(VN_PACK).sha256
    assert changes(VN_PACK, new) == []
    assert "no change: the packs say the same" in diff(capsys, VN_PACK, new)


def test_json_lists_changes_with_both_versions(tmp_path, capsys):
    new = gd.amended_pack(tmp_path / "new")
    out = json.loads(diff(capsys, VN_PACK, new, "--format", "json"))
    assert out["old"]["sha256"] == load_pack(VN_PACK).sha256
    assert out["new"]["sha256"] == load_pack(new).sha256
    assert out["changes"] == [{"section": "ratios", "name": "", "kind": "changed",
                               "details": [{"field": "other_ci vnd_short", "old": "3%",
                                            "new": "4%", "classes": ["other_ci"],
                                            "category": "vnd_short", "from": "2025-10",
                                            "to": None, "citation": CITED_1158,
                                            "table": "d1158-2977-2025"}]}]
    assert out["impact"] is None


# ---- what moves in the stored results ------------------------------------------------

@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stored(request, tmp_path_factory):
    """The small bank's nightly run, September 1 to November 1, with the shipped pack."""
    from rrr_engine.engine import Engine
    from rrr_engine.jobs.nightly import NightlyJob
    from rrr_engine.store.database import Storage
    url = nd.module_db_url(request, tmp_path_factory)
    sources = gd.feed(tmp_path_factory.mktemp("feed"))
    with Storage.open(url) as store:
        NightlyJob(Engine(VN_PACK), store, sources).run(nd.dates(gd.START, gd.END))
    return url


def whole(value) -> D:
    """A VND figure rounded half-up to the đồng, from a Decimal or a Fraction."""
    if isinstance(value, Fraction):
        sign = -1 if value < 0 else 1
        return sign * nd.presented(abs(value), 0)
    return D(value).quantize(D(1), rounding=ROUND_HALF_UP)


def test_a_changed_ratio_moves_exactly_the_institution_months_it_governs(stored, tmp_path, capsys):
    new = gd.amended_pack(tmp_path / "new")
    out = json.loads(diff(capsys, VN_PACK, new, "--db", stored, "--format", "json"))
    impact = out["impact"]
    assert impact["evaluated"] == 9 and impact["not_made_with_old"] == []
    moved = {(m["institution_id"], m["period"], m["stage"]): m for m in impact["moved"]}
    # BANK1 is the only other_ci; 2977's table is in force from the 2025-10 maintenance month
    assert set(moved) == {("BANK1", "2025-10", "requirement"), ("BANK1", "2025-10", "close"),
                          ("BANK1", "2025-11", "requirement")}
    delta = Fraction(1, 100)
    sep = nd.average(lambda d: nd.balance(KEY, d), 2025, 9)
    octo = nd.average(lambda d: nd.balance(KEY, d), 2025, 10)
    for (inst, period, stage), base in (((("BANK1", "2025-10", "requirement")), sep),
                                        ((("BANK1", "2025-10", "close")), sep),
                                        ((("BANK1", "2025-11", "requirement")), octo)):
        moves = {(m["category"], m["figure"], m["currency"]): m
                 for m in moved[(inst, period, stage)]["moves"]}
        for key in (("vnd_short", "required", "VND"), ("total", "required", "VND")):
            # exact to far below a đồng, and the same đồng when rounded
            assert abs(Fraction(D(moves[key]["difference"])) - delta * base) < Fraction(1, 10**20)
            assert whole(D(moves[key]["difference"])) == whole(delta * base)
    close = {(m["category"], m["figure"]): m for m in moved[("BANK1", "2025-10", "close")]["moves"]}
    held = nd.expected_held("BANK1", "VND", 2025, 10)
    was = nd.expected_required("BANK1", 2025, 10)["VND"]
    now = was + delta * sep
    assert held > was and now > held  # the amendment turns an excess into a shortfall
    assert whole(D(close[("total", "shortfall")]["new"])) == whole(now - held)
    assert whole(D(close[("total", "excess")]["difference"])) == whole(was - held)
    totals = {(t["stage"], t["figure"], t["currency"]): D(t["difference"])
              for t in impact["totals"]}
    assert whole(totals[("requirement", "required", "VND")]) == whole(delta * (sep + octo))
    by_cat = {(t["stage"], t["category"], t["currency"]) for t in impact["by_category"]}
    assert by_cat == {("requirement", "vnd_short", "VND"), ("close", "vnd_short", "VND")}


def test_the_text_report_names_each_move_and_the_totals(stored, tmp_path, capsys):
    new = gd.amended_pack(tmp_path / "new")
    out = diff(capsys, VN_PACK, new, "--db", stored)
    sep = nd.average(lambda d: nd.balance(KEY, d), 2025, 9)
    old_line = nd.presented(Fraction(3, 100) * sep, 0)
    new_line = nd.presented(Fraction(4, 100) * sep, 0)
    assert ("9 stored institution-period-stage(s) re-evaluated with "
            f"{load_pack(new).sha256[:12]}; 3 move, 6 unchanged") in out
    assert (f"BANK1 2025-10 requirement (stored v1)\n  vnd_short required VND: {old_line:,} -> "
            f"{new_line:,} (+{whole(Fraction(1, 100) * sep):,})") in out
    assert "BANK2" not in out.split("impact on stored results")[1]
    assert "total by stage, figure and currency:\n  close excess VND: -" in out
    assert "by stage, category and currency:\n  close vnd_short VND: +" in out


def test_results_not_made_with_the_old_pack_are_pointed_out(stored, tmp_path, capsys):
    old = gd.amended_pack(tmp_path / "old")  # not what produced the stored results
    out = json.loads(diff(capsys, old, VN_PACK, "--db", stored, "--format", "json"))["impact"]
    assert len(out["not_made_with_old"]) == 9
    assert {m["ruleset_sha256"] for m in out["not_made_with_old"]} == {load_pack(VN_PACK).sha256}
    assert out["moved"] == []  # stored and new are the same pack
    text = diff(capsys, old, VN_PACK, "--db", stored)
    assert (f"note: 9 stored result(s) were not made with the old pack "
            f"{load_pack(old).sha256[:12]} but with {load_pack(VN_PACK).sha256[:12]}") in text


def test_diff_with_db_writes_nothing(stored, tmp_path, capsys):
    from rrr_engine.store.database import Storage
    with Storage.open(stored) as store:
        before = store.dump(), len(store.runs())
    diff(capsys, VN_PACK, gd.amended_pack(tmp_path / "new"), "--db", stored)
    with Storage.open(stored) as store:
        assert (store.dump(), len(store.runs())) == before


def test_a_pack_that_does_not_load_is_one_line_and_exit_2(tmp_path, capsys):
    code, _, err = rrr(capsys, "rules", "diff", VN_PACK, tmp_path / "missing")
    assert code == 2 and "rule pack directory not found" in err and err.count("\n") == 1


def test_results_stored_without_their_institution_record_need_the_institutions_file(
        db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    assert gd.backfill(capsys, db_url, sources)[0] == 0
    gd.raw(db_url, "DELETE FROM rrr_institution_records")  # as a version-1 store would be
    new = gd.amended_pack(tmp_path / "new")
    code, out, err = rrr(capsys, "rules", "diff", VN_PACK, new, "--db", db_url)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert ("BANK1 2025-10 requirement v1: the institution record it was computed from is not "
            "stored") in err and "give --institutions" in err
    out = json.loads(diff(capsys, VN_PACK, new, "--db", db_url, "--institutions",
                          sources["institutions"], "--format", "json"))
    assert len(out["impact"]["moved"]) == 3
    # a file whose record differs from the one used is not taken for it
    (tmp_path / "other.yaml").write_text(
        nd.INSTITUTIONS_YAML.replace("First Commercial Bank", "Renamed Bank"))
    code, _, err = rrr(capsys, "rules", "diff", VN_PACK, new, "--db", db_url, "--institutions",
                       tmp_path / "other.yaml")
    assert code == 2 and "BANK1 2025-10 requirement v1: the institution record" in err
