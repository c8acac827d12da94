"""``rrr evaluate``: one maintenance period from files, as JSON, text or CSV.

Every institution is evaluated on its own: one whose input is bad gets an error entry (in the
JSON, ``{"institution_id", "status": "error", "error": {code, field, message}}``; in the
text, an ERROR line; in the CSV, a row with status ``error``) and a line on stderr, and the
others are computed all the same. Exit 0
every institution computed, 4 some have an error entry, 2 all of them do (or the run's input
as a whole is bad: a file, the period).
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from rrr_engine.cli.common import add_format_argument, output_format
from rrr_engine.cli.render import emit
from rrr_engine.engine import Engine
from rrr_engine.exits import EXIT_OK, partial_or
from rrr_engine.money import group_digits

__all__ = ["CSV_COLUMNS", "csv_rows", "register", "render_table"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate one maintenance period from files",
                       description="Evaluate required reserves for one maintenance period from "
                       "files; no database is read or written.")
    p.add_argument("--rules", required=True, help="rule pack directory, e.g. rulesets/vn-sbv")
    p.add_argument("--institutions", required=True, help="institutions YAML or JSON")
    p.add_argument("--balances", required=True, help="balances CSV")
    p.add_argument("--fx-rates", help="FX rates CSV (date,currency,domestic_per_unit; the last "
                   "column may instead bear the pack's name for it, pack.fx_rate_column)")
    p.add_argument("--holdings", help="central-bank holdings CSV")
    p.add_argument("--period", required=True,
                   help="maintenance period: YYYY-MM for a monthly pack (vn-sbv), or a period "
                        "id from the pack's periods: list for a calendar pack (e.g. 2024-03-13)")
    add_format_argument(p, default="json", aliases={"table": "text"})
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = Engine(args.rules)
    options = {"institutions": args.institutions, "balances": args.balances,
               "fx_rates": args.fx_rates, "holdings": args.holdings}
    batch = engine.evaluate_sources_each(args.period, {k: v for k, v in options.items() if v})
    errors, results = batch.errors, batch.results
    if results:  # nothing computed: stdout stays empty, stderr says why (exit 2)
        entries = batch.to_json(engine.pack.header.rounding)
        fmt = output_format(args)
        emit(fmt, data=entries, text=render_table(entries) if fmt == "text" else "",
             columns=CSV_COLUMNS, rows=csv_rows(entries) if fmt == "csv" else ())
    for err in errors:
        args.console.error(err.message)
    return partial_or(EXIT_OK, computed=len(results), failed=len(errors))


CSV_COLUMNS = ("institution_id", "institution_name", "institution_class", "maintenance_period",
               "status", "category", "reserve_currency", "average_base", "ratio", "required",
               "rule", "message")


def _exact(text: str | None) -> Decimal | None:
    """An amount of the JSON contract (a string) as a number cell, never as inert text."""
    return None if text is None else Decimal(text)


def csv_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per requirement line; one row for an exempt institution or an error entry."""
    rows: list[dict[str, Any]] = []
    for r in results:
        head = {k: r.get(k) for k in CSV_COLUMNS[:5]}
        if r["status"] == "error":
            e = r["error"]
            rows.append({**head, "message": f"{e['code']}"
                         + (f" ({e['field']})" if e["field"] else "") + f": {e['message']}"})
        elif r["status"] == "exempt":
            e = r["exemption"]
            rows.append({**head, "rule": e["rule"], "message": e["citation"]})
        for ln in r.get("lines") or ():
            rows.append({**head, "category": ln["category"],
                         "reserve_currency": ln["reserve_currency"],
                         "average_base": _exact(ln["average_base"]),
                         "ratio": _exact(ln["ratio"]), "required": _exact(ln["required"]),
                         "rule": ln["rule"]})
    return rows


def _short_ratio(text: str) -> str:
    """A long effective ratio (a tiered line's required ÷ base) shortened for the table."""
    return text if len(text) <= 8 else f"~{Decimal(text):.5f}"


def render_table(results: list[dict[str, Any]]) -> str:
    """A plain-text report a compliance officer can read in a terminal."""
    out: list[str] = []
    for r in results:
        if r["status"] == "error":
            e = r["error"]
            out += [f"{r['institution_id']} {r['institution_name']}  maintenance "
                    f"{r['maintenance_period']}", f"  ERROR {e['code']}"
                    + (f" ({e['field']})" if e["field"] else "") + f": {e['message']}", ""]
            continue
        out.append(f"{r['institution_id']} {r['institution_name']} ({r['institution_class']})  "
                   f"maintenance {r['maintenance_period']}  computation {r['computation_period']}  "
                   f"rules {r['ruleset']['id']} {r['ruleset']['version']}")
        if r.get("period_dates"):
            d = r["period_dates"]
            out.append(f"  maintenance {d['maintenance_start']}..{d['maintenance_end']}  "
                       f"computation {d['computation_start']}..{d['computation_end']}  "
                       f"base {d['base']}")
        if r["status"] == "exempt":
            e = r["exemption"]
            out.append(f"  EXEMPT under {e['rule']} ({e['citation']}) "
                       f"from {e['from'] or 'the start'} to {e['to'] or 'further notice'}")
        else:
            w = max([16] + [len(ln["category"]) + 2 for ln in r["lines"]])
            out.append(f"  {'category':<{w}}{'ccy':<5}{'average base':>26}{'ratio':>9}"
                       f"{'required':>24}  rule")
            for ln in r["lines"]:
                rule = ln["rule"] + (f" + {', '.join(ln['reductions'])}"
                                     if ln["reductions"] else "")
                out.append(f"  {ln['category']:<{w}}{ln['reserve_currency']:<5}"
                           f"{group_digits(ln['average_base']):>26}"
                           f"{_short_ratio(ln['ratio']):>9}"
                           f"{group_digits(ln['required']):>24}  {rule}")
                for t in ln.get("tranches") or ():
                    upto = group_digits(t["upto"]) if t["upto"] else ""
                    band = f"{group_digits(t['from'])}..{upto}"
                    out.append(f"  {'':<{w + 5}}{group_digits(t['base']):>26}{t['ratio']:>9}"
                               f"{group_digits(t['required']):>24}  band {band}")
            # the law behind the lines, once each: the documents and their amendments
            cited = dict.fromkeys(c for ln in r["lines"] for c in ln["citations"])
            out.extend(f"  law: {c}" for c in cited)
            for a in r.get("allowances") or ():
                out.append(f"  allowance {a['rule']}: {a['currency']} "
                           f"-{group_digits(a['deducted'])} of {group_digits(a['amount'])} "
                           f"({a['citation']})")
            for key in ("required", "held", "excess", "shortfall", "interest"):
                if r.get(key):
                    figures = "  ".join(f"{ccy} {group_digits(v)}" for ccy, v in r[key].items())
                    out.append(f"  {key:<10}{figures}")
        for f in r["findings"]:
            out.append(f"  * {f['code']}: {f['message']}")
        out.append("")
    return "\n".join(out)
