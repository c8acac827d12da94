"""Month reports: CSV figures against independent arithmetic, the XLSX re-opened and its
cells and formats checked, the PNG opened and measured - written by a real nightly run."""

import csv
import datetime as dt
from decimal import Decimal as D
from fractions import Fraction
from types import SimpleNamespace

import nightly_data as nd
import pytest
from clirun import VN_PACK, rrr
from openpyxl import load_workbook
from PIL import Image

from rrr_engine.engine import Engine
from rrr_engine.errors import ReportError
from rrr_engine.jobs.nightly import NightlyJob
from rrr_engine.reports.period import build_period_report, write_period_reports
from rrr_engine.store.database import Storage

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)
PLACES = {"VND": 0, "USD": 2, "EUR": 2}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reports(request, tmp_path_factory):
    url = nd.module_db_url(request, tmp_path_factory)
    folder = tmp_path_factory.mktemp("reports")
    sources = nd.write_feed(folder / "feed", START, END)
    engine = Engine(VN_PACK, entry_points=False)
    with Storage.open(url) as store:
        job = NightlyJob(engine, store, sources, reports_dir=folder / "out")
        summary = job.run(nd.dates(START, END))
    return SimpleNamespace(url=url, engine=engine, dir=folder / "out", summary=summary)


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_files_of_each_month(reports):
    names = lambda m: sorted(p.name for p in (reports.dir / m).iterdir())  # noqa: E731
    assert names("2025-09") == ["rrr_2025-09.xlsx", "rrr_2025-09_BANK1_holdings.png",
                                "rrr_2025-09_BANK2_holdings.png", "rrr_2025-09_dtbb001.csv",
                                "rrr_2025-09_obligation.csv", "rrr_2025-09_requirement.csv"]
    # October is not over: its requirement is known, its holdings are not
    assert names("2025-10") == ["rrr_2025-10.xlsx", "rrr_2025-10_dtbb001.csv",
                                "rrr_2025-10_requirement.csv"]
    assert sorted({p.parent.name for p in reports.summary.reports}) == ["2025-09", "2025-10"]


def test_dtbb001_csv_is_the_computation_months_average_per_category_and_currency(reports):
    rows = read_csv(reports.dir / "2025-10" / "rrr_2025-10_dtbb001.csv")
    got = {(r["institution_id"], r["category"], r["currency"]): D(r["average_balance"])
           for r in rows}
    want = {key: nd.presented(nd.average(lambda d, k=key: nd.balance(k, d), 2025, 9),
                              PLACES[key[2]])
            for key in nd.BALANCE_BASES}
    assert got == want
    assert {r["computation_period"] for r in rows} == {"2025-09"}


def test_obligation_csv_against_independent_figures(reports):
    rows = {(r["institution_id"], r["reserve_currency"]): r
            for r in read_csv(reports.dir / "2025-09" / "rrr_2025-09_obligation.csv")}
    required = nd.expected_required("BANK1", 2025, 9)["VND"]
    held = nd.expected_held("BANK1", "VND", 2025, 9)
    vnd = rows[("BANK1", "VND")]
    assert vnd["outcome"] == "shortfall"
    assert D(vnd["required"]) == nd.presented(required, 0)
    assert D(vnd["held"]) == nd.presented(held, 0)
    # rounded once from the exact difference, not the difference of rounded figures
    assert D(vnd["shortfall"]) == nd.presented(required - held, 0)
    assert D(vnd["excess"]) == 0
    # 0.5%/year on the held balance up to the requirement, Actual/365, 30 days of September
    assert D(vnd["interest"]) == nd.presented(min(held, required) * Fraction(5, 1000) * 30 / 365, 0)
    usd = rows[("BANK1", "USD")]
    usd_req = nd.expected_required("BANK1", 2025, 9)["USD"]
    usd_held = nd.expected_held("BANK1", "USD", 2025, 9)
    assert usd["outcome"] == "compliant"
    assert D(usd["excess"]) == nd.presented(usd_held - usd_req, 2)
    assert D(usd["shortfall"]) == D("0.00")
    assert rows[("BANK2", "VND")]["outcome"] == "compliant"


def test_requirement_csv_lines_carry_rule_and_citation(reports):
    rows = read_csv(reports.dir / "2025-10" / "rrr_2025-10_requirement.csv")
    line = next(r for r in rows if r["institution_id"] == "BANK2" and r["category"] == "fx_long")
    base = nd.average(lambda d: nd.balance(("BANK2", "fx_long", "USD"), d), 2025, 9)
    assert (line["reserve_currency"], line["ratio"], line["rule"]) == ("USD", "0.05",
                                                                       "d1158-2977-2025")
    assert D(line["average_base"]) == nd.presented(base, 2)
    assert D(line["required"]) == nd.presented(base * Fraction(5, 100), 2)
    # the table in force is Decision 1158 as amended by Decision 2977: both are cited
    assert line["citations"] == ("Decision 1158/QĐ-NHNN of 29/5/2018, Art. 1, as amended by "
                                 "Decision 2977/QĐ-NHNN (2025)")
    assert line["ruleset_version"] == "2025-10"


