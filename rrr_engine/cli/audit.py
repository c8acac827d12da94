"""``rrr audit verify | log``: what an auditor runs against the results database.

``verify`` recomputes the hash chain, matches every audited row with its entry and every
stored result with its figures; exit 0 intact, 1 when anything does not match (the first
broken entry and each mismatch named), 2 when the database cannot be read.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from rrr_engine.cli.common import add_db_argument, add_format_argument, open_store, output_format
from rrr_engine.cli.render import emit
from rrr_engine.exits import EXIT_FAILED

__all__ = ["register"]


def _head(text: str) -> tuple[int, str]:
    match = re.fullmatch(r"#?(\d+):([0-9a-fA-F]{64})", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: expected SEQ:HASH as verify printed it, "
                                         "e.g. 42:9f86d081...")
    return int(match.group(1)), match.group(2).lower()


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify and read the hash-chained audit log",
                           description="The audit log: every proposal, approval, rejection, "
                           "stored result version, submission and restatement, hash-chained.")
    cmds = audit.add_subparsers(dest="audit_command", required=True, parser_class=type(audit))
    p = cmds.add_parser("verify", help="recompute the chain and match it with the stored rows",
                        description="Exit 0 when the log is intact; 1 naming the first broken "
                        "entry and every row that does not match its entry.")
    add_db_argument(p)
    p.add_argument("--head", type=_head, metavar="SEQ:HASH",
                   help="a head recorded earlier: it must still be in the log, unchanged")
    add_format_argument(p)
    p.set_defaults(func=run_verify)
    p = cmds.add_parser("log", help="print the audit log, oldest first",
                        description="Print the audit log's entries, oldest first: sequence "
                        "number, kind, what each is about, and its hash.")
    add_db_argument(p)
    p.add_argument("--kind", help="only entries of this kind (proposal, approval, result, ...)")
    add_format_argument(p)
    p.set_defaults(func=run_log)


def run_verify(args: argparse.Namespace) -> int:
    from rrr_engine.governance.verify import verify

    with open_store(args, read_only=True) as store, store.transaction() as conn:
        report = verify(conn, store.url, head=args.head)
    seq, digest = report.head
    data: dict[str, Any] = {
        "database": report.database, "entries": report.entries, "ok": report.ok,
        "head": f"{seq}:{digest}" if digest else None,
        "chain_break": None if report.chain_break is None else str(report.chain_break),
        "findings": list(report.findings)}
    rows = ([{"problem": "broken", "detail": data["chain_break"]}] if report.chain_break else [])
    rows += [{"problem": "mismatch", "detail": f} for f in report.findings]
    emit(output_format(args), text=report.to_text(), data=data,
         columns=("problem", "detail"), rows=rows)
    return 0 if report.ok else EXIT_FAILED


def run_log(args: argparse.Namespace) -> int:
    from rrr_engine.store.audit import entries

    with open_store(args, read_only=True) as store, store.transaction() as conn:
        found = list(entries(conn, args.kind))
    data = [{"seq": e.seq, "kind": e.kind, "data": e.data, "hash": e.hash} for e in found]
    fmt = output_format(args)
    text = []
    for e in found if fmt == "text" else ():
        keys = [k for k in _FIRST if k in e.data] + sorted(set(e.data) - set(_FIRST) - {"files"})
        shown = " ".join(f"{k}={_short(e.data[k])}" for k in keys)
        text.append(f"#{e.seq} {e.kind} {shown} hash={e.hash[:16]}\n")
    emit(fmt, text="".join(text), data=data, columns=("seq", "kind", "hash", "data"), rows=data)
    return 0


# the fields that say what an entry is about, shown first
_FIRST = ("institution_id", "maintenance_period", "stage", "result_version", "ruleset_id",
          "ruleset_label", "ruleset_sha256", "actor", "by", "submitted_by", "set_by", "reason",
          "why", "at")


def _short(value: object) -> str:
    text = str(value)
    return text[:12] if re.fullmatch(r"[0-9a-f]{64}", text) else text
