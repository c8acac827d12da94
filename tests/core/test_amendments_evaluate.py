"""End to end: a copy of the Vietnam pack amended to 4% for other_ci vnd_short from 2026-01
evaluates 2025-12 at the table's 3% and 2026-01 at 4%, the amended line citing the amending
document; ``rrr rules diff`` against the shipped pack says the change in one line."""

from __future__ import annotations

from decimal import Decimal as D

from amended_packs import CITED_100, CITED_1158, FOUR_PERCENT, amended
from clirun import VN_PACK, rrr

from rrr_engine.engine import Engine
from rrr_engine.models import BalanceRow, Institution
from rrr_engine.periods import Month

BANK = Institution(id="B1", name="Bank", **{"class": "other_ci"})
AGRI = Institution(id="A1", name="Agri", **{"class": "agribank"})


def balances(computation: Month) -> list[BalanceRow]:
    return [BalanceRow(inst, day, "vnd_short", "VND", D("1000000"))
            for inst in ("B1", "A1") for day in computation.dates()]


def test_amended_pack_evaluates_each_month_with_the_figure_in_force(tmp_path, capsys):
    engine = Engine(amended(tmp_path / "vn-amended", FOUR_PERCENT))
    dec = engine.evaluate("2025-12", institutions=[BANK, AGRI], balances=balances(Month(2025, 11)))
    jan = engine.evaluate("2026-01", institutions=[BANK, AGRI], balances=balances(Month(2025, 12)))
    line = {(r.institution.id, r.maintenance_period): next(x for x in r.lines
                                                           if x.category == "vnd_short")
            for r in (*dec, *jan)}
    before, after = line[("B1", Month(2025, 12))], line[("B1", Month(2026, 1))]
    assert (before.ratio, before.required) == (D("0.03"), D("30000"))
    assert before.citations == [CITED_1158]
    assert (after.ratio, after.required) == (D("0.04"), D("40000"))
    assert after.citations == [f"{CITED_1158} and {CITED_100}"]
    # agribank is not named by the amendment: 3% on both sides, the table's citation
    agri = line[("A1", Month(2026, 1))]
    assert (agri.ratio, agri.required, agri.citations) == (D("0.03"), D("30000"), [CITED_1158])
    assert [r.ruleset["version"] for r in (dec[0], jan[0])] == ["2025-10", "2026-01"]

    code, out, err = rrr(capsys, "rules", "diff", VN_PACK, tmp_path / "vn-amended")
    assert code == 0, err
    assert out.splitlines()[1:] == [
        "ratios: changed",
        f"  other_ci vnd_short 3% → 4% from 2026-01 ({CITED_100})",
        "1 change(s)"]
