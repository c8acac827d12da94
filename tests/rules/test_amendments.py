"""Amendments of a ratio table: dated cell values in the rule language, and their checks at
load (each refused with the file, line and key it is about)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from amended_packs import FIVE_PERCENT, FOUR_PERCENT, TABLE, amended, line_of

from rrr_engine.errors import RuleFileError
from rrr_engine.periods import Month
from rrr_engine.rules.pack import load_pack


def table(pack):
    return next(t for t in pack.ratios if t.id == TABLE)


def figure(pack, cls, cat, month):
    t = table(pack)
    r = next(i for i, row in enumerate(t.rows) if cls in row.classes)
    return t.cell_at(r, cls, cat, Month.parse(month))


def test_an_open_ended_amendment_changes_one_cell_from_its_month(tmp_path):
    pack = load_pack(amended(tmp_path / "p", FOUR_PERCENT))
    assert figure(pack, "other_ci", "vnd_short", "2025-12") == (D("0.03"), None)
    value, amendment = figure(pack, "other_ci", "vnd_short", "2026-01")
    assert value == D("0.04") and amendment.citation.document == "Decision 100/QĐ-NHNN (2025)"
    assert figure(pack, "other_ci", "vnd_short", "2031-05")[0] == D("0.04")
    # the rest of the row and the other classes keep the table's figures
    assert figure(pack, "other_ci", "vnd_long", "2026-01") == (D("0.01"), None)
    assert figure(pack, "agribank", "vnd_short", "2026-01") == (D("0.03"), None)
    # the amendment starts a version, so results record which figures they used
    assert pack.versions[-2:] == [Month(2025, 10), Month(2026, 1)]


def test_a_later_amendment_supersedes_an_earlier_one(tmp_path):
    pack = load_pack(amended(tmp_path / "p", FIVE_PERCENT, FOUR_PERCENT))  # order is free
    assert figure(pack, "other_ci", "vnd_short", "2026-06")[0] == D("0.04")
    assert figure(pack, "other_ci", "vnd_short", "2026-07")[0] == D("0.05")
    assert figure(pack, "agribank", "vnd_short", "2026-06")[0] == D("0.03")
    assert figure(pack, "agribank", "vnd_short", "2026-07")[0] == D("0.05")
    assert figure(pack, "coop_bank", "vnd_short", "2026-07")[0] == D("0.03")  # same row, not named
    assert table(pack).citation_at(figure(pack, "agribank", "vnd_short", "2026-07")[1]).amended_by \
        == ("Decision 2977/QĐ-NHNN (2025)", "Decision 200/QĐ-NHNN (2026), Art. 1")


BAD = [
    ("unknown class", FOUR_PERCENT.replace("[other_ci]", "[other_bank]"), "classes",
     "classes: [other_bank]", "unknown class 'other_bank'"),
    ("unknown category", FOUR_PERCENT.replace("{vnd_short:", "{vnd_mid:"), "values.vnd_mid",
     "vnd_mid", "unknown category 'vnd_mid'"),
    ("not a cell of the table", FOUR_PERCENT.replace("[other_ci]", "[policy_bank]"),
     "values.vnd_short", "vnd_short: \"0.04\"",
     "table d1158-2977-2025 has no policy_bank × vnd_short cell to amend"),
    ("before the table", FOUR_PERCENT.replace('"2026-01"', '"2025-06"'), "from", "2025-06",
     "amendment from 2025-06 is before table d1158-2977-2025 starts (2025-10)"),
    ("a day in a monthly pack", FOUR_PERCENT.replace('"2026-01"', '"2026-01-15"'), "from",
     "2026-01-15", "amendment dates are months (YYYY-MM) in a pack with monthly periods"),
    ("twice on one date", FOUR_PERCENT + FOUR_PERCENT.replace('"0.04"', '"0.045"'),
     "values.vnd_short", '"0.045"',
     "other_ci × vnd_short is amended twice from 2026-01 (amendments 1 and 2"),
]


@pytest.mark.parametrize(("entry", "key", "marker", "message"),
                         [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_an_amendment_that_cannot_apply_is_refused_at_its_line(tmp_path, entry, key, marker,
                                                               message):
    folder = amended(tmp_path / "p", entry)
    with pytest.raises(RuleFileError) as caught:
        load_pack(folder)
    index = 1 if "0.045" in entry else 0
    ctx = caught.value.context
    assert message in caught.value.message
    assert ctx["field"] == f"ratios.3.amendments.{index}.{key}"
    assert ctx["line"] == line_of(folder, marker) if index == 0 else line_of(folder, '"0.045"')


@pytest.mark.parametrize(("value", "message"), [
    ('"1.5"', "vnd_short: ratio 1.5 is outside 0..1"),
    ('"-0.01"', "vnd_short: ratio -0.01 is outside 0..1"),
    ("null", "vnd_short: an amendment sets a ratio (or bands)"),
])
def test_an_amendment_value_outside_the_bounds_is_refused(tmp_path, value, message):
    folder = amended(tmp_path / "p", FOUR_PERCENT.replace('"0.04"', value))
    with pytest.raises(RuleFileError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.")) as caught:
        load_pack(folder)
    assert caught.value.context["line"] in (line_of(folder, "- from: \"2026-01\""),
                                            line_of(folder, f"vnd_short: {value}"))


def test_an_unquoted_amendment_value_is_read_exactly(tmp_path):
    pack = load_pack(amended(tmp_path / "p", FOUR_PERCENT.replace('"0.04"', "0.04")))
    assert figure(pack, "other_ci", "vnd_short", "2026-01")[0] == D("0.04")
