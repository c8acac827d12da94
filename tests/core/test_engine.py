"""The Engine object: isolation between engines, decision reuse, the embedding API."""

import datetime as dt
import shutil
from decimal import Decimal as D

import pytest
from clirun import VN_PACK

from rrr_engine.engine import Engine
from rrr_engine.errors import AmbiguousRules, NoRuleApplies
from rrr_engine.models import BalanceRow, Event, Institution
from rrr_engine.periods import Month


def september(inst_id, amounts):
    return [BalanceRow(inst_id, day, cat, ccy, amt)
            for day in Month(2025, 9).dates() for cat, ccy, amt in amounts]


BANK = Institution(id="B1", name="Bank", **{"class": "other_ci"})
BALANCES = september("B1", [("vnd_short", "VND", D("1000000")), ("fx_short", "USD", D("1000"))])


def amended_pack(tmp_path, old, new):
    """A copy of the VN pack with one ratio text changed (a compliance amendment)."""
    pack = tmp_path / "vn-amended"
    shutil.copytree(VN_PACK, pack)
    ratios = (pack / "ratios.yaml").read_text()
    assert ratios.count(old) >= 1
    (pack / "ratios.yaml").write_text(ratios.replace(old, new))
    return pack


def test_two_engines_with_different_rule_versions_in_one_process(tmp_path):
    # the amendment raises other_ci's VND short ratio from 3% to 4% in the 2025-10 table;
    # both packs have the same id, so a shared durable_rules host would mix them up
    amended = amended_pack(tmp_path, 'values: {vnd_short: "0.03", vnd_long: "0.01", '
                                     'fx_overseas_ci: "0.01", fx_short: "0.08"',
                           'values: {vnd_short: "0.04", vnd_long: "0.01", fx_overseas_ci: "0.01", '
                           'fx_short: "0.08"')
    current, changed = Engine(VN_PACK), Engine(amended)
    assert current.pack.id == changed.pack.id and current.pack.sha256 != changed.pack.sha256
    for _ in range(2):  # interleaved, twice: neither engine sees the other's rules
        a = current.evaluate("2025-10", institutions=[BANK], balances=BALANCES)[0]
        b = changed.evaluate("2025-10", institutions=[BANK], balances=BALANCES)[0]
        assert a.required == {"VND": D("30000"), "USD": D("80")}  # 3% of 1,000,000; 8% of 1,000
        assert b.required == {"VND": D("40000"), "USD": D("80")}
    assert a.ruleset["sha256"] != b.ruleset["sha256"]


def test_pack_versions_select_the_rules_in_force():
    engine = Engine(VN_PACK)
    before = engine.evaluate("2018-05", institutions=[BANK], balances=BALANCES_APRIL_2018)[0]
    assert before.ruleset["version"] == "2011-09"
    assert before.required == {"VND": D("0"), "USD": D("80")}  # 8% (Decision 1925) of 1,000
    assert {f["category"] for f in before.findings if f["code"] == "category_not_covered"} == {
        "vnd_short", "vnd_long"}
    # only the FX categories are in the 2011 tables: VND before 2018-06 is not in the pack
    with pytest.raises(NoRuleApplies, match="vnd_short"):
        engine.evaluate("2018-05", institutions=[BANK], balances=BALANCES_APRIL_2018 + [
            BalanceRow("B1", dt.date(2018, 4, 1), "vnd_short", "VND", D(1))])


BALANCES_APRIL_2018 = [BalanceRow("B1", day, "fx_short", "USD", D("1000"))
                       for day in Month(2018, 4).dates()]


def test_ambiguous_ratio_rules_name_the_rules(tmp_path):
    # a second table covering the same cells from 2025-10: two rules apply to each cell
    pack = tmp_path / "overlap"
    shutil.copytree(VN_PACK, pack)
    text = (pack / "ratios.yaml").read_text()
    start, end = text.index("  - id: d1158-2977-2025"), text.index("\nnot_covered:")
    dup = text[start:end].replace("d1158-2977-2025", "d-duplicate")
    (pack / "ratios.yaml").write_text(text[:end] + "\n" + dup + text[end:])
    with pytest.raises(AmbiguousRules) as err:
        Engine(pack).evaluate("2025-10", institutions=[BANK], balances=BALANCES)
    assert "d-duplicate" in str(err.value) and "d1158-2977-2025" in str(err.value)
    assert "institution B1" in str(err.value) and "2025-10" in str(err.value)


