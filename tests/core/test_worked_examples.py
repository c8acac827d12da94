"""The domain brief's §9 worked examples A–D, through ``rrr evaluate``.

Expected figures are the brief's own hand computations; money is compared as exact Decimals
of the presented (rounded) strings.
"""

from decimal import Decimal as D

from clirun import FIXTURES, evaluate_json

W = FIXTURES / "worked"


def money(values: dict[str, str]) -> dict[str, D]:
    return {ccy: D(v) for ccy, v in values.items()}


def test_example_a_other_ci_agribank_and_transferee(capsys):
    out = evaluate_json(capsys, "--institutions", W / "institutions_a.yaml",
                        "--balances", W / "balances_a.csv", "--period", "2025-10")
    assert money(out["A-OTHER"]["required"]) == {"VND": D("1700000000000"), "USD": D("46100000.00")}
    assert money(out["A-AGRI"]["required"]) == {"VND": D("1700000000000"), "USD": D("40100000.00")}
    assert money(out["A-TRANSFEREE"]["required"]) == {"VND": D("850000000000"),
                                                      "USD": D("23050000.00")}
    reduced = {ln["category"]: ln for ln in out["A-TRANSFEREE"]["lines"]}
    assert reduced["fx_short"]["ratio"] == "0.04"
    assert reduced["fx_short"]["reductions"] == ["c30-art7-2025"]
    assert any("Art. 7" in c for c in reduced["fx_short"]["citations"])


def test_example_a_lines_carry_rule_and_citation(capsys):
    out = evaluate_json(capsys, "--institutions", W / "institutions_a.yaml",
                        "--balances", W / "balances_a.csv", "--period", "2025-10")
    result = out["A-OTHER"]
    assert result["maintenance_period"] == "2025-10"
    assert result["computation_period"] == "2025-09"
    assert result["status"] == "required" and result["exemption"] is None
    assert result["ruleset"]["id"] == "vn-sbv" and result["ruleset"]["version"] == "2025-10"
    assert len(result["ruleset"]["sha256"]) == 64
    vnd_short = next(ln for ln in result["lines"] if ln["category"] == "vnd_short")
    assert (D(vnd_short["average_base"]), vnd_short["ratio"], D(vnd_short["required"])) == (
        D("50000000000000"), "0.03", D("1500000000000"))
    assert vnd_short["rule"] == "d1158-2977-2025"
    # the table in force from 2025-10 is Decision 1158 as amended: both documents are cited
    assert vnd_short["citations"] == [
        "Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision 2977/QĐ-NHNN (2025)"]


def test_example_b_average_over_calendar_days(capsys):
    out = evaluate_json(capsys, "--institutions", W / "institutions_b.yaml",
                        "--balances", W / "balances_b.csv", "--period", "2025-10")
    line = next(ln for ln in out["B"]["lines"] if ln["category"] == "vnd_short")
    assert D(line["average_base"]) == D("50000000000000")


def test_example_c_shortfall_against_held_average(capsys):
    out = evaluate_json(capsys, "--institutions", W / "institutions_c.yaml",
                        "--balances", W / "balances_c.csv", "--holdings", W / "holdings_c.csv",
                        "--period", "2025-10")
    result = out["C"]
    assert D(result["required"]["VND"]) == D("1700000000000")
    # 1,800 bn × 20 days + 1,500 bn × 11 days over 31 days = 1,693.548387096… bn
    assert D(result["held"]["VND"]) == D("1693548387097")
    # 1,700 bn − 52,500/31 bn = 200/31 bn = 6,451,612,903.2258… đồng, half-up to the đồng
    assert D(result["shortfall"]["VND"]) == D("6451612903")
    assert D(result["excess"]["VND"]) == D("0")
    # interest 0.5%/yr Actual/365 on the held average (below the requirement) for 31 days:
    # 52,500 bn / 31 × 0.005 × 31 / 365 = 262.5 bn / 365 = 719,178,082.19…
    assert D(result["interest"]["VND"]) == D("719178082")
    assert "shortfall" in [f["code"] for f in result["findings"]]


def test_example_d_eur_converted_to_usd_through_vnd(capsys):
    out = evaluate_json(capsys, "--institutions", W / "institutions_d.yaml",
                        "--balances", W / "balances_d.csv", "--fx-rates", W / "fx_d.csv",
                        "--period", "2025-10")
    line = next(ln for ln in out["D"]["lines"] if ln["category"] == "fx_short")
    assert line["reserve_currency"] == "USD"
    assert D(line["average_base"]) == D("10576923.08")
    # 8% of 10,000,000 × 27,500 / 26,000 = 846,153.846… → 846,153.85
    assert D(line["required"]) == D("846153.85")
