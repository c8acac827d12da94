"""Maker-checker for rule packs: proposals, approvals and rejections of a pack version, and
production mode.

A pack version is its content hash (:attr:`RulePack.sha256`). One person proposes it (and it
must pass ``rrr rules check``), a different person approves or rejects it; each step is a row
of ``rrr_pack_reviews`` and an audit-log entry written in the same transaction. A version is
*current* when it is the latest approved version of its pack id: approving a newer version
supersedes the older one. In production mode (the store's ``approval_required`` setting, or
``--production`` on a run) a run refuses a pack that is not current; otherwise it runs and the
run manifest records the pack's approval state.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from rrr_engine.errors import (
    InputError,
    PackNotApproved,
    ReviewRefused,
    SameReviewer,
)
from rrr_engine.rules.pack import RulePack
from rrr_engine.store import audit, schema

__all__ = ["ACTIONS", "Approval", "Review", "approval_required", "approval_state", "approve",
           "check_run", "propose", "reject", "require_approval", "resolve_sha",
           "review_entry", "setting_entry",
           "reviews", "same_person", "version_state"]

ACTIONS = ("proposal", "approval", "rejection")
APPROVAL_REQUIRED = "approval_required"


@dataclass(frozen=True)
class Review:
    ruleset_sha256: str
    review_no: int
    action: str
    ruleset_id: str
    ruleset_label: str
    actor: str
    reason: str
    files: dict[str, str] | None
    at: str

    @property
    def short(self) -> str:
        return self.ruleset_sha256[:12]


@dataclass(frozen=True)
class Approval:
    """Where a pack version stands, and whether this run may use it."""

    state: str  # approved | superseded | proposed | rejected | unreviewed | unrecorded
    detail: str
    production: bool

    @property
    def current(self) -> bool:
        return self.state == "approved"


def same_person(a: str, b: str) -> bool:
    """Names compare without case or surrounding space: ``Alice`` cannot check ``alice``."""
    return a.strip().casefold() == b.strip().casefold()


def review_entry(row: Any) -> dict[str, Any]:
    """The audit entry's data for a review row (written and re-derived by ``audit verify``)."""
    m = row if isinstance(row, dict) else row._mapping
    files = m["files_json"]
    return {"ruleset_sha256": m["ruleset_sha256"], "review_no": m["review_no"],
            "ruleset_id": m["ruleset_id"], "ruleset_label": m["ruleset_label"],
            "actor": m["actor"], "reason": m["reason"], "at": audit.stamp(m["at"]),
            "files": None if files is None else json.loads(files)}


def _row(r: Review) -> dict[str, Any]:
    return {"ruleset_sha256": r.ruleset_sha256, "review_no": r.review_no,
            "ruleset_id": r.ruleset_id, "ruleset_label": r.ruleset_label, "actor": r.actor,
            "reason": r.reason, "at": dt.datetime.fromisoformat(r.at),
            "files_json": None if r.files is None else json.dumps(r.files)}


def reviews(conn: Connection, sha: str | None = None) -> list[Review]:
    """Every review (of one version if ``sha``), oldest first."""
    t = schema.PACK_REVIEWS
    query = select(t).order_by(t.c.at, t.c.ruleset_sha256, t.c.review_no)
    if sha is not None:
        query = query.where(t.c.ruleset_sha256 == sha).order_by(None).order_by(t.c.review_no)
    return [Review(r.ruleset_sha256, r.review_no, r.action, r.ruleset_id, r.ruleset_label, r.actor,
                   r.reason, None if r.files_json is None else json.loads(r.files_json),
                   audit.stamp(r.at)) for r in conn.execute(query)]


