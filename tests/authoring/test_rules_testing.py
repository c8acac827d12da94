"""``rrr rules test``: the pack's scenarios with pass/fail, differences and per-rule coverage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from clirun import VN_PACK, rrr

from rrr_engine.authoring.scenarios import load_scenarios
from rrr_engine.authoring.testing import run_pack_scenarios


def test_vn_scenarios_pass_and_cover_every_rule_and_status(capsys):
    code, out, _ = rrr(capsys, "rules", "test", VN_PACK, "--require-coverage")
    assert code == 0, out
    assert "Every rule and status is exercised by a scenario." in out
    assert "0 failed; 19 of 19 rules and statuses exercised" in out


def test_coverage_lists_scenarios_per_rule():
    report = run_pack_scenarios(VN_PACK)
    full, reached = report.exercising("reductions.c14-agri-40")
    assert ("Circular 14, share 40% (lower bound of the band, 2020-06): accepted at the 1/5 floor"
            in full)
    assert "Circular 14: a share just under 70% is in the lower band (1/5 floor)" in reached
    # the 2011 FX tables give figures for institutions without VND deposits (VND is a
    # declared gap); a VND deposit in that period is refused
    full, reached = report.exercising("ratios.d1925-fx-2011")
    assert "2011 FX ratios of Decisions 1925/1972 (other_ci), with no VND deposits" in full
    assert ("2011 FX ratios, Agribank group row, last month 2018-05; a VND deposit is refused"
            in reached)
    full, _ = report.exercising("statuses.special_control")
    assert "special control: exempt from the month after the decision (2025-04)" in full
    assert ("special control: the month of the SBV decision (2025-03) still owes reserves"
            not in full)


def _pack_with_one_scenario_file(tmp_path, body: str):
    pack = tmp_path / "pack"
    shutil.copytree(VN_PACK, pack, ignore=shutil.ignore_patterns("scenarios"))
    (pack / "scenarios").mkdir()
    (pack / "scenarios" / "few.yaml").write_text(body)
    return pack


FEW = """\
scenarios:
  - name: passes
    period: "2025-10"
    institutions: [{id: VBSP, class: policy_bank}]
    expect: [{institution: VBSP, status: exempt, exemption: {rule: c23-policy-bank}}]
  - name: fails
    # 3% × 1,000 bn = 30 bn, not 31 bn
    period: "2025-10"
    institutions: [{id: B, class: other_ci}]
    balances: [{institution: B, category: vnd_short, currency: VND, amount: "1000000000000"}]
    expect: [{institution: B, required: {VND: "31000000000", USD: "0"}}]
"""


def test_failures_show_differences_and_exit_1(capsys, tmp_path):
    pack = _pack_with_one_scenario_file(tmp_path, FEW)
    code, out, _ = rrr(capsys, "rules", "test", pack)
    assert code == 1
    assert f"PASS  passes  ({pack}/scenarios/few.yaml:2)" in out
    assert f"FAIL  fails  ({pack}/scenarios/few.yaml:6)" in out
    assert ("      B: required: expected {'VND': Decimal('31000000000'), 'USD': Decimal('0')}, "
            "got {'VND': Decimal('30000000000'), 'USD': Decimal('0.00')}") in out
    assert "2 scenarios: 1 passed, 1 failed" in out


def test_unexercised_rules_are_listed(capsys, tmp_path):
    pack = _pack_with_one_scenario_file(tmp_path, FEW.split("  - name: fails")[0])
    code, out, _ = rrr(capsys, "rules", "test", pack)
    assert code == 0
    listed = out.split("Not exercised by any scenario:\n")[1].splitlines()
    assert f"  reductions.c30-art7-2025 ({pack}/reductions.yaml:12)" in listed
    line = (pack / "pack.yaml").read_text().splitlines().index("  special_control:") + 1
    assert f"  statuses.special_control ({pack}/pack.yaml:{line})" in listed
    assert not any("c23-policy-bank" in line for line in listed)
    assert rrr(capsys, "rules", "test", pack, "--require-coverage")[0] == 1


def test_json_report(capsys, tmp_path):
    pack = _pack_with_one_scenario_file(tmp_path, FEW)
    code, out, _ = rrr(capsys, "rules", "test", pack, "--format", "json", "-k", "passes")
    data = json.loads(out)
    assert code == 0 and data["passed"] == 1 and data["failed"] == 0
    assert data["coverage"]["exemptions.c23-policy-bank"]["scenarios"] == ["passes"]
    assert "ratios.d1158-2018" in data["unexercised"]


def test_pytest_collects_the_vn_scenarios():
    """The shipped plugin turns every scenario under rulesets/ into a pytest item."""
    root = VN_PACK.parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=",
                           "-p", "no:cacheprovider", str(VN_PACK)],
                          capture_output=True, text=True, env=env, cwd=root)
    items = [line for line in done.stdout.splitlines() if "scenarios/" in line and "::" in line]
    expected = sum(len(load_scenarios(f)) for f in (VN_PACK / "scenarios").glob("*.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(items) == expected >= 42
