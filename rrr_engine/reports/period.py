"""Period reports for a compliance officer, built from the results database.

For one maintenance period P (a month, or a calendar pack's period) this module assembles,
from the latest stored result versions:

* **Base averages** - the computation period's average end-of-day reservable balance per
  institution, category and deposit currency (for a balance-sheet pack, the balance at the
  reference date), named after the pack's form for them when it declares one
  (``pack.forms``, ``contents: base_averages``);
* **Requirement** - every line of P's requirement: base, ratio, amount, rule and citations;
* **Obligation** - once P is closed, requirement against the held average per reserve
  currency, with excess, shortfall and interest;
* **Restatements** - when a version submitted to the central bank was superseded, each figure
  that moved (:mod:`rrr_engine.governance.submissions`);

and writes each as CSV, all of them as one formatted XLSX workbook (:mod:`report_xlsx`), and
a PNG chart per closed institution (:mod:`report_chart`). Stored figures are exact; they are
rounded here, once, by the pack's rounding policy. Every file is written through
:func:`rrr_engine.safe_files.write_atomic` (a temporary file beside it, renamed into place,
owner-only), so a reader never sees half a report.

Every report carries its :class:`Provenance`: the pack (id, version, sha256) and its approval
state, the run that wrote it and the audit-log head it was written under. A CSV carries it as
trailing columns repeated on every row (a leading comment line would break ordinary CSV
readers, and a row copied elsewhere keeps its origin); the workbook as a Provenance sheet and
every sheet's printed footer; the chart as a footer line and PNG text chunks. CSV files are
UTF-8 with a byte-order mark, so Excel shows Vietnamese names intact, and text cells are made
inert for spreadsheets (:mod:`rrr_engine.sheet_safety`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from rrr_engine.engine import CARRY_WINDOW_DAYS, Engine
from rrr_engine.governance.submissions import RestatementRow, restatement_rows, restatements
from rrr_engine.money import dec_str
from rrr_engine.provenance import Provenance
from rrr_engine.reports.model import ChartSeries, Col, PeriodReport, ReportTable
from rrr_engine.safe_files import write_atomic, write_text
from rrr_engine.sheet_safety import inert
from rrr_engine.store import audit
from rrr_engine.store.database import Storage
from rrr_engine.store.results import StoredResult, latest_for_period, read_averages, read_lines
from rrr_engine.store.snapshots import read_holdings

__all__ = ["build_period_report", "csv_text", "write_period_reports"]


def _ratio(value: Decimal) -> str:
    return dec_str(value.normalize()) if value else "0"


def _inst(r: StoredResult) -> dict[str, Any]:
    p = r.presented
    return {"institution_id": r.institution_id, "institution_name": p["institution_name"],
            "result_version": r.result_version}


def build_period_report(storage: Storage, engine: Engine, period: Any) -> PeriodReport:
    """Everything reported for maintenance period ``period``, rounded for presentation."""
    period, _ = engine.periods(period)
    rounding, header = engine.pack.header.rounding, engine.pack.header
    money = lambda v, ccy: None if v is None else rounding.round(Decimal(v), ccy)  # noqa: E731
    form = header.form("base_averages")
    base = ReportTable(form.code if form else "Base averages", [
        Col("institution_id", "Institution"), Col("institution_name", "Name"),
        Col("computation_period", "Computation period"), Col("category", "Category"),
        Col("category_title", "Deposits"), Col("currency", "Currency"),
        Col("average_balance", "Average balance", "money", "currency"),
        Col("result_version", "Result version", "int")])
    req = ReportTable("Requirement", [
        Col("institution_id", "Institution"), Col("institution_name", "Name"),
        Col("status", "Status"), Col("ruleset_version", "Rules in force"),
        Col("category", "Category"), Col("reserve_currency", "Reserve currency"),
        Col("average_base", "Average base", "money", "reserve_currency"),
        Col("ratio", "Ratio", "ratio"),
        Col("required", "Required", "money", "reserve_currency"), Col("rule", "Rule"),
        Col("citations", "Citations"), Col("result_version", "Result version", "int")])
    obl = ReportTable("Obligation", [
        Col("institution_id", "Institution"), Col("institution_name", "Name"),
        Col("outcome", "Outcome"), Col("reserve_currency", "Reserve currency"),
        *[Col(k, k.capitalize(), "money", "reserve_currency")
          for k in ("required", "held", "excess", "shortfall", "interest")],
        Col("result_version", "Result version", "int")])
    charts: dict[str, list[ChartSeries]] = {}
    with storage.transaction() as conn:
        for r in latest_for_period(conn, str(period), "requirement"):
            for (cat, ccy), avg in sorted(read_averages(conn, r).items()):
                base.rows.append({**_inst(r), "computation_period": r.computation_period,
                                  "category": cat, "category_title": header.categories[cat].title,
                                  "currency": ccy, "average_balance": money(avg, ccy)})
            if r.status == "exempt":
                e = r.presented["exemption"]
                req.rows.append({**_inst(r), "status": "exempt",
                                 "ruleset_version": r.ruleset_version,
                                 "rule": e["rule"], "citations": e["citation"]})
            for ln in read_lines(conn, r):
                cur = ln["reserve_currency"]
                req.rows.append({**_inst(r), "status": r.status,
                                 "ruleset_version": r.ruleset_version,
                                 "category": ln["category"], "reserve_currency": cur,
                                 "average_base": money(ln["average_base"], cur),
                                 "ratio": _ratio(ln["ratio"]),
                                 "required": money(ln["required"], cur),
                                 "rule": " + ".join([ln["rule"], *ln["reductions"]]),
                                 "citations": "; ".join(ln["citations"])})
        closes = latest_for_period(conn, str(period), "close")
        carry = dt.timedelta(days=CARRY_WINDOW_DAYS)
        holdings = read_holdings(conn, period.first - carry, period.last) if closes else []
        restated = [row for old, new in restatements(conn, period=str(period))
                    for row in restatement_rows(old, new)]
        seq, digest = audit.head(conn)
    for r in closes:
        x = r.exact
        if r.status == "exempt" or x.get("held") is None:
            obl.rows.append({**_inst(r), "outcome": r.status})
            continue
        series = []
        for cur in sorted(x["required"], key=lambda c: (c != header.domestic_currency, c)):
            shortfall = Decimal(x["shortfall"][cur])
            obl.rows.append({**_inst(r), "outcome": "shortfall" if shortfall > 0 else "compliant",
                             "reserve_currency": cur,
                             **{k: money(x[k].get(cur), cur) for k in
                                ("required", "held", "excess", "shortfall", "interest")}})
            one = _series(r, cur, period, holdings, money)
            if one.required or any(one.balances):  # a 0% institution holding nothing: no panel
                series.append(one)
        if series:
            charts[r.institution_id] = series
    rest = ReportTable("Restatements", [
        Col(f.name, f.name.replace("_", " ").capitalize(),
            "money" if f.name in ("old", "new", "difference") else
            "int" if f.name.endswith("_version") and "ruleset" not in f.name else "text",
            "currency") for f in dataclasses.fields(RestatementRow)],
        [dataclasses.asdict(r) for r in restated])
    return PeriodReport(period, [t for t in (base, req, obl, rest) if t.rows], charts,
                        f"{seq}:{digest}")


def _series(r: StoredResult, cur: str, period: Any, holdings: list, money: Callable) -> ChartSeries:
    mine = {h.date: h.amount for h in holdings if h.institution_id == r.institution_id
            and h.currency == cur}
    earlier = [d for d in mine if d < period.first]
    current = mine[max(earlier)] if earlier else Decimal(0)
    balances = []
    for day in period.dates():
        current = mine.get(day, current)  # the carry-forward rule of the averages
        balances.append(current)
    x = r.exact
    return ChartSeries(r.institution_id, cur, list(period.dates()), balances,
                       *(money(x[k][cur], cur)
                         for k in ("required", "held", "excess", "shortfall")))


def csv_text(table: ReportTable, provenance: Provenance | None = None) -> str:
    """The table as CSV: plain decimal amounts (no grouping), already rounded; text cells inert
    for spreadsheets; the provenance, if given, as trailing columns on every row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head, tail = provenance.columns() if provenance is not None else ([], [])
    w.writerow([c.key for c in table.columns] + head)
    for row in table.rows:
        w.writerow([_csv_cell(c, row.get(c.key)) for c in table.columns] + tail)
    return buf.getvalue()