def _record(conn: Connection, pack_id: str, label: str, sha: str, action: str, actor: str,
            reason: str, files: dict[str, str] | None = None) -> Review:
    if not actor.strip():
        raise InputError("must name a person", field="--by")
    if not reason.strip():
        raise InputError("must say why (it is kept in the audit log)", field="--why")
    t = schema.PACK_REVIEWS
    n = conn.execute(select(func.max(t.c.review_no)).where(t.c.ruleset_sha256 == sha)).scalar()
    row = {"ruleset_sha256": sha, "review_no": (n or 0) + 1, "action": action,
           "ruleset_id": pack_id, "ruleset_label": label, "actor": actor.strip(),
           "reason": reason.strip(), "at": dt.datetime.now(dt.UTC),
           "files_json": None if files is None else json.dumps(files, sort_keys=True)}
    conn.execute(t.insert().values(**row))
    audit.append(conn, action, review_entry(row))
    return reviews(conn, sha)[-1]


def _last(conn: Connection, sha: str) -> Review | None:
    found = reviews(conn, sha)
    return found[-1] if found else None


def propose(conn: Connection, pack: RulePack, *, by: str, why: str) -> Review:
    """Record a proposal of ``pack``'s current files (already checked by the caller)."""
    state = approval_state(conn, pack)
    if state.state in ("proposed", "approved"):
        last = _last(conn, pack.sha256)
        by_whom = "" if last is None else f" (by {last.actor} on {last.at})"
        raise ReviewRefused(f"pack {pack.id} version {pack.sha256[:12]} is already "
                            f"{state.state}{by_whom}"
                            + (" and awaits a checker" if state.state == "proposed" else ""),
                            sha=pack.sha256)
    return _record(conn, pack.id, pack.header.label, pack.sha256, "proposal", by, why,
                   pack.file_sha256)


def _decide(conn: Connection, action: str, sha: str, pack: RulePack | None, by: str,
            why: str) -> Review:
    if pack is not None and pack.sha256 != sha:
        raise ReviewRefused(f"--sha {sha[:12]} is not the version in {pack.path} "
                            f"({pack.sha256[:12]}): give one or make them agree", sha=sha)
    last = _last(conn, sha)
    if last is None:
        raise ReviewRefused(_unknown(conn, sha, pack), sha=sha)
    verb = "approve" if action == "approval" else "reject"
    if last.action != "proposal":
        done = "approved" if last.action == "approval" else "rejected"
        raise ReviewRefused(f"pack {last.ruleset_id} version {sha[:12]} is already {done} "
                            f"(by {last.actor} on {last.at}); there is nothing to {verb}"
                            + (" until it is proposed again" if done == "rejected" else ""),
                            sha=sha)
    if same_person(last.actor, by):
        raise SameReviewer(f"{by.strip()} cannot {verb} pack {last.ruleset_id} version "
                           f"{sha[:12]}: it was proposed by {last.actor}, and the checker "
                           "must be a different person", sha=sha, proposer=last.actor,
                           checker=by.strip())
    return _record(conn, last.ruleset_id, last.ruleset_label, sha, action, by, why)


def _unknown(conn: Connection, sha: str, pack: RulePack | None) -> str:
    """Why ``sha`` cannot be decided: never proposed, or the files changed since."""
    if pack is not None:
        pending = [r for r in reviews(conn) if r.ruleset_id == pack.id]
        waiting = [r for r in pending if r.action == "proposal"
                   and _last(conn, r.ruleset_sha256) == r]
        if waiting:
            p = waiting[-1]
            now = pack.file_sha256  # read with the pack: the files as they are now
            changed = sorted(n for n in set(now) | set(p.files or {})
                             if now.get(n) != (p.files or {}).get(n))
            return (f"the files of pack {pack.id} in {pack.path} changed since {p.actor} "
                    f"proposed them (proposed version {p.short}, the files now give "
                    f"{sha[:12]}; changed: {', '.join(changed) or 'unknown'}): propose this "
                    "version, or restore the proposed files")
    return f"pack version {sha[:12]} was never proposed: propose it first (rrr rules propose)"


def approve(conn: Connection, sha: str, *, by: str, why: str,
            pack: RulePack | None = None) -> Review:
    """Approve a proposed version; the approver must not be its proposer."""
    return _decide(conn, "approval", sha, pack, by, why)


def reject(conn: Connection, sha: str, *, by: str, why: str,
           pack: RulePack | None = None) -> Review:
    """Reject a proposed version (it may be proposed again, e.g. after a discussion)."""
    return _decide(conn, "rejection", sha, pack, by, why)


