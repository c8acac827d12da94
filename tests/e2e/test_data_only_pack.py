"""A regime written as data only: the fortnightly pack in rulesets/rbi-crr loads, passes
``rrr rules check`` and ``rrr rules test``, and evaluates through ``rrr evaluate``, with no
Python that knows its jurisdiction. Expected figures are worked by hand in the comments.
"""

from __future__ import annotations

import json
import re

from clirun import ROOT, rrr

from rrr_engine.authoring.scenarios import Scenario, run_scenario
from rrr_engine.engine import Engine
from rrr_engine.rules.pack import load_pack

PACK = ROOT / "rulesets" / "rbi-crr"


def test_the_pack_loads_with_generated_fortnights_and_a_daily_minimum():
    pack = load_pack(PACK)
    listed = pack.periods.periods
    # 14-day periods from Saturday 2022-05-07 to the one beginning 2025-11-29
    assert (listed[0].id, listed[-1].id, str(listed[-1].last)) == (
        "2022-05-07", "2025-11-29", "2025-12-12")
    assert all(p.days == 14 and p.first.weekday() == 5 for p in listed)
    assert [str(v) for v in pack.versions] == [
        "2022-05-21", "2024-12-14", "2024-12-28", "2025-09-06", "2025-10-04", "2025-11-01",
        "2025-11-29"]


def test_rules_check_and_rules_test_pass(capsys):
    code, out, _ = rrr(capsys, "rules", "check", PACK)
    assert code == 0 and "0 errors, 0 warnings" in out and out.rstrip().endswith("check passed")
    code, out, _ = rrr(capsys, "rules", "test", PACK)
    assert code == 0, out
    assert "17 scenarios: 17 passed, 0 failed; 8 of 8 rules and statuses exercised" in out


def test_evaluate_through_the_cli(capsys, tmp_path):
    pack = load_pack(PACK)
    ccy = pack.header.domestic_currency
    [category] = pack.header.categories
    [cls] = pack.header.classes
    inst = tmp_path / "institutions.yaml"
    inst.write_text(f"- {{id: B1, name: Bank one, class: {cls}}}\n")
    bal = tmp_path / "balances.csv"
    # the base is the Friday 15 days before the fortnight of Sat 2025-10-04: Fri 2025-09-19;
    # the Thursday and the Saturday around it must not count
    bal.write_text("institution_id,date,category,currency,amount\n"
                   f"B1,2025-09-18,{category},{ccy},100\n"
                   f"B1,2025-09-19,{category},{ccy},200000\n"
                   f"B1,2025-09-20,{category},{ccy},999999\n")
    hold = tmp_path / "holdings.csv"
    # 3.50% × 200,000 = 7,000; daily floor 90% × 7,000 = 6,300. Holdings 7,100 on 13 days and
    # 6,000 on Wed 2025-10-08: average (13 × 7,100 + 6,000) / 14 = 98,300 / 14 = 7,021.43
    # (rounded when shown), no average shortfall; 2025-10-08 is 6,300 − 6,000 = 300 short
    days = [f"2025-10-{d:02d}" for d in range(4, 18)]
    hold.write_text("institution_id,date,currency,amount\n" + "".join(
        f"B1,{d},{ccy},{6000 if d == '2025-10-08' else 7100}\n" for d in days))
    code, out, err = rrr(capsys, "evaluate", "--rules", PACK, "--institutions", inst,
                         "--balances", bal, "--holdings", hold, "--period", "2025-10-04",
                         "--format", "json")
    assert code == 0, err
    [result] = json.loads(out)
    assert result["computation_period"] == "2025-09-19..2025-09-19"
    assert result["lines"][0]["average_base"] == "200000.00"
    assert result["lines"][0]["required"] == "7000.00"
    assert result["held"] == {ccy: "7021.43"} and result["shortfall"] == {ccy: "0.00"}
    assert result["daily_minimum"][ccy]["minimum"] == "6300.00"
    assert result["daily_minimum"][ccy]["days_below"] == [
        {"date": "2025-10-08", "held": "6000.00", "short": "300.00"}]
    assert "below_daily_minimum" in [f["code"] for f in result["findings"]]
    # the table format prints the finding
    code, out, _ = rrr(capsys, "evaluate", "--rules", PACK, "--institutions", inst,
                       "--balances", bal, "--holdings", hold, "--period", "2025-10-04")
    assert code == 0 and "below_daily_minimum" in out and "2025-10-08" in out


def test_a_wrong_daily_minimum_expectation_fails_its_scenario():
    engine = Engine(PACK, entry_points=False)
    pack = engine.pack
    ccy = pack.header.domestic_currency
    [category] = pack.header.categories
    scenario = Scenario.model_validate({
        "name": "wrong", "period": "2025-01-11",
        "institutions": [{"id": "B", "class": pack.header.classes[0]}],
        "balances": [{"institution": "B", "category": category, "currency": ccy,
                      "amount": "1000"}],
        "holdings": [{"institution": "B", "currency": ccy, "amount": "40"}],
        # 4% × 1,000 = 40 held every day: the floor is 36 and no day is below it
        "expect": [{"institution": "B", "daily_minimum": {ccy: {
            "minimum": "35", "days_below": {"2025-01-12": "1"}}}}]})
    diffs = run_scenario(engine, scenario).differences
    assert diffs == [
        f"B: daily_minimum.{ccy}.minimum: expected 35, got 36.00",
        f"B: daily_minimum.{ccy}.days_below: expected {{datetime.date(2025, 1, 12): "
        "Decimal('1')}, got {}"]


def test_the_engine_names_no_jurisdiction_of_this_pack():
    # the pack is data only: no module of the engine names its country, central bank,
    # reserve base or currency
    words = re.compile(r"\b(India|Indian|RBI|NDTL|INR|rupees?)\b", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in sorted((ROOT / "rrr_engine").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if words.search(line)]
    assert found == []
