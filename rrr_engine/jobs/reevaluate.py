"""A retroactive amendment: stored periods evaluated again with a pack, new versions where
figures change.

:func:`reevaluate` takes every stored period and stage from ``first`` to ``last``, evaluates it
again from the stored snapshots and institution records (:mod:`rrr_engine.jobs.restored`) with the
given pack, and stores a new result version only where a figure or a status changed: a new
pack whose rules give the same figures writes nothing. A new version of a submitted result
is a restatement (recorded by :func:`~rrr_engine.store.results.put_result`). Everything is one
transaction, recorded in the run log and, with who asked for it and why, in the audit log;
in production mode a pack that is not approved is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from rrr_engine import __version__
from rrr_engine.engine import Engine
from rrr_engine.errors import InputError, RrrError, StorageError
from rrr_engine.exits import EXIT_OK, exit_code, partial_or, run_outcome
from rrr_engine.governance.approvals import Approval, check_run
from rrr_engine.jobs.restored import Recomputed, recompute, targets
from rrr_engine.jobs.stages import store_evaluated
from rrr_engine.models import Institution
from rrr_engine.store import audit, schema
from rrr_engine.store.database import Storage
from rrr_engine.store.results import StoredResult, stored_version, submitted_version

__all__ = ["Reevaluation", "reevaluate"]


@dataclass
class Reevaluation:
    approval: Approval
    run_id: str = ""
    as_of: dt.date | None = None
    written: list[tuple[Recomputed, int]] = field(default_factory=list)
    unchanged: int = 0
    not_evaluated: list[Recomputed] = field(default_factory=list)
    restated: list[tuple[StoredResult, StoredResult]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"written": [[*r.stored.key[:3], v] for r, v in self.written],
                "unchanged": self.unchanged,
                "not_evaluated": [list(r.stored.key) for r in self.not_evaluated],
                "errors": [r.failed.to_dict() for r in self.not_evaluated if r.failed],
                "restatements": [[*new.key, old.result_version] for old, new in self.restated],
                "ruleset_approval": self.approval.state}


def reevaluate(storage: Storage, engine: Engine, first: Any, last: Any, *, by: str, why: str,
               production: bool = False, command: str = "reevaluate",
               known: Mapping[str, Institution] | None = None) -> Reevaluation:
    """Re-evaluate stored periods ``first``..``last`` (the pack's periods) with ``engine``.

    :param known: institution records by fingerprint, for results stored without theirs.
    """
    if not by.strip() or not why.strip():
        raise InputError("a re-evaluation needs --by and --why (kept in the audit log)")
    pack = engine.pack
    with storage.transaction() as conn:
        approval = check_run(conn, pack, production=production, command="reevaluate")
    run_id = storage.start_run(
        command=command, engine_version=__version__,
        ruleset={"id": pack.id, "label": pack.header.label, "sha256": pack.sha256},
        sources={"from": str(first), "to": str(last)}, date_from=first.first, date_to=last.last,
        mode="production" if approval.production else "demo", ruleset_approval=approval.state)
    out = Reevaluation(approval, run_id)
    try:
        with storage.transaction() as conn:
            now = dt.datetime.now(dt.UTC)
            days = schema.SNAPSHOT_DAYS.c.business_date
            out.as_of = conn.execute(select(func.max(days))).scalar()
            if out.as_of is None:
                raise StorageError(f"database {storage.url} holds no snapshots to re-evaluate")
            audit.append(conn, "reevaluation", {
                "by": by.strip(), "why": why.strip(), "ruleset_id": pack.id,
                "ruleset_sha256": pack.sha256, "from": str(first), "to": str(last),
                "at": audit.stamp(now)})
            found, out.notes = targets(conn, engine, first, last)
            for period, stage in found:
                for item in list(recompute(conn, engine, period, stage, known=known)):
                    _store(conn, engine, item, stage, out, now)
    except BaseException as exc:
        try:
            storage.finish_run(run_id, outcome=run_outcome(exc), exit_code=exit_code(exc),
                               error_message=str(exc))
        except RrrError:
            pass  # the store failing must not hide what stopped the run
        raise
    code = partial_or(EXIT_OK, computed=len(out.written) + out.unchanged,
                      failed=len(out.not_evaluated))
    storage.finish_run(run_id, outcome="ok" if code == EXIT_OK else "partial", exit_code=code,
                       summary=out.as_dict())
    return out


def _store(conn: Any, engine: Engine, item: Recomputed, stage: str, out: Reevaluation,
           now: dt.datetime) -> None:
    if item.new is None:
        out.not_evaluated.append(item)
        return
    if not item.moved:
        out.unchanged += 1
        return
    assert out.as_of is not None
    number = store_evaluated(conn, engine, item.new, stage, as_of=out.as_of, run_id=out.run_id,
                             now=now)
    if number is None:  # cannot happen (moved from the latest version); counted, not stored
        out.unchanged += 1
        return
    out.written.append((item, number))
    inst, period = item.stored.institution_id, item.stored.maintenance_period
    submitted = submitted_version(conn, inst, period, stage)
    if submitted is not None:
        out.restated.append((stored_version(conn, inst, period, stage, submitted),
                             stored_version(conn, inst, period, stage, number)))
