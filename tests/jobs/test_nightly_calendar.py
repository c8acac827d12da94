"""The nightly job on a calendar pack: periods with ids and dates instead of months.

tests/fixtures/generality/tiny-calendar has P1 (Jan 10-23, computation Dec 1-10), P2
(Jan 24 - Feb 6, balance-sheet reference date Dec 31), P3 (Feb 7-20, computation derived:
Jan 22-28) and then a gap. Balances are constant, so every figure is computed by hand below.
"""

import datetime as dt
from decimal import Decimal as D

from clirun import FIXTURES, rrr

from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest_for_period

TINY = FIXTURES / "generality" / "tiny-calendar"
START, END = dt.date(2023, 12, 1), dt.date(2024, 2, 21)


def feed(folder):
    folder.mkdir()
    (folder / "banks.yaml").write_text('- {id: B, name: "Tiny Bank", class: bank}\n')
    days = [START + dt.timedelta(n) for n in range((END - START).days + 1)]
    (folder / "balances.csv").write_text("institution_id,date,category,currency,amount\n" + "".join(
        f"B,{d},sight,EUR,6000\nB,{d},term,EUR,2000\n" for d in days))
    # 120 EUR at the central bank, but only 100 during P2 (Jan 24 - Feb 6)
    (folder / "holdings.csv").write_text("institution_id,date,currency,amount\n" + "".join(
        f"B,{d},EUR,{100 if dt.date(2024, 1, 24) <= d <= dt.date(2024, 2, 6) else 120}\n"
        for d in days))
    return folder


def test_calendar_periods_are_required_and_closed_at_their_boundaries(db_url, tmp_path, capsys):
    f = feed(tmp_path / "feed")
    code, out, err = rrr(capsys, "nightly", "--from", str(START), "--to", str(END), "--db", db_url,
                         "--rules", TINY, "--institutions", f / "banks.yaml", "--balances",
                         f / "balances.csv", "--holdings", f / "holdings.csv",
                         "--out", tmp_path / "out")
    assert code == 3, err  # P2 is short
    assert out.splitlines()[:4] == [
        "2024-01-10  snapshot new; requirement P1: B v1",
        "2024-01-24  snapshot new; close P1: B v1; requirement P2: B v1",
        "2024-02-07  snapshot new; close P2: B v1; requirement P3: B v1",
        "2024-02-21  snapshot new; close P3: B v1",
    ]
    with Storage.open(db_url) as store, store.transaction() as conn:
        got = {(p, s): latest_for_period(conn, p, s)[0].presented
               for p in ("P1", "P2", "P3") for s in ("requirement", "close")}
    # sight 6000 in tiers: 1000 at 0%, 4000 at 2% (80), 1000 at 5% (50); term 2000 at 1% (20);
    # allowances 30 + 5: 150 - 35 = 115 in P1 and P2 (P2's base is the Dec 31 balance sheet)
    assert D(got[("P1", "requirement")]["required"]["EUR"]) == D("115.00")
    assert D(got[("P2", "requirement")]["required"]["EUR"]) == D("115.00")
    # P3 under rule t2: sight 4% of 6000 = 240, term 20, less 35
    assert D(got[("P3", "requirement")]["required"]["EUR"]) == D("225.00")
    assert D(got[("P1", "close")]["excess"]["EUR"]) == D("5.00")
    assert D(got[("P2", "close")]["shortfall"]["EUR"]) == D("15.00")
    assert D(got[("P3", "close")]["shortfall"]["EUR"]) == D("105.00")
    assert "P2: EUR 15.00" in out.replace("SHORTFALL B ", "")
    reports = sorted(p.name for p in (tmp_path / "out" / "reports" / "P2").iterdir())
    # the pack declares no form for its base: the table keeps the neutral name
    assert reports == ["rrr_P2.xlsx", "rrr_P2_B_holdings.png", "rrr_P2_base_averages.csv",
                       "rrr_P2_obligation.csv", "rrr_P2_requirement.csv"]
    # the balance-sheet period's base figure is the reference-date balance
    assert "B,Tiny Bank,2023-12-31,sight,,EUR,6000.00,1" in (
        tmp_path / "out" / "reports" / "P2" / "rrr_P2_base_averages.csv").read_text()
