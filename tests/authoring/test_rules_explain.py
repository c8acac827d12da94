"""``rrr rules explain``: the chain of rules, events and settings behind each line, in words."""

from __future__ import annotations

from clirun import FIXTURES, VN_PACK, rrr

W = FIXTURES / "worked"
INST = FIXTURES / "explain" / "institutions.yaml"


def explain(capsys, *args: str) -> str:
    code, out, err = rrr(capsys, "rules", "explain", "--rules", VN_PACK, *args)
    assert code == 0, err
    return out


def pack_line(text):
    """Line of ``text`` in the VN pack.yaml, so the test follows edits above it."""
    return (VN_PACK / "pack.yaml").read_text().splitlines().index(text) + 1


def test_mandatory_transferee_chain_with_amounts(capsys):
    out = explain(capsys, "--institutions", W / "institutions_a.yaml", "--institution",
                  "A-TRANSFEREE", "--period", "2025-10", "--balances", W / "balances_a.csv")
    assert ("Maintenance month 2025-10 uses pack vn-sbv version 2025-10 (label 2025.10, sha256 "
            in out)
    assert "the computation month is 2025-09 (setting computation_lag_months=1)" in out
    assert "  mandatory_transfer_start on 2025-09-15\n" in out
    assert (f"  → status mandatory_transferee from 2025-09 onwards (statuses.mandatory_transferee, "
            f"{VN_PACK}/pack.yaml:{pack_line('  mandatory_transferee:')}; opens in the month of "
            "mandatory_transfer_start") in out
    assert (f"  c30-art7-2025 ({VN_PACK}/reductions.yaml:12; Circular 30/2019/TT-NHNN, Art. 7, as "
            "amended by Circular 23/2025/TT-NHNN): factor 0.5, because status mandatory_transferee "
            "holds") in out
    assert ("  vnd_short: class other_ci → 3% (ratio table d1158-2977-2025 row 3, "
            f"{VN_PACK}/ratios.yaml:40; "
            "Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by Decision 2977/QĐ-NHNN "
            "(2025))") in out
    assert "    c30-art7-2025: factor 0.5 × 3% = 1.5%\n" in out
    assert "    → 1.5% (reduced by c30-art7-2025; setting reduction_stacking=lowest)\n" in out
    assert ("    average base 50,000,000,000,000 VND (computation month 2025-09, 30 days) × 1.5% = "
            "750,000,000,000 VND") in out
    assert "Required: 850,000,000,000 VND, 23,050,000.00 USD." in out


def test_without_balances_only_the_decision(capsys):
    out = explain(capsys, "--institutions", W / "institutions_a.yaml", "--institution",
                  "A-TRANSFEREE", "--period", "2025-10")
    assert "→ 4% (reduced by c30-art7-2025; setting reduction_stacking=lowest)" in out
    assert "average base" not in out and "Required:" not in out


def test_policy_bank_before_and_after_2025_10(capsys):
    before = explain(capsys, "--institutions", INST, "--institution", "VBSP", "--period", "2025-09")
    assert ("vnd_short: class policy_bank → no number: the policy bank's ratio is set by the "
            "Government (Decision 1158 gives no number) (ratio table d1158-2018 row 2") in before
    assert "Outcome: the engine refuses this month: NoRuleApplies:" in before
    after = explain(capsys, "--institutions", INST, "--institution", "VBSP", "--period", "2025-10")
    assert (f"Exempt from 2025-10 onwards under c23-policy-bank ({VN_PACK}/exemptions.yaml:22; "
            "Circular 23/2025/TT-NHNN, Art. 1") in after
    assert "because class policy_bank. No reserve is required" in after


def test_two_reductions_and_a_refused_floor(capsys):
    out = explain(capsys, "--institutions", INST, "--institution", "AGRI", "--period", "2024-05")
    assert "because agri_lending_share 0.75 is ≥ 0.70" in out
    assert "    c14-agri-70: proposed 1%, floor 0.05 × 3% = 0.15%: accepted" in out
    assert "    c30-art7-support-2020: factor 0.5 × 3% = 1.5%" in out
    assert ("    c14-agri-70: proposed 0.04%, floor 0.05 × 1% = 0.05%: REFUSED, below the floor"
            in out)
    assert "Outcome: the engine refuses this month: RatioBelowFloor:" in out


def test_special_control_timing_and_setting(capsys):
    out = explain(capsys, "--institutions", INST, "--institution", "SC", "--period", "2025-08")
    assert ("→ status special_control from 2025-04 to 2025-08 (statuses.special_control, "
            f"{VN_PACK}/pack.yaml:{pack_line('  special_control:')}; opens the month after "
            "special_control_start; holds through "
            "the month of special_control_end; setting special_control_end_inclusive=true") in out
    assert "Exempt from 2025-04 to 2025-08 under c30-special-control" in out


def test_2011_fx_ratios_are_explained_with_the_declared_vnd_gap(capsys):
    out = explain(capsys, "--institutions", INST, "--institution", "OLD", "--period", "2015-03")
    assert "uses pack vn-sbv version 2011-09" in out
    assert ("  vnd_short: no ratio table covers class other_ci in 2015-03 (declared gap "
            "not_covered.0: VND ratios") in out
    assert ("  vnd_long: no ratio table covers class other_ci in 2015-03 (declared gap "
            "not_covered.0: as above)") in out
    assert "  fx_short: class other_ci → 8% (ratio table d1925-fx-2011 row 1" in out
    assert "  fx_long: class other_ci → 6% (ratio table d1925-fx-2011 row 1" in out
    assert "  fx_overseas_ci: class other_ci → 1% (ratio table d1972-fx-overseas-2011 row 1" in out
    # no VND deposits: the uncovered VND categories are findings, not a refusal
    assert "Outcome: the engine refuses this month" not in out
    assert "no ratio is in force for vnd_short in 2015-03" in out


def test_before_the_pack(capsys):
    out = explain(capsys, "--institutions", INST, "--institution", "OLD", "--period", "2010-05")
    assert "no version of pack vn-sbv is in force; the pack starts at 2011-09" in out


def test_unknown_institution_is_bad_input(capsys):
    code, _, err = rrr(capsys, "rules", "explain", "--rules", VN_PACK, "--institutions", INST,
                       "--institution", "NOPE", "--period", "2025-10")
    assert code == 2 and "institution 'NOPE' is not in the file" in err
