"""The general rule-language features: tiered ratios, allowances and period calendars.

Most tests use tests/fixtures/generality/tiny-calendar, a pack small enough to compute by hand;
each bad-input case is one file in tests/fixtures/generality/bad/ that replaces the pack file
its name starts with (``ratios_…`` replaces ``ratios.yaml``). Expected figures are worked out
in the comments, never copied from engine output.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from clirun import FIXTURES, ROOT, VN_PACK, rrr

from rrr_engine.authoring.scenarios import load_scenarios, run_scenario
from rrr_engine.engine import Engine
from rrr_engine.errors import InputError, NoRulesetInForce, RuleFileError
from rrr_engine.models import BalanceRow, HoldingRow, Institution
from rrr_engine.money import exact
from rrr_engine.rules.bands import Band, parse_bands, split
from rrr_engine.rules.pack import load_pack

TINY = FIXTURES / "generality" / "tiny-calendar"
BAD = FIXTURES / "generality" / "bad"
REG_D = [Band(upto=D("16900000"), ratio=D("0")), Band(upto=D("127500000"), ratio=D("0.03")),
         Band(ratio=D("0.10"))]


def days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(n) for n in range((end - start).days + 1)]


def rows(inst: str, category: str, amount: str, first: str, last: str) -> list[BalanceRow]:
    return [BalanceRow(inst, day, category, "EUR", D(amount)) for day in days(first, last)]


def bank(id_: str, cls: str = "bank", events: tuple = ()) -> Institution:
    return Institution(id=id_, **{"class": cls}, events=list(events))


@pytest.fixture(scope="module")
def tiny() -> Engine:
    return Engine(TINY, entry_points=False)


# ---- tranches ----------------------------------------------------------------------------

def test_tranches_apply_marginally_to_the_base():
    parts = split(tuple(REG_D), D("200000000"))
    assert [(t.base, t.required) for t in parts] == [
        (D("16900000"), D("0")), (D("110600000"), D("3318000.00")),
        (D("72500000"), D("7250000.00"))]
    # 3% × (127.5m − 16.9m) + 10% × (200m − 127.5m) = 3.318m + 7.25m
    assert sum(t.required for t in parts) == D("10568000")


@pytest.mark.parametrize("base, required", [
    ("0", "0"),
    ("16900000", "0"),  # exactly the exemption amount: nothing above it
    ("127500000", "3318000"),  # exactly the top of the low-reserve tranche: 3% × 110.6m
    ("127500001", "3318000.10"),  # one dollar in the 10% band
])
def test_tranches_at_the_band_edges(base, required):
    assert sum(t.required for t in split(tuple(REG_D), D(base))) == D(required)


def test_tranches_of_a_non_terminating_average_stay_exact():
    with exact():
        base = D(200000000) / 3  # 66,666,666.666…
    parts = split(tuple(REG_D), base)
    with exact():
        assert sum(t.base for t in parts) == base
        # 3% × (base − 16.9m), base below 127.5m
        assert sum(t.required for t in parts) == (base - D("16900000")) * D("0.03")


def test_a_reduction_factor_scales_every_band():
    parts = split(tuple(REG_D), D("200000000"), D("0.5"))
    assert [t.ratio for t in parts] == [D("0"), D("0.015"), D("0.050")]
    assert [t.class_ratio for t in parts] == [D("0"), D("0.03"), D("0.10")]
    assert sum(t.required for t in parts) == D("5284000")


def test_a_single_open_band_is_a_flat_ratio():
    assert parse_bands("x", [{"ratio": "0.02"}]) == (Band(ratio=D("0.02")),)


# ---- bad rule files: one fixture file each, one-line errors naming file, line and field ----

def _load_with(tmp_path: Path, bad_file: str):
    pack = tmp_path / "tiny-calendar"
    shutil.copytree(TINY, pack)
    shutil.copy(BAD / bad_file, pack / (bad_file.split("_")[0] + ".yaml"))
    with pytest.raises(RuleFileError) as caught:
        load_pack(pack)
    message = str(caught.value)
    assert "\n" not in message
    return message.replace(str(pack), "<pack>")


@pytest.mark.parametrize("bad_file, expected", [
    ("ratios_unsorted_bands.yaml", "<pack>/ratios.yaml:7: ratios.0.rows.0.values: sight: band 2 "
     "upto 16900000 is not above band 1 upto 127500000; bands go in increasing order"),
    ("ratios_band_after_open_band.yaml", "<pack>/ratios.yaml:7: ratios.0.rows.0.values: sight: "
     "band 3 follows an open band (band 2 has no upto); only the last band may be open"),
    ("ratios_last_band_not_open.yaml", "<pack>/ratios.yaml:7: ratios.0.rows.0.values: sight: the "
     "last band (band 2) has upto 127500000; it must be open (no upto)"),
    ("ratios_band_ratio_above_one.yaml", "<pack>/ratios.yaml:7: ratios.0.rows.0.values: sight: "
     "band 2: ratio: Input should be less than or equal to 1"),
    ("pack_bands_on_foreign_category.yaml", "<pack>/ratios.yaml:8: ratios.0.rows.0.values.sight: "
     "tiered ratios (bands) are for domestic categories"),
    ("allowances_undeclared_currency.yaml", "<pack>/allowances.yaml:5: allowances.0.currency: "
     "currency 'USD' is not one the pack holds reserves in (EUR)"),
    ("allowances_with_categories.yaml", "<pack>/allowances.yaml:5: allowances.0.when.categories: "
     "an allowance applies to the institution's total"),
    ("allowances_float_amount.yaml", "<pack>/allowances.yaml:6: allowances.0.amount: '.inf' is "
     "not a number in plain decimal notation"),
    ("periods_overlapping.yaml", "<pack>/periods.yaml:6: periods.maintenance.1.start: period P2 "
     "starts 2024-01-20, not after the previous period P1 ends (2024-01-23)"),
    ("periods_duplicate_id.yaml", "<pack>/periods.yaml:6: periods.maintenance.1.id: duplicate "
     "maintenance period id 'P1'"),
    ("periods_no_computation.yaml", "<pack>/periods.yaml:5: periods.maintenance.1.computation: "
     "no computation period"),
    ("periods_half_computation_rule.yaml", "<pack>/periods.yaml:3: periods.computation: "
     "end_days_before_start and length_days go together"),
    ("periods_monthly_with_day_bounds.yaml", "<pack>/ratios.yaml:3: ratios.0.effective: effective "
     "dates are months (YYYY-MM) in a pack with monthly periods"),
])
def test_bad_rule_file_is_one_line_naming_file_line_and_field(tmp_path, bad_file, expected):
    assert expected in _load_with(tmp_path, bad_file)


# ---- calendar periods --------------------------------------------------------------------

def test_calendar_computation_periods_given_referenced_or_derived(tiny):
    spans = {p.id: tiny.pack.periods.computation(p).span for p in tiny.pack.periods.periods}
    assert spans == {
        "P1": "2023-12-01..2023-12-10",  # given explicitly
        "P2": "2023-12-31..2023-12-31",  # reference_date
        "P3": "2024-01-22..2024-01-28",  # 7 days ending 10 days before 2024-02-07
        "spring": "2024-02-14..2024-02-20",  # 7 days ending 10 days before 2024-03-01
    }


def test_unknown_period_id_is_a_one_line_error(tiny):
    with pytest.raises(InputError) as caught:
        tiny.periods("P9")
    assert str(caught.value) == ("period: unknown maintenance period 'P9' in pack tiny-calendar "
                                 "(a calendar pack names periods by id; periods run from P1 to "
                                 "spring)")
    with pytest.raises(InputError,
                       match=r"2024-01-15 falls in period P1 \(2024-01-10..2024-01-23\)"):
        tiny.periods("2024-01-15")


def test_unknown_period_id_on_the_command_line_exits_2_with_one_line(capsys, tmp_path):
    inst = tmp_path / "inst.yaml"
    inst.write_text("- {id: B, class: depository_institution}\n")
    bal = tmp_path / "bal.csv"
    bal.write_text("institution_id,date,category,currency,amount\n")
    code, out, err = rrr(capsys, "evaluate", "--rules", ROOT / "rulesets" / "us-regd",
                         "--institutions", inst, "--balances", bal, "--period", "2020-01")
    assert code == 2 and out == ""
    assert err == ("rrr: error: period: unknown maintenance period '2020-01' in pack us-regd (a "
                   "calendar pack names periods by id; periods run from 2019-01-03 to "
                   "2020-12-31)\n")


def test_effective_bounds_are_months_or_days():
    from rrr_engine.periods import Month
    from rrr_engine.rules.model import Effective
    by_month = Effective.model_validate({"from": "2024-01", "to": "2024-02"})
    assert not by_month.by_day
    assert by_month.covers(Month(2024, 2)) and not by_month.covers(Month(2024, 3))
    # in a calendar pack a month bound means its first or last day
    assert by_month.covers(dt.date(2024, 2, 29)) and not by_month.covers(dt.date(2024, 3, 1))
    by_day = Effective.model_validate({"from": dt.date(2020, 3, 26)})
    assert by_day.by_day and by_day.first_day == dt.date(2020, 3, 26) and by_day.last_day is None
    assert not by_day.covers(dt.date(2020, 3, 25)) and by_day.covers(dt.date(2020, 3, 26))


def test_rules_apply_by_the_start_date_of_the_period(tiny):
    # t2 starts 2024-01-31, inside P2 (2024-01-24..02-06): P2 keeps t1, P3 is the first on t2
    assert [str(tiny.pack.version_for(tiny.periods(p)[0])) for p in ("P1", "P2", "P3")] == [
        "2024-01-10", "2024-01-10", "2024-01-31"]
    before = Engine(ROOT / "rulesets" / "us-regd", entry_points=False)
    with pytest.raises(NoRulesetInForce, match="pack us-regd starts at 2019-01-17"):
        before.evaluate("2019-01-03", institutions=[bank("B", "depository_institution")],
                        balances=[])


def _evaluate(engine: Engine, period: str, insts: list[Institution], balances: list[BalanceRow],
              holdings=None) -> dict:
    results = engine.evaluate(period, institutions=insts, balances=balances, holdings=holdings)
    return {r["institution_id"]: r for r in engine.to_json(results)}


def test_tiered_cell_and_allowances_in_a_calendar_period(tiny):
    balances = rows("B", "sight", "6000", "2023-12-01", "2023-12-10") + \
        rows("B", "term", "2000", "2023-12-01", "2023-12-10")
    results = tiny.evaluate("P1", institutions=[bank("B"), bank("S", "small_bank")],
                            balances=balances)
    out = tiny.to_json(results)[0]
    sight = next(ln for ln in out["lines"] if ln["category"] == "sight")
    # 0% × 1000 + 2% × (5000 − 1000) + 5% × (6000 − 5000) = 0 + 80 + 50
    assert [(t["base"], t["ratio"], t["required"]) for t in sight["tranches"]] == [
        ("1000.00", "0", "0.00"), ("4000.00", "0.02", "80.00"), ("1000.00", "0.05", "50.00")]
    assert D(sight["required"]) == D("130")
    # the line's ratio is the effective ratio 130 / 6000, exact inside, 28 digits when shown
    with exact():
        assert results[0].lines[0].ratio == D(130) / D(6000)
    assert sight["ratio"] == "0.02166666666666666666666666667"
    # 130 + 1% × 2000 = 150; allowances in pack order: a-bank 30, then a-all 5
    assert out["required_before_allowances"] == {"EUR": "150.00"}
    assert [(a["rule"], a["deducted"]) for a in out["allowances"]] == [("a-bank", "30.00"),
                                                                       ("a-all", "5.00")]
    assert out["required"] == {"EUR": "115.00"}
    assert out["computation_period"] == "2023-12-01..2023-12-10"
    assert out["period_dates"] == {"maintenance_start": "2024-01-10",
                                   "maintenance_end": "2024-01-23",
                                   "computation_start": "2023-12-01",
                                   "computation_end": "2023-12-10", "base": "daily_average"}


def test_allowance_never_takes_the_requirement_below_zero(tiny):
    out = _evaluate(tiny, "P1", [bank("S", "small_bank")],
                    rows("S", "sight", "900000", "2023-12-01", "2023-12-10"))["S"]
    # small_bank is at 0%: a-all (no condition) applies and deducts nothing; a-bank does not apply
    assert out["required_before_allowances"] == {"EUR": "0.00"}
    assert [(a["rule"], a["amount"], a["deducted"]) for a in out["allowances"]] == [
        ("a-all", "5", "0.00")]
    assert out["required"] == {"EUR": "0.00"}


def test_reduction_factor_applies_to_every_band(tiny):
    supported = bank("R", events=[{"type": "support_role_start", "date": "2024-01-05"}])
    balances = rows("R", "sight", "6000", "2023-12-01", "2023-12-10") + \
        rows("R", "term", "2000", "2023-12-01", "2023-12-10")
    out = _evaluate(tiny, "P1", [supported], balances)["R"]
    sight = next(ln for ln in out["lines"] if ln["category"] == "sight")
    # halved bands: 1% × 4000 + 2.5% × 1000 = 40 + 25 = 65; term 0.5% × 2000 = 10
    assert sight["reductions"] == ["r-half"] and D(sight["required"]) == D("65")
    assert [t["ratio"] for t in sight["tranches"]] == ["0", "0.01", "0.025"]
    assert [t["class_ratio"] for t in sight["tranches"]] == ["0", "0.02", "0.05"]
    # 65 + 10 − 30 − 5
    assert out["required"] == {"EUR": "40.00"}


def test_reference_date_and_derived_computation_periods(tiny):
    balances = rows("B", "sight", "6000", "2023-12-01", "2023-12-30") + \
        rows("B", "sight", "9000", "2023-12-31", "2024-01-28") + \
        rows("B", "term", "2000", "2023-12-01", "2024-01-28")
    p2 = _evaluate(tiny, "P2", [bank("B")], balances)["B"]
    # P2: the 2023-12-31 balance, still t1: 2% × 4000 + 5% × 4000 = 280; + 20 − 35 = 265
    assert p2["ruleset"]["version"] == "2024-01-10" and p2["required"] == {"EUR": "265.00"}
    p3 = _evaluate(tiny, "P3", [bank("B")], balances)["B"]
    # P3: the average of 2024-01-22..28 = 9000, flat 4% under t2 = 360; + 20 − 35 = 345
    assert p3["ruleset"]["version"] == "2024-01-31" and p3["required"] == {"EUR": "345.00"}
    assert "tranches" not in next(ln for ln in p3["lines"] if ln["category"] == "sight")


def test_status_timing_counts_in_maintenance_periods(tiny):
    # licence revoked inside P2 with timing "next": exempt from P3, not in P2
    revoked = bank("W", events=[{"type": "licence_revoked", "date": "2024-01-30"}])
    # an event in the gap between P3 and spring: the next period is spring
    in_gap = bank("G", events=[{"type": "licence_revoked", "date": "2024-02-25"}])
    balances = rows("W", "sight", "1", "2023-12-01", "2024-02-20") + \
        rows("G", "sight", "1", "2023-12-01", "2024-02-20")
    p2 = _evaluate(tiny, "P2", [revoked, in_gap], balances)
    p3 = _evaluate(tiny, "P3", [revoked, in_gap], balances)
    spring = _evaluate(tiny, "spring", [revoked, in_gap], balances)
    assert (p2["W"]["status"], p3["W"]["status"]) == ("required", "exempt")
    assert p3["W"]["exemption"]["rule"] == "x-winding-up"
    assert p3["W"]["exemption"]["from"] == "2024-02-07"
    assert (p3["G"]["status"], spring["G"]["status"]) == ("required", "exempt")


def test_holdings_average_over_the_dated_maintenance_period(tiny):
    balances = rows("B", "sight", "6000", "2023-12-01", "2023-12-10")
    holdings = [HoldingRow("B", day, "EUR", D("100") if day.day < 17 else D("79"))
                for day in days("2024-01-10", "2024-01-23")]
    out = _evaluate(tiny, "P1", [bank("B")], balances, holdings)["B"]
    # required 130 − 35 = 95; held (100 × 7 + 79 × 7) / 14 = 89.5; shortfall 5.5
    assert out["required"] == {"EUR": "95.00"}
    assert out["held"] == {"EUR": "89.50"} and out["shortfall"] == {"EUR": "5.50"}


# ---- what stays as it was ------------------------------------------------------------------

def test_vietnam_results_carry_no_new_fields(capsys):
    from clirun import evaluate_json
    W = FIXTURES / "worked"
    out = evaluate_json(capsys, "--institutions", W / "institutions_a.yaml",
                        "--balances", W / "balances_a.csv", "--period", "2025-10")
    for result in out.values():
        assert set(result) == {
            "institution_id", "institution_name", "institution_class", "maintenance_period",
            "computation_period", "ruleset", "status", "statuses", "exemption", "lines",
            "required", "findings"}
        assert all("tranches" not in ln for ln in result["lines"])
        assert [f["code"] for f in result["findings"]] == ["dtbb001_due"]


def test_vietnam_pack_periods_stay_monthly():
    pack = load_pack(VN_PACK)
    assert pack.periods.kind == "monthly" and pack.periods.base == "daily_average"
    assert [str(v) for v in pack.versions][:2] == ["2011-09", "2018-06"]


def test_calendar_packs_give_no_vietnamese_deadlines():
    engine = Engine(ROOT / "rulesets" / "ecb-mro", entry_points=False)
    results = engine.evaluate("2024-03-13", institutions=[bank("E", "credit_institution")],
                              balances=rows("E", "repos", "1", "2024-01-31", "2024-01-31"))
    assert results[0].findings == []


@pytest.mark.parametrize("pack", ["ecb-mro", "us-regd"])
def test_decision_reuse_gives_the_same_results_for_the_new_packs(pack):
    reused = Engine(ROOT / "rulesets" / pack, entry_points=False)
    fresh = Engine(ROOT / "rulesets" / pack, entry_points=False, reuse_decisions=False)
    for path in sorted((ROOT / "rulesets" / pack / "scenarios").glob("*.yaml")):
        for scenario in load_scenarios(path):
            a, b = run_scenario(reused, scenario), run_scenario(fresh, scenario)
            assert a.differences == b.differences == []
            assert a.rules == b.rules
    assert fresh.kernel.facts_asserted > reused.kernel.facts_asserted


def test_a_fact_no_rule_matches_is_a_named_error_not_a_crash():
    # durable_rules 2.0.28 segfaults on delete_state after an unmatched first fact of a fresh
    # ruleset; the VN pack has no VND ratio in 2018-05, so this was a crash before the kernel's
    # catch-all rule. (A VND balance makes the uncovered category an error, not a finding.)
    script = (
        "import datetime, decimal\n"
        "from rrr_engine.engine import Engine\n"
        "from rrr_engine.models import BalanceRow, Institution\n"
        "from rrr_engine.errors import NoRuleApplies\n"
        f"e = Engine({str(VN_PACK)!r}, entry_points=False)\n"
        "row = BalanceRow('A', datetime.date(2018, 4, 1), 'vnd_short', 'VND', decimal.Decimal(5))\n"
        "try:\n"
        "    e.evaluate('2018-05', institutions=[Institution(id='A', **{'class': 'other_ci'})],"
        " balances=[row])\n"
        "except NoRuleApplies as exc:\n"
        "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("no ratio rule applies to institution A (class other_ci), "
                                   "category vnd_short, maintenance month 2018-05")


def test_scenario_json_for_a_tiered_line_round_trips():
    engine = Engine(ROOT / "rulesets" / "us-regd", entry_points=False)
    results = engine.evaluate(
        "2020-01-16", institutions=[bank("B", "depository_institution")],
        balances=[BalanceRow("B", d, "net_transaction_accounts", "USD", D("200000000"))
                  for d in days("2019-12-17", "2019-12-30")])
    text = json.dumps(engine.to_json(results))
    line = json.loads(text)[0]["lines"][0]
    assert line["tranches"][2] == {"from": "127500000", "upto": None, "ratio": "0.1",
                                   "class_ratio": "0.1", "base": "72500000.00",
                                   "required": "7250000.00"}
