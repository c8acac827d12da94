"""Bad input gets one line naming the file, line or field and what was expected; exit 2.

One fixture file per case (tests/fixtures/bad_rules/<case>/ replaces one file of a copy of
the Vietnam pack; tests/fixtures/bad_inputs/ holds the host files).
"""

import shutil

import pytest
from clirun import FIXTURES, VN_PACK, rrr

BAD = FIXTURES / "bad_inputs"
OK_BANK, OK_BAL = BAD / "ok_bank.yaml", BAD / "ok_balances.csv"


def assert_one_line_error(code, err, *needles):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rrr: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"


RULE_CASES = {
    "yaml_syntax": ("ratios.yaml:", "invalid YAML"),
    "unknown_field": ("exemptions.yaml:15: exemptions.1.applies_from", "unknown field"),
    "ratio_out_of_range": ("ratios.yaml:11: ratios.0.rows.0", "fx_short: ratio 8 is outside 0..1"),
    "missing_citation": ("reductions.yaml:5: reductions.0.citation", "required field is missing"),
    "unknown_class": ("ratios.yaml:", "unknown class 'commercial_bank'"),
    "unknown_setting": ("reductions.yaml:", "unknown setting '$art7_factor'"),
    "duplicate_id": ("exemptions.yaml:", "duplicate rule id 'c30-not-yet-operating'"),
    "effective_reversed": ("ratios.yaml:", "effective.to 2017-09 is before effective.from 2018-06"),
    "unknown_status": ("exemptions.yaml:", "unknown status 'liquidation'"),
    "unknown_section": ("extra.yaml:1: thresholds", "unknown section"),
    "float_like_text": ("ratios.yaml:", "rows.0.values.fx_short", "decimal"),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_malformed_rule_file_is_one_line_error(case, tmp_path, capsys):
    pack = tmp_path / "pack"
    shutil.copytree(VN_PACK, pack)
    for replacement in (FIXTURES / "bad_rules" / case).iterdir():
        shutil.copy(replacement, pack / replacement.name)
    code, _, err = rrr(capsys, "evaluate", "--rules", pack, "--institutions", OK_BANK,
                       "--balances", OK_BAL, "--period", "2025-10")
    assert_one_line_error(code, err, *RULE_CASES[case])


# One institution alone: its bad input is the whole run's (exit 2). With others beside it, the
# others are computed and it gets an error entry (tests/core/test_isolation.py): an unknown class,
# balances of an institution not in the list; an FX election that fails its test is computed
# in USD with a finding.
INPUT_CASES = {
    "unknown event": (["--institutions", BAD / "unknown_event.yaml"],
                      ["unknown_event.yaml:5: 0.events.0.type", "special_control_start"]),
    "impossible event date": (["--institutions", BAD / "bad_event_date.yaml"],
                              ["bad_event_date.yaml:4: 0.events.0.date", "valid date"]),
    "float or junk ratio": (["--institutions", BAD / "float_ratio.json"],
                            ["float_ratio.json", "proposed_vnd_ratios"]),
    "duplicate institution": (["--institutions", BAD / "duplicate_institution.yaml"],
                              ["duplicate_institution.yaml:2: 1.id",
                               "duplicate institution id 'X1'"]),
    "negative balance": (["--balances", BAD / "negative_balance.csv"],
                         ["negative_balance.csv:3: amount", "negative balance -5"]),
    "bad header": (["--balances", BAD / "bad_header.csv"],
                   ["bad_header.csv:1:", "header must be exactly "
                                         "institution_id,date,category,currency,amount"]),
    "unknown category": (["--balances", BAD / "unknown_category.csv"],
                         ["unknown_category.csv:2: category", "unknown category 'vnd_savings'"]),
    "malformed amount": (["--balances", BAD / "bad_amount.csv"],
                         ["bad_amount.csv:2: amount", "'1.000.000' is not a decimal amount"]),
    "blank amount": (["--balances", BAD / "blank_amount.csv"], ["blank_amount.csv:2: amount"]),
    "duplicate balance row": (["--balances", BAD / "duplicate_row.csv"],
                              ["duplicate_row.csv:3:", "as line 2"]),
    "bad date": (["--balances", BAD / "bad_date.csv"],
                 ["bad_date.csv:2: date", "is not a date YYYY-MM-DD"]),
    "extra column": (["--balances", BAD / "extra_column.csv"],
                     ["extra_column.csv:3:", "expected 5 columns"]),
    "missing first day": (["--balances", BAD / "missing_first_day.csv"],
                          ["no balances on 2025-09-01 and none before it"]),
    "VND in an FX category": (["--balances", BAD / "vnd_in_fx_category.csv"],
                              ["category fx_short cannot hold VND deposits"]),
    "missing FX rate": (["--balances", BAD / "eur_balance.csv",
                         "--fx-rates", BAD / "fx_without_eur.csv"],
                        ["no balance-sheet rate for EUR dated in 2025-09"]),
    "zero FX rate": (["--balances", BAD / "eur_balance.csv",
                      "--fx-rates", BAD / "fx_zero_rate.csv"],
                     ["fx_zero_rate.csv:2: vnd_per_unit", "must be positive"]),
    "no holdings for the institution": (["--holdings", BAD / "holdings_other_bank.csv"],
                                        ["no central-bank holdings for institution X1"]),
    "file not found": (["--balances", BAD / "nope.csv"], ["nope.csv: file not found"]),
    "period malformed": (["--period", "2025-13"], ["period:", "expected YYYY-MM"]),
    "period before the pack": (["--period", "2010-05"], ["no ruleset in force for 2010-05"]),
    "policy bank before 2025-10": (
        ["--institutions", BAD / "policy_bank.yaml", "--period", "2024-05"],
        ["institution VBSP (class policy_bank)", "set by the Government"]),
    "proposed ratio below the floor": (["--institutions", BAD / "below_floor.yaml"],
                                       ["proposed ratio 0.0014 is below the floor 0.0015",
                                        "Circular 14/2018/TT-NHNN"]),
}


@pytest.mark.parametrize("case", sorted(INPUT_CASES))
def test_bad_input_file_is_one_line_error(case, capsys):
    overrides, needles = INPUT_CASES[case]
    args = {"--institutions": OK_BANK, "--balances": OK_BAL, "--period": "2025-10"}
    extra = []
    for flag, value in zip(overrides[::2], overrides[1::2], strict=True):
        if flag in args:
            args[flag] = value
        else:
            extra += [flag, value]
    flat = [x for pair in args.items() for x in pair] + extra
    code, out, err = rrr(capsys, "evaluate", "--rules", VN_PACK, *flat)
    assert out == ""
    assert_one_line_error(code, err, *[str(n) for n in needles])


def test_missing_rules_directory(tmp_path, capsys):
    code, _, err = rrr(capsys, "evaluate", "--rules", tmp_path / "none", "--institutions", OK_BANK,
                       "--balances", OK_BAL, "--period", "2025-10")
    assert_one_line_error(code, err, "rule pack directory not found")


def test_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        rrr(capsys, "evaluate", "--rules", VN_PACK)
    assert exit_info.value.code == 2
    assert_one_line_error(2, capsys.readouterr().err, "required")