def resolve_sha(conn: Connection, prefix: str) -> str:
    """The full sha of a reviewed version from a unique prefix (at least 8 characters)."""
    prefix = prefix.strip().lower()
    if len(prefix) < 8:
        raise InputError(f"{prefix!r}: give at least 8 characters", field="--sha")
    t = schema.PACK_REVIEWS
    found = sorted(set(conn.execute(select(t.c.ruleset_sha256).where(
        t.c.ruleset_sha256.startswith(prefix))).scalars()))
    if len(found) > 1:
        raise InputError(f"{prefix} matches {len(found)} versions; give more of it",
                              field="--sha")
    return found[0] if found else prefix


def approval_required(conn: Connection) -> bool:
    t = schema.STORE_SETTINGS
    return conn.execute(select(t.c.value).where(t.c.name == APPROVAL_REQUIRED)).scalar() == "true"


def setting_entry(row: Any) -> dict[str, Any]:
    m = row if isinstance(row, dict) else row._mapping
    return {"name": m["name"], "value": m["value"], "set_by": m["set_by"], "reason": m["reason"],
            "at": audit.stamp(m["set_at"])}


def require_approval(conn: Connection, *, by: str, why: str) -> bool:
    """Put the store in production mode for good; False when it already was."""
    if approval_required(conn):
        return False
    if not by.strip() or not why.strip():
        raise InputError("--by and --why are required (they are kept in the audit log)")
    row = {"name": APPROVAL_REQUIRED, "value": "true", "set_by": by.strip(),
           "reason": why.strip(), "set_at": dt.datetime.now(dt.UTC)}
    conn.execute(schema.STORE_SETTINGS.insert().values(**row))
    audit.append(conn, "setting", setting_entry(row))
    return True


def approval_state(conn: Connection, pack: RulePack, *, production: bool = False) -> Approval:
    """The state of ``pack``'s version; ``production`` is the run's flag or the store's."""
    return version_state(conn, pack.id, pack.sha256,
                         production=production or approval_required(conn))


def version_state(conn: Connection, pack_id: str, sha: str, *,
                  production: bool = False) -> Approval:
    """Where the version ``sha`` of pack ``pack_id`` stands."""
    last = _last(conn, sha)
    name = f"pack {pack_id} version {sha[:12]}"
    if last is None:
        return Approval("unreviewed", f"{name} was never proposed or approved", production)
    if last.action == "proposal":
        return Approval("proposed", f"{name} was proposed by {last.actor} and is not approved "
                        "yet", production)
    if last.action == "rejection":
        return Approval("rejected", f"{name} was rejected by {last.actor} on {last.at}: "
                        f"{last.reason}", production)
    # the audit chain, not the approvers' clocks, orders approvals
    order = [e.data for e in audit.entries(conn, "approval") if e.data.get("ruleset_id") == pack_id]
    if review_entry(_row(last)) not in order:
        return Approval("unrecorded", f"{name}: its approval by {last.actor} is not in the audit "
                        "log (written outside rrr-engine); run rrr audit verify", production)
    if order[-1].get("ruleset_sha256") != sha:
        n = order[-1]
        return Approval("superseded", f"{name} was superseded by version "
                        f"{str(n.get('ruleset_sha256'))[:12]}, approved by {n.get('actor')} on "
                        f"{n.get('at')}", production)
    return Approval("approved", f"{name} approved by {last.actor} on {last.at}", production)


def check_run(conn: Connection, pack: RulePack, *, production: bool = False,
              command: str = "run") -> Approval:
    """The approval of a run's pack; in production mode a pack that is not current is refused."""
    state = approval_state(conn, pack, production=production)
    if state.production and not state.current:
        raise PackNotApproved(f"production mode: {command} refuses to run: {state.detail}; "
                              "only the latest approved version of a pack may run "
                              "(rrr rules propose, then rrr rules approve by someone else)",
                              sha=pack.sha256, state=state.state)
    return state

