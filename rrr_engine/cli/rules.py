"""``rrr rules``: the rule author's commands: check, test, explain, export, import; the
modules in :data:`RULES_COMMAND_MODULES` add diff and the maker-checker commands.

Exit codes: 0 when all is well; 1 when the check finds an error, a scenario fails or an
import is refused (so CI can gate a rule change); 2 for input that cannot be read at all
(printed by :mod:`rrr_engine.cli.main` as one line).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from rrr_engine.cli.common import EXIT_FAILED, add_format_argument, output_format
from rrr_engine.cli.render import emit

__all__ = ["RULES_COMMAND_MODULES", "register"]


# Each has register(cmds) adding its subcommands to the ``rrr rules`` group.
RULES_COMMAND_MODULES = (
    "rrr_engine.cli.rules_diff",
    "rrr_engine.cli.rules_review",
)


def register(sub: argparse._SubParsersAction) -> None:
    rules = sub.add_parser("rules", help="check, test, explain, export, import, diff, propose "
                           "and approve rule packs",
                           description="Tools for writing, reviewing and approving rule packs.")
    cmds = rules.add_subparsers(dest="rules_command", required=True,
                                parser_class=type(rules))

    p = cmds.add_parser("check", help="schema, coverage, dead rules and citations of a pack",
                        description="Check a rule pack: every schema error as file:line: key: "
                        "problem, gaps and overlaps of the ratio tables, rules that can never "
                        "fire, missing citations. Exit 1 on any error.")
    p.add_argument("path", help="rule pack directory, e.g. rulesets/vn-sbv")
    add_format_argument(p)
    p.set_defaults(func=run_check)

    p = cmds.add_parser("test", help="run the pack's scenarios and report rule coverage",
                        description="Run scenarios/*.yaml of a pack; report pass/fail with "
                        "differences and which scenarios exercise each rule. Exit 1 on a failure.")
    p.add_argument("path", help="rule pack directory")
    p.add_argument("-k", dest="select", help="only scenarios whose name contains this text")
    p.add_argument("--require-coverage", action="store_true",
                   help="also fail when a rule or status is exercised by no scenario")
    add_format_argument(p)
    p.set_defaults(func=run_test)

    p = cmds.add_parser("explain", help="the chain of rules behind one institution-period",
                        description="Explain, with citations, which rules, events and settings "
                        "produce each line for one institution and maintenance period.")
    p.add_argument("--rules", required=True, help="rule pack directory")
    p.add_argument("--institutions", required=True, help="institutions YAML or JSON")
    p.add_argument("--institution", required=True, help="the institution id to explain")
    p.add_argument("--period", required=True,
                   help="maintenance month YYYY-MM, or a calendar pack's period id (its start "
                   "date, e.g. 2020-01-16)")
    p.add_argument("--balances", nargs="+", action="extend", metavar="FILE",
                   help="balances CSV file(s); without them only the decision is explained")
    p.add_argument("--fx-rates", help="FX rates CSV")
    p.add_argument("--holdings", help="central-bank holdings CSV")
    p.set_defaults(func=run_explain)

    p = cmds.add_parser("export", help="write a ratio table as a CSV or XLSX decision table",
                        description="Write one ratio table of a pack as a decision table a "
                        "reviewer edits in a spreadsheet; 'rrr rules import' reads it back.")
    p.add_argument("--rules", required=True, help="rule pack directory")
    p.add_argument("--table", required=True, help="ratio table id, e.g. d1158-2977-2025")
    p.add_argument("--out", required=True, help="output file, .csv or .xlsx")
    p.add_argument("--at", help="the figures in force on this month (a calendar pack: day), "
                   "with amendment_from set to it: type the new figures and the amending "
                   "document, then import to add the amendment")
    p.set_defaults(func=run_export)

    p = cmds.add_parser("import", help="write a CSV or XLSX decision table back into a pack",
                        description="Replace (or add) a ratio table in the pack's ratios file "
                        "from a decision table, or, when the file fills amendment_from (see "
                        "'rrr rules export --at'), add the changed figures as amendments of "
                        "the table from that date; the result must pass 'rrr rules check' or "
                        "nothing is written.")
    p.add_argument("file", help="the .csv or .xlsx decision table")
    p.add_argument("--into", required=True, help="rule pack directory")
    p.add_argument("--table", required=True, help="the ratio table id the file holds")
    p.set_defaults(func=run_import)

    for name in RULES_COMMAND_MODULES:
        importlib.import_module(name).register(cmds)


def run_check(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.check.report import check_pack
    report = check_pack(args.path)
    data = report.to_dict()
    issues: list[dict[str, Any]] = data["issues"]
    emit(output_format(args), text=report.to_text(), data=data, rows=issues,
         columns=tuple(dict.fromkeys(k for issue in issues for k in issue))
         or ("severity", "file", "line", "key", "message"))
    return 0 if report.ok else EXIT_FAILED


def run_test(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.testing import run_pack_scenarios
    report = run_pack_scenarios(args.path, select=args.select)
    data = report.to_dict()
    rows = [{"scenario": s["name"], "where": s["where"], "passed": s["passed"],
             "differences": "; ".join(s["differences"])} for s in data["scenarios"]]
    emit(output_format(args), text=report.to_text(), data=data, rows=rows,
         columns=("scenario", "where", "passed", "differences"))
    failed = report.failed or (args.require_coverage and report.unexercised)
    return EXIT_FAILED if failed else 0


def run_explain(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.explain import explain, read_for
    from rrr_engine.engine import Engine
    engine = Engine(args.rules)
    month, _ = engine.periods(args.period)
    data = read_for(engine, args.institutions, args.institution, month, args.balances,
                    args.fx_rates, args.holdings)
    sys.stdout.write(explain(engine, data["inst"], month, balances=data["balances"],
                             fx_rates=data["fx_rates"], holdings=data["holdings"]))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.sheets.spreadsheet import export_table
    path = export_table(Path(args.rules), args.table, Path(args.out), at=args.at)
    print(f"wrote ratio table {args.table} to {path}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.sheets.spreadsheet import import_table
    outcome = import_table(Path(args.file), Path(args.into), args.table)
    sys.stdout.write(outcome.to_text())
    return 0 if outcome.written or outcome.unchanged else EXIT_FAILED
