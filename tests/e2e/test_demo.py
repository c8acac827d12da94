"""rrr demo: the README's first command, end to end on the synthetic core bank."""

from decimal import Decimal as D

from clirun import rrr
from openpyxl import load_workbook
from PIL import Image

from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest_for_period


def test_demo_with_defaults_evaluates_closes_and_reports(tmp_path, capsys):
    # how long it takes is for a benchmark, not a test: on a shared machine it varies tenfold
    code, out, err = rrr(capsys, "demo", "--out", tmp_path / "demo")
    assert code == 0, err
    demo = tmp_path / "demo"
    assert f"Reports (CSV, XLSX, PNG): {demo / 'reports'}/2025-09" in out
    assert "requirement 2025-10 (rules 2025-10): required VND " in out
    assert "close 2025-09: held VND " in out
    sept = sorted(p.name for p in (demo / "reports" / "2025-09").iterdir())
    assert sept == ["rrr_2025-09.xlsx", "rrr_2025-09_DEMO_holdings.png", "rrr_2025-09_dtbb001.csv",
                    "rrr_2025-09_obligation.csv", "rrr_2025-09_requirement.csv"]
    assert load_workbook(demo / "reports" / "2025-09" / "rrr_2025-09.xlsx").sheetnames == [
        "DTBB001", "Requirement", "Obligation", "Provenance"]
    with Image.open(demo / "reports" / "2025-09" / "rrr_2025-09_DEMO_holdings.png") as img:
        assert img.size == (1200, 900)  # a VND panel and a USD panel
    with Storage.open(f"sqlite:///{demo / 'rrr.sqlite'}") as store, store.transaction() as conn:
        (october,) = latest_for_period(conn, "2025-10", "requirement")
        (close,) = latest_for_period(conn, "2025-09", "close")
    assert october.ruleset_version == "2025-10" and D(october.presented["required"]["VND"]) > 0
    assert set(close.presented["held"]) == {"VND", "USD"}


def test_demo_is_repeatable(tmp_path, capsys):
    dumps = []
    for _ in range(2):
        code, _, err = rrr(capsys, "demo", "--accounts", "200", "--out", tmp_path / "demo")
        assert code == 0, err
        with Storage.open(f"sqlite:///{tmp_path / 'demo' / 'rrr.sqlite'}") as store:
            dumps.append(store.dump())
    assert dumps[0] == dumps[1] and "rrr_results" in dumps[0]


def test_a_bad_account_count_is_one_line(tmp_path, capsys):
    code, _, err = rrr(capsys, "demo", "--accounts", "0", "--out", tmp_path)
    assert code == 2 and err == "rrr: error: --accounts 0: expected at least 1\n"