def _csv_cell(col: Col, value: Any) -> str:
    if value is None:
        return ""
    if col.kind != "text":  # an amount, ratio or count: exact decimal notation, never text
        return dec_str(value if isinstance(value, Decimal) else Decimal(str(value)))
    return inert(str(value))


def write_period_reports(storage: Storage, engine: Engine, period: Any, out_dir: Path, *,
                         run_id: str, approval: str,
                         options: Mapping[str, Any] | None = None) -> list[Path]:
    """Write every report of ``period`` under ``out_dir/<period>/``; return the files.

    :param run_id: the run writing them (``rrr_runs``), recorded in every file.
    :param approval: the pack version's approval state for this run.
    """
    from rrr_engine.reports.chart import write_chart
    from rrr_engine.reports.xlsx import write_workbook

    report = build_period_report(storage, engine, period)
    source = Provenance.of(engine.pack, run_id=run_id, approval=approval,
                           audit_head=report.audit_head)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(report.period))  # a period id as a file name
    folder, stem = Path(out_dir) / name, f"rrr_{name}"
    written: list[tuple[Path, str]] = []
    for table in report.tables:
        slug = re.sub(r"[^a-z0-9]+", "_", table.name.lower())  # "Base averages": base_averages
        path = folder / f"{stem}_{slug}.csv"
        written.append((write_text(path, csv_text(table, source), bom=True), f"{slug}_csv"))
    if report.tables:
        path = folder / f"{stem}.xlsx"
        written.append((write_atomic(path, lambda f: write_workbook(report, engine, f, source)),
                        "xlsx"))
    for inst, series in sorted(report.charts.items()):
        path = folder / f"{stem}_{inst}_holdings.png"
        chart = partial(write_chart, series, report.period, source=source)
        written.append((write_atomic(path, chart), "chart_png"))
    for path, kind in written:
        engine.hooks.report_written(dict(options or {}), path, kind, str(report.period))
    return [p for p, _ in written]