def test_xlsx_reopens_with_formatted_sheets_matching_the_csv(reports):
    wb = load_workbook(reports.dir / "2025-09" / "rrr_2025-09.xlsx")
    assert wb.sheetnames == ["DTBB001", "Requirement", "Obligation", "Provenance"]
    ws = wb["Obligation"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Institution", "Name", "Outcome", "Reserve currency", "Required"]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    csv_rows = read_csv(reports.dir / "2025-09" / "rrr_2025-09_obligation.csv")
    for row, want in zip(ws.iter_rows(min_row=2), csv_rows, strict=True):
        cells = dict(zip(header, row, strict=True))
        ccy = cells["Reserve currency"].value
        assert ccy == want["reserve_currency"]
        for col in ("Required", "Held", "Excess", "Shortfall", "Interest"):
            assert D(str(cells[col].value)) == D(want[col.lower()])
            assert cells[col].number_format == ("#,##0" if ccy == "VND" else "#,##0.00")
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert widths["B"] >= len("First Commercial Bank") and widths["E"] >= len("1,704,112,903,547")
    ratio = wb["Requirement"]["H2"]
    assert wb["Requirement"]["H1"].value == "Ratio" and ratio.number_format == "0.00##%"
    assert D(str(ratio.value)) == D("0.03")


def test_png_chart_opens_with_one_panel_per_reserve_currency(reports):
    path = reports.dir / "2025-09" / "rrr_2025-09_BANK1_holdings.png"
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (1200, 900)  # 2 currencies x 420 px + 60
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
    assert path.stat().st_size > 30_000 and len(colours) > 50


def test_the_chart_shows_the_reported_figures_rounded_once(reports):
    with Storage.open(reports.url) as store:
        charts = build_period_report(store, reports.engine, "2025-09").charts
    rows = {(r["institution_id"], r["reserve_currency"]): r
            for r in read_csv(reports.dir / "2025-09" / "rrr_2025-09_obligation.csv")}
    for inst, series in charts.items():
        for s in series:
            row = rows[(inst, s.currency)]
            assert (s.required, s.held_average, s.excess, s.shortfall) == tuple(
                D(row[k]) for k in ("required", "held", "excess", "shortfall"))
    bank1 = {s.currency: s for s in charts["BANK1"]}["VND"]
    assert len(bank1.days) == 30 and bank1.days[0] == dt.date(2025, 9, 1)
    # Saturday 6 September carries Friday's balance
    assert bank1.balances[5] == bank1.balances[4] == nd.holding("BANK1", "VND", dt.date(2025, 9, 5))


def test_rrr_report_rewrites_the_same_files_from_the_database(reports, tmp_path, capsys):
    code, out, err = rrr(capsys, "report", "--period", "2025-09", "--db", reports.url,
                         "--rules", VN_PACK, "--out", tmp_path)
    assert code == 0, err
    assert len(out.splitlines()) == 6
    run = Storage.open(reports.url).runs()[-1]
    assert run["command"].startswith("rrr report --period 2025-09") and run["outcome"] == "ok"
    for name in ("dtbb001", "requirement", "obligation"):
        file = f"rrr_2025-09_{name}.csv"
        again, first = (read_csv(d / "2025-09" / file) for d in (tmp_path / "reports", reports.dir))
        # the same figures; only the run that wrote them differs
        assert [{k: v for k, v in r.items() if k != "run_id"} for r in again] == [
            {k: v for k, v in r.items() if k != "run_id"} for r in first]
        assert {r["run_id"] for r in again} == {run["run_id"]} != {r["run_id"] for r in first}
    code, _, err = rrr(capsys, "report", "--period", "2024-01", "--db", reports.url,
                       "--rules", VN_PACK, "--out", tmp_path)
    assert code == 2 and "no stored results for maintenance period 2024-01" in err


def test_no_temporary_files_are_left(reports):
    assert [p for p in reports.dir.rglob("*") if p.name.endswith(".tmp")] == []


def test_an_unwritable_report_folder_is_one_report_error(reports, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the month folder should go")
    with Storage.open(reports.url) as store:
        with pytest.raises(ReportError, match="cannot write report"):
            write_period_reports(store, reports.engine, "2025-09", blocker, run_id="r",
                                 approval="unreviewed")


def test_every_day_below_the_requirement_is_shaded_even_alone():
    import datetime as dt
    from decimal import Decimal as D

    from matplotlib.collections import PolyCollection

    from rrr_engine.reports.chart import chart_figure
    from rrr_engine.reports.model import ChartSeries

    days = [dt.date(2025, 9, d) for d in range(1, 8)]
    # below on day 2 alone and on days 5-6 together; day 4 equals the requirement
    balances = [D(v) for v in ("120", "90", "130", "100", "95", "80", "110")]
    below = [b < D("100") for b in balances]
    series = ChartSeries("BANK", "VND", days, balances, D("100"), D("103.57"), D("3.57"), D("0"))
    axes = chart_figure([series], "2025-09").axes
    shaded = [c for c in axes[0].collections if isinstance(c, PolyCollection)]
    assert len(shaded) == sum(below) == 3
