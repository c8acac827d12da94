"""``periods.repeat`` (generated back-to-back periods) and ``daily_minimum`` rules at load time.

The fixture pack tests/fixtures/generality/floor-fortnights generates fortnights from
2024-01-06 and lists one period after them; bad cases rewrite one key of it in a copy.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from clirun import FIXTURES, rrr

from rrr_engine.errors import RuleFileError
from rrr_engine.rules.pack import load_pack

FLOOR = FIXTURES / "generality" / "floor-fortnights"


def variant(tmp_path: Path, edit) -> Path:
    """A copy of the fixture pack with ``edit(data)`` applied to its one file."""
    pack = tmp_path / "pack"
    shutil.copytree(FLOOR, pack)
    data = yaml.safe_load((pack / "pack.yaml").read_text())
    edit(data)
    (pack / "pack.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return pack


def test_repeat_generates_fortnights_and_merges_the_listed_period():
    periods = load_pack(FLOOR).periods
    # every 14 days from 2024-01-06 while the start is on or before 2024-03-02, then "spring"
    assert [(p.id, p.first, p.last) for p in periods.periods] == [
        ("2024-01-06", dt.date(2024, 1, 6), dt.date(2024, 1, 19)),
        ("2024-01-20", dt.date(2024, 1, 20), dt.date(2024, 2, 2)),
        ("2024-02-03", dt.date(2024, 2, 3), dt.date(2024, 2, 16)),
        ("2024-02-17", dt.date(2024, 2, 17), dt.date(2024, 3, 1)),
        ("2024-03-02", dt.date(2024, 3, 2), dt.date(2024, 3, 15)),
        ("spring", dt.date(2024, 3, 16), dt.date(2024, 3, 31))]
    # a generated period takes the calendar's rule: the one day 15 days before its start
    comp = periods.computation(periods.parse("2024-01-20"))
    assert (comp.first, comp.last) == (dt.date(2024, 1, 5), dt.date(2024, 1, 5))
    assert str(periods.computation(periods.parse("spring"))) == "2024-03-01"


def test_a_generated_period_overlapping_a_listed_one_is_a_load_error(tmp_path):
    def overlap(data):
        data["periods"]["maintenance"][0]["start"] = "2024-03-10"
    with pytest.raises(RuleFileError) as caught:
        load_pack(variant(tmp_path, overlap))
    assert "periods.maintenance.0" in str(caught.value)
    assert "period spring starts 2024-03-10, not after the previous period 2024-03-02" in str(
        caught.value)


def test_repeat_to_before_from_is_a_load_error(tmp_path):
    def backwards(data):
        data["periods"]["repeat"]["to"] = "2023-12-01"
    with pytest.raises(RuleFileError, match="to 2023-12-01 is before from 2024-01-06"):
        load_pack(variant(tmp_path, backwards))


def test_a_monthly_calendar_cannot_repeat(tmp_path):
    def monthly(data):
        data["periods"] = {"kind": "monthly", "repeat": data["periods"]["repeat"]}
    with pytest.raises(RuleFileError, match="a monthly calendar has no maintenance list, repeat"):
        load_pack(variant(tmp_path, monthly))


def test_a_calendar_needs_a_list_or_a_repeat_rule(tmp_path):
    def neither(data):
        del data["periods"]["repeat"]
        del data["periods"]["maintenance"]
    with pytest.raises(RuleFileError, match="needs a maintenance list of periods, or a repeat"):
        load_pack(variant(tmp_path, neither))


@pytest.mark.parametrize("share, problem", [
    ("0", "greater than 0"), ("1.2", "less than or equal to 1"), ("-0.1", "greater than 0")])
def test_daily_minimum_share_is_a_fraction_above_zero_up_to_one(tmp_path, share, problem):
    def bad(data):
        data["daily_minimum"][0]["share"] = share
    with pytest.raises(RuleFileError, match=problem) as caught:
        load_pack(variant(tmp_path, bad))
    assert "daily_minimum.0.share" in str(caught.value)


def test_two_daily_minimums_in_force_together_are_refused(tmp_path):
    def overlap(data):
        data["daily_minimum"][0]["effective"]["to"] = "2024-02-17"
    with pytest.raises(RuleFileError) as caught:
        load_pack(variant(tmp_path, overlap))
    assert "daily_minimum.1.effective: in force together with 'floor-80' for domestic" in str(
        caught.value)


def test_daily_minimums_for_different_reserves_may_overlap(tmp_path):
    def foreign(data):
        data["daily_minimum"][1]["effective"]["from"] = "2024-01-06"
        data["daily_minimum"][1]["applies_to"] = "foreign"
    assert len(load_pack(variant(tmp_path, foreign)).daily_minimum) == 2


def test_rules_check_reports_a_bad_daily_minimum_with_its_line(capsys, tmp_path):
    def bad(data):
        data["daily_minimum"][0]["share"] = "1.5"
    code, out, _ = rrr(capsys, "rules", "check", variant(tmp_path, bad))
    assert code == 1
    assert "daily_minimum.0.share" in out and out.rstrip().endswith("check FAILED")


def test_rules_diff_names_a_changed_daily_minimum(capsys, tmp_path):
    def raised(data):
        data["daily_minimum"][1]["share"] = "0.95"
    code, out, _ = rrr(capsys, "rules", "diff", FLOOR, variant(tmp_path, raised))
    assert "floor-full" in out and "0.95" in out, out
