"""``rrr rules propose | approve | reject | status | require-approval``: maker-checker.

A refusal (the approver is the proposer, an unknown or already decided version, files changed
since the proposal) is one line on stderr and exit 2; a proposal of a pack that fails
``rrr rules check`` prints the check and exits 1. Everything recorded goes into the audit log.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rrr_engine.cli.common import (
    EXIT_FAILED,
    add_db_argument,
    add_format_argument,
    open_store,
    output_format,
)
from rrr_engine.cli.render import emit

__all__ = ["register"]



def _who(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", required=True, help="your name, as the audit log should show it")
    p.add_argument("--why", required=True, help="the reason, kept in the audit log")


def register(cmds: argparse._SubParsersAction) -> None:
    p = cmds.add_parser("propose", help="propose a pack version for approval (the maker)",
                        description="Record that you propose the pack's current files (their "
                        "sha256) for approval. The pack must pass 'rrr rules check'.")
    p.add_argument("--rules", required=True, help="rule pack directory")
    add_db_argument(p)
    _who(p)
    p.set_defaults(func=run_propose)

    for verb, what in (("approve", "approve a proposed pack version (the checker)"),
                       ("reject", "reject a proposed pack version (the checker)")):
        p = cmds.add_parser(verb, help=what, description=f"{what.capitalize()}. The checker "
                            "must not be the proposer; the files must be those proposed.")
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--rules", help="rule pack directory (its current files)")
        which.add_argument("--sha", help="the proposed version's sha256 (8 characters or more)")
        add_db_argument(p)
        _who(p)
        p.set_defaults(func=run_decide, verb=verb)

    p = cmds.add_parser("status", help="proposals, approvals and rejections of pack versions",
                        description="Whether the database is in production mode, and every "
                        "pack version proposed, approved or rejected, with who, when and why.")
    add_db_argument(p)
    p.add_argument("--rules", help="also say where this pack directory's version stands")
    add_format_argument(p)
    p.set_defaults(func=run_status)

    p = cmds.add_parser("require-approval",
                        help="production mode: from now on every run needs an approved pack",
                        description="Put the database in production mode for good: the "
                        "nightly job and re-evaluations refuse a pack version that is not the "
                        "latest approved one. There is no way back short of a new database.")
    add_db_argument(p)
    _who(p)
    p.set_defaults(func=run_require)


def run_propose(args: argparse.Namespace) -> int:
    from rrr_engine.authoring.check.report import check_pack
    from rrr_engine.governance.approvals import propose

    report = check_pack(args.rules)  # one reading: the check, the pack, its files' digests
    pack = report.reading.strict()  # a pack that does not load is refused as the loader says
    if not report.ok:
        sys.stdout.write(report.to_text())
        print(f"rrr: proposal refused: pack {pack.id} in {args.rules} fails rrr rules check",
              file=sys.stderr)
        return EXIT_FAILED
    with open_store(args, create=True) as store, store.transaction() as conn:
        review = propose(conn, pack, by=args.by, why=args.why)
    print(f"proposed: pack {pack.id} {pack.header.label} version {pack.sha256} by {review.actor} "
          f"({review.at}); a different person approves it with rrr rules approve --sha "
          f"{pack.sha256[:12]}")
    return 0


def run_decide(args: argparse.Namespace) -> int:
    from rrr_engine.governance.approvals import approve, reject, resolve_sha
    from rrr_engine.rules.pack import load_pack

    pack = load_pack(args.rules) if args.rules else None
    with open_store(args) as store, store.transaction() as conn:
        sha = pack.sha256 if pack is not None else resolve_sha(conn, args.sha)
        decide = approve if args.verb == "approve" else reject
        review = decide(conn, sha, by=args.by, why=args.why, pack=pack)
    done = "approved" if args.verb == "approve" else "rejected"
    print(f"{done}: pack {review.ruleset_id} {review.ruleset_label} version {sha} by "
          f"{review.actor} ({review.at})")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from rrr_engine.governance.approvals import (
        approval_required,
        approval_state,
        reviews,
        version_state,
    )
    from rrr_engine.rules.pack import load_pack

    with open_store(args, read_only=True) as store, store.transaction() as conn:
        found = reviews(conn)
        production = approval_required(conn)
        states = {r.ruleset_sha256: version_state(conn, r.ruleset_id, r.ruleset_sha256)
                  for r in found}
        mine = approval_state(conn, load_pack(args.rules)) if args.rules else None
    data = {"production": production,
            "versions": [{"sha256": sha, "state": st.state, "detail": st.detail}
                         for sha, st in states.items()],
            "reviews": [_review(r) for r in found],
            "rules": None if mine is None else {"state": mine.state, "detail": mine.detail}}
    text = ["mode: " + ("production (every run needs the latest approved pack version)"
                        if production else "demo (unapproved packs run; the run log says so)")]
    for sha, state in states.items():
        rows = [r for r in found if r.ruleset_sha256 == sha]
        text.append(f"{rows[0].ruleset_id} {rows[0].ruleset_label} {sha[:12]}: {state.state}")
        text += [f"  {r.at}  {r.action:<10} {r.actor}: {r.reason}" for r in rows]
    if not found:
        text.append("no pack version has been proposed")
    if mine is not None:
        text.append(f"{args.rules}: {mine.state}: {mine.detail}")
    table = [{**_review(r), "state": states[r.ruleset_sha256].state} for r in found]
    emit(output_format(args), text="".join(f"{line}\n" for line in text), data=data,
         rows=table, columns=("ruleset_id", "label", "sha256", "state", "review_no", "action",
                              "by", "why", "at"))
    return 0


def _review(r: Any) -> dict[str, Any]:
    return {"ruleset_id": r.ruleset_id, "label": r.ruleset_label, "sha256": r.ruleset_sha256,
            "review_no": r.review_no, "action": r.action, "by": r.actor, "why": r.reason,
            "at": r.at, "files": r.files}


def run_require(args: argparse.Namespace) -> int:
    from rrr_engine.governance.approvals import require_approval

    with open_store(args, create=True) as store, store.transaction() as conn:
        changed = require_approval(conn, by=args.by, why=args.why)
    print("production mode: " + ("from now on every run against this database needs the latest "
                                 "approved pack version" if changed else "already required"))
    return 0