def varied_institutions():
    """Many institutions over every class, status and reduction the VN pack knows."""
    out = []
    events = [(), (Event(type="special_control_start", date=dt.date(2025, 8, 3)),),
              (Event(type="mandatory_transfer_start", date=dt.date(2025, 6, 1)),),
              (Event(type="support_role_start", date=dt.date(2025, 1, 1)),),
              (Event(type="licensed", date=dt.date(2025, 9, 1)),
               Event(type="commenced_operations", date=dt.date(2025, 9, 10))),
              (Event(type="licence_revoked", date=dt.date(2025, 9, 30)),)]
    agri = [(None, {}), (D("0.8"), {"vnd_short": D("0.002")}), (D("0.5"), {"vnd_long": D("0.005")})]
    n = 0
    for cls in ("people_credit_fund", "agribank", "coop_bank", "other_ci"):
        for ev in events:
            for share, proposed in agri:
                n += 1
                out.append(Institution(id=f"I{n}", **{"class": cls}, events=ev,
                                       agri_lending_share=share, proposed_vnd_ratios=proposed))
    return out


def test_decision_reuse_gives_the_same_results_as_evaluating_every_fact():
    # five banks share each combination of class, events and reductions, as real banks do
    institutions = [inst.model_copy(update={"id": f"{inst.id}-{copy}"})
                    for copy in range(5) for inst in varied_institutions()]
    balances = [r for inst in institutions for r in september(inst.id, [
        ("vnd_short", "VND", D("123456789")), ("vnd_long", "VND", D("98765")),
        ("fx_overseas_ci", "USD", D("10")), ("fx_short", "USD", D("3333.33")),
        ("fx_long", "USD", D("7"))])]
    reused = Engine(VN_PACK, reuse_decisions=True)
    every = Engine(VN_PACK, reuse_decisions=False)
    a = reused.to_json(reused.evaluate("2025-10", institutions=institutions, balances=balances))
    b = every.to_json(every.evaluate("2025-10", institutions=institutions, balances=balances))
    assert a == b
    assert {r["status"] for r in a} == {"required", "exempt"}
    assert every.kernel.facts_asserted == len(institutions) * 5
    assert reused.kernel.facts_asserted <= every.kernel.facts_asserted / 5


def test_more_institutions_than_durable_context_limit():
    # durable_rules allows 1,024 live contexts per ruleset; each fact's state is deleted
    institutions = [Institution(id=f"N{i}", **{"class": "other_ci"}) for i in range(300)]
    engine = Engine(VN_PACK, reuse_decisions=False)
    results = engine.evaluate("2025-10", institutions=institutions, balances=[
        r for inst in institutions for r in september(inst.id, [("vnd_short", "VND", D("100"))])])
    assert engine.kernel.facts_asserted == 1500
    assert all(r.required["VND"] == D("3") for r in results)


def test_engine_reads_sources_through_plugins(tmp_path):
    class HostBalances:
        """A host's own balance source, overriding the built-in file adapter."""

        from rrr_engine import hookimpl

        @hookimpl
        def rrr_daily_balances(self, options, start, end):
            return [r for r in BALANCES if start <= r.date <= end]

    inst_file = tmp_path / "banks.yaml"
    inst_file.write_text("- {id: B1, class: other_ci}\n")
    missing_csv = tmp_path / "never-read.csv"
    engine = Engine(VN_PACK, plugins=[HostBalances()])
    result = engine.evaluate_sources("2025-10", {"institutions": inst_file,
                                                 "balances": missing_csv})[0]
    assert result.required == {"VND": D("30000"), "USD": D("80")}


def test_totals_keep_forty_digits_before_presentation():
    # thirds that do not terminate: a total summed at Python's default 28 digits would
    # differ from the exact-context sum of the lines in the last places
    rows = [BalanceRow("B1", day, cat, "VND", D(amount)) for day in Month(2025, 9).dates()
            for cat, amount in (("vnd_short", "1000000000000001"), ("vnd_long", "2000000000000002"))
            if day.day != 30] + [BalanceRow("B1", dt.date(2025, 9, 30), "vnd_short", "VND", D(0)),
                                  BalanceRow("B1", dt.date(2025, 9, 30), "vnd_long", "VND", D(1))]
    result = Engine(VN_PACK).evaluate("2025-10", institutions=[BANK], balances=rows)[0]
    lines = {ln.category: ln.required for ln in result.lines}
    # 3% × (29 × 1000000000000001) / 30 + 1% × (29 × 2000000000000002 + 1) / 30, at 40 digits
    assert len(str(result.required["VND"]).replace(".", "")) > 28
    assert result.required["VND"] == lines["vnd_short"] + lines["vnd_long"]
