"""What the commands print: the one implementation of ``--format text|json|csv``
(:func:`emit`), and text more than one command prints: a nightly run's summary (``rrr
nightly``, ``rrr demo``) and restatements (``rrr restatements``, ``rrr reevaluate``).

CSV goes to stdout as UTF-8 with a byte-order mark (so a spreadsheet opens it as UTF-8), one
header row, text cells made inert for spreadsheets (:func:`rrr_engine.sheet_safety.inert`),
amounts in plain decimal notation, exact. JSON is one document, amounts as strings.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

from rrr_engine.sheet_safety import inert

__all__ = ["BOM", "csv_cell", "csv_text", "emit", "render_restatements", "render_summary",
           "write_csv_file"]

BOM = "\ufeff"


def csv_cell(value: Any) -> str:
    """One CSV cell: exact decimals, ``true``/``false``, nested values as JSON, text inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (dict, list, tuple)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return inert(str(value))


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header row and one row per mapping (a missing key is an empty cell), no BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([inert(c) for c in columns])
    for row in rows:
        w.writerow([csv_cell(row.get(c)) for c in columns])
    return buf.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def emit(fmt: str, *, text: str, data: Any, columns: Sequence[str] = (),
         rows: Iterable[Mapping[str, Any]] = (), csv_body: str | None = None,
         stream: TextIO | None = None) -> None:
    """Print a command's results in ``fmt``: ``text`` as it is; ``data`` as JSON; for csv,
    ``csv_body`` when the command has its own CSV form, else ``columns`` and ``rows``."""
    out = stream or sys.stdout
    if fmt == "json":
        out.write(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n")
    elif fmt == "csv":
        body = BOM + (csv_body if csv_body is not None else csv_text(columns, rows))
        raw = getattr(out, "buffer", None)
        if raw is None:
            out.write(body)
        else:  # UTF-8 whatever the terminal's encoding: the BOM says so to the spreadsheet
            out.flush()
            raw.write(body.encode("utf-8"))
            raw.flush()
    else:
        out.write(text)


def write_csv_file(args: Any, fmt: str, text: str) -> None:
    """Write ``text`` to ``--csv FILE`` (UTF-8 with BOM, atomically) and say so: on stdout
    beside a text report, as a note on stderr when stdout carries a CSV or JSON document
    (which must stay one document)."""
    from rrr_engine.safe_files import write_text

    write_text(args.csv, text, bom=True)
    if fmt == "text":
        print(f"wrote {args.csv}")
    else:
        args.console.note(f"wrote {args.csv}")


def _amount(text: str) -> str:
    whole, _, frac = text.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def render_summary(summary: Any, db: str) -> str:
    """What the job did, for a log or a terminal."""
    out = []
    for day in summary.days:
        stored = [f"{s.stage} {s.period}: " + ", ".join(f"{i} v{v}" for i, v in s.written)
                  for s in day.stages if s.written]
        if stored or day.snapshot in ("restated", "completed"):
            added = f" ({', '.join(day.completed)} added)" if day.completed else ""
            out.append(f"{day.day}  snapshot {day.snapshot}{added}; "
                       + ("; ".join(stored) or "no result changed"))
    d = summary.as_dict()
    span = (f" {summary.days[0].day}..{summary.days[-1].day}" if len(summary.days) > 1
            else f" {summary.days[0].day}" if summary.days else "")
    completed = f", {d['completed']} completed" if d["completed"] else ""
    out.append(f"nightly: {d['dates']} date(s){span}: {d['new']} new, {d['unchanged']} unchanged, "
               f"{d['restated']} restated{completed}; {d['results_written']} result version(s) "
               "stored")
    failed = sorted({e.institution_id for e in summary.errors})
    if failed:
        shown = ", ".join(i if i.isprintable() else repr(i) for i in failed[:10])
        out.append(f"FAILED {len(failed)} institution(s): {shown}"
                   f"{' ...' if len(failed) > 10 else ''} (error entries on stderr and in the "
                   "run log; the others are stored)")
    for r in summary.shortfalls:
        gaps = ", ".join(f"{ccy} {_amount(v)}" for ccy, v in r.presented["shortfall"].items()
                         if Decimal(v) > 0)
        out.append(f"SHORTFALL {r.institution_id} {r.maintenance_period}: {gaps} "
                   f"(close v{r.result_version}, stored by the run of {r.as_of})")
    for old, new in summary.restated:
        out.append(f"RESTATEMENT {new.institution_id} {new.maintenance_period} {new.stage}: "
                   f"v{new.result_version} supersedes submitted v{old.result_version} "
                   f"(rrr restatements --period {new.maintenance_period})")
    folders = sorted({str(p.parent) for p in summary.reports})
    if folders:
        out.append(f"reports: {', '.join(folders)}")
    out.append(f"database: {db}")
    return "\n".join(out) + "\n"



def _exact(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,f}"


def render_restatements(rows: list) -> str:
    """The restatement rows for a terminal, grouped by restated result."""
    out: list[str] = []
    head = None
    for r in rows:
        key = (r.institution_id, r.maintenance_period, r.stage, r.new_version)
        if key != head:
            head = key
            out.append(f"{r.institution_id} {r.maintenance_period} {r.stage}: v{r.new_version} "
                       f"restates submitted v{r.old_version} (pack {r.old_ruleset_sha256[:12]} "
                       f"{r.old_ruleset_version} -> {r.new_ruleset_sha256[:12]} "
                       f"{r.new_ruleset_version})")
        if r.old is None:
            out.append(f"  {r.figure}")
            continue
        rule = (r.new_rule if r.old_rule == r.new_rule
                else f"{r.old_rule or '-'} -> {r.new_rule or '-'}")
        sign = "+" if r.difference > 0 else ""
        out.append(f"  {r.category} {r.currency} {r.figure}: {_exact(r.old)} -> {_exact(r.new)} "
                   f"({sign}{_exact(r.difference)})" + (f"  rule {rule}" if rule else ""))
    return "\n".join(out) + ("\n" if out else "")

