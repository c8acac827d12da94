"""``rrr rules diff --db`` and ``rrr reevaluate`` with a pack that cannot evaluate one stored
institution: it is listed by name (exit 4), the others are compared and, for a re-evaluation,
stored - on SQLite and PostgreSQL.

The amended pack raises other_ci's VND short ratio from 3% to 4% (BANK1 moves) and leaves
agribank without a number from 2025-10 (BANK2, which has VND and FX balances, cannot be
evaluated); BANK3 (a people's credit fund at 0%) does not move.
"""

import json

import governance_data as gd
import nightly_data as nd
import pytest
from clirun import VN_PACK, rrr

from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest

AGRIBANK_2025 = ('      - classes: [agribank, coop_bank]\n        values: {vnd_short: "0.03", '
                 'vnd_long: "0.01", fx_overseas_ci: "0.01", fx_short: "0.07", fx_long: "0.05"}\n'
                 '      - classes: [other_ci]\n        values: {vnd_short: "0.04"')
UNSET = ('      - classes: [agribank, coop_bank]\n        values: {vnd_short: null, '
         'vnd_long: null, fx_overseas_ci: null, fx_short: null, fx_long: null}\n        '
         'unset_reason: "no number for this class in the amended decision"\n      - classes: '
         '[other_ci]\n        values: {vnd_short: "0.04"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stored(request, tmp_path_factory):
    from rrr_engine.engine import Engine
    from rrr_engine.jobs.nightly import NightlyJob
    url = nd.module_db_url(request, tmp_path_factory)
    sources = gd.feed(tmp_path_factory.mktemp("feed"))
    with Storage.open(url) as store:
        NightlyJob(Engine(VN_PACK), store, sources).run(nd.dates(gd.START, gd.END))
    return url


@pytest.fixture
def amended(tmp_path):
    pack = gd.amended_pack(tmp_path / "pack")  # other_ci vnd_short 0.03 -> 0.04 from 2025-10
    ratios = pack / "ratios.yaml"
    body = ratios.read_text(encoding="utf-8")
    assert body.count(AGRIBANK_2025) == 1
    ratios.write_text(body.replace(AGRIBANK_2025, UNSET), encoding="utf-8")
    return pack


def test_rules_diff_lists_the_institution_it_cannot_evaluate_and_compares_the_others(
        stored, amended, capsys):
    code, out, err = rrr(capsys, "rules", "diff", VN_PACK, amended, "--db", stored,
                         "--format", "json")
    assert code == 4
    impact = json.loads(out)["impact"]
    failed = [(e["key"][:3], e["error"]["code"], e["error"]["field"])
              for e in impact["not_evaluated"]]
    assert failed == [(["BANK2", "2025-10", "requirement"], "no_rule_applies", "class"),
                      (["BANK2", "2025-10", "close"], "no_rule_applies", "class"),
                      (["BANK2", "2025-11", "requirement"], "no_rule_applies", "class")]
    assert {(m["institution_id"], m["period"], m["stage"]) for m in impact["moved"]} == {
        ("BANK1", "2025-10", "requirement"), ("BANK1", "2025-10", "close"),
        ("BANK1", "2025-11", "requirement")}
    lines = err.splitlines()
    assert len(lines) == 3 and all(ln.startswith("rrr: error: 2025-1") for ln in lines)
    assert ("institution BANK2 (class agribank), category vnd_short, maintenance month 2025-10: "
            "no number for this class in the amended decision") in lines[0]


def test_reevaluate_stores_the_others_and_names_the_one_it_cannot(stored, amended, capsys):
    code, out, err = rrr(capsys, "reevaluate", "--db", stored, "--rules", amended, "--from-period",
                         "2025-10", "--to-period", "2025-11", "--by", "dave", "--why", "amendment")
    assert code == 4
    assert out.splitlines()[:3] == ["BANK1 2025-10 requirement: v1 -> v2",
                                    "BANK1 2025-10 close: v1 -> v2",
                                    "BANK1 2025-11 requirement: v1 -> v2"]
    assert "3 new result version(s), 3 unchanged, 0 restatement(s), 3 not evaluated" in out
    errors = [ln for ln in err.splitlines() if ln.startswith("rrr: error: ")]
    assert sorted(ln.split(":")[2].strip() for ln in errors) == [
        "2025-10 close", "2025-10 requirement", "2025-11 requirement"]
    with Storage.open(stored) as store:
        with store.transaction() as conn:
            assert latest(conn, "BANK2", "2025-10", "requirement").result_version == 1  # as was
            assert latest(conn, "BANK1", "2025-10", "requirement").result_version == 2
        run = store.runs()[-1]  # the re-evaluation, after the nightly runs
    assert (run["outcome"], run["exit_code"]) == ("partial", 4)
    assert [e["institution_id"] for e in json.loads(run["summary_json"])["errors"]] == ["BANK2"] * 3
