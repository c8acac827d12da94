"""The nightly job: snapshot each business date, evaluate and close months, atomically per date.

For one date D in maintenance period P (a month, for Vietnam) the job (1) reads D from the
source hooks, outside any transaction; then, in ONE transaction, (2) stores D's snapshot -
unchanged figures write nothing, different figures for a stored date are refused unless
restating; (3) evaluates P's ``requirement`` (from the snapshots of its computation period:
for Vietnam the previous month, complete on P's first day) and the ``close`` of the period
before P (its requirement against its holdings, known only now that it is over), plus, when
D's snapshot is new or restated, every stored stage whose inputs include D; results are
stored only when they differ from the latest version; (4) commits. Only then are the reports
of the periods whose results D's run stored written (temporary file + rename), and the
results published.

Before anything is written the pack's approval is checked (:mod:`rrr_engine.governance`): in
production mode an unapproved pack is refused; otherwise its state goes into the run
manifest. A result that supersedes a submitted one is a restatement, listed in the summary.

Progress is logged to the ``rrr_engine.nightly`` logger: the run's start and end, one line
per date and stage once committed (``2025-10-01 requirement 2025-10: 3 stored, 0
unchanged``), the reports written, and each warning as it arises; the JSON log format carries
``date``, ``stage`` and ``period`` as fields.

A run killed anywhere loses at most the uncommitted date; re-running redoes it identically,
because the outcome depends only on the source and the stored state. ``RRR_TEST_KILL_AFTER=n``
(tests only) ends the process with ``os._exit(137)`` inside a transaction once n rows have
been written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .canonical import fingerprint
from .daysource import fetch_day
from .engine import Engine
from .errors import InputError, RrrError, SnapshotConflict, StorageError
from .governance import Approval, check_run
from .locked_periods import restatements
from .redact import mask_options, resolve_options
from .resultstore import (StoredResult, institution_fingerprints, latest, results_as_of,
                          stored_keys)
from .snapshots import DaySnapshot, delete_day, read_day, write_day
from .stages import StageOutcome, evaluate_stage, window
from .storage import Storage

__all__ = ["DayOutcome", "KillSwitch", "NightlyJob", "NightlySummary"]

KILL_ENV = "RRR_TEST_KILL_AFTER"

log = logging.getLogger(__name__)


class KillSwitch:
    """Test-only crash point: die without cleanup after ``after`` rows written in transactions."""

    def __init__(self, after: int | None = None) -> None:
        self.after, self.count = after, 0

    @classmethod
    def from_env(cls) -> KillSwitch:
        raw = os.environ.get(KILL_ENV)
        if not raw:
            return cls()
        if not raw.isdigit() or int(raw) < 1:
            raise InputError(f"{KILL_ENV}={raw!r}: expected a positive integer")
        return cls(int(raw))

    def tick(self, rows: int) -> None:
        self.count += rows  # counted even when disarmed: the run manifest reports it
        if self.after is not None and self.count >= self.after:
            os._exit(137)  # like SIGKILL: no rollback, no cleanup, no flush


@dataclass
class DayOutcome:
    day: dt.date
    snapshot: str  # new | unchanged | restated
    rows: int
    stages: list[StageOutcome] = field(default_factory=list)
    fingerprint: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class NightlySummary:
    days: list[DayOutcome] = field(default_factory=list)
    shortfalls: list[StoredResult] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    rows_written: int = 0
    approval: Approval | None = None
    restated: list[tuple[StoredResult, StoredResult]] = field(default_factory=list)

    @property
    def input_fingerprint(self) -> str:
        return fingerprint([[d.day, d.fingerprint] for d in self.days])

    def as_dict(self) -> dict[str, Any]:
        count = lambda s: sum(d.snapshot == s for d in self.days)  # noqa: E731
        return {"dates": len(self.days), "new": count("new"), "unchanged": count("unchanged"),
                "restated": count("restated"),
                "results_written": sum(len(s.written) for d in self.days for s in d.stages),
                "rows_written": self.rows_written,
                "shortfalls": [list(r.key) for r in self.shortfalls],
                "restatements": [[*new.key, old.result_version] for old, new in self.restated],
                "ruleset_approval": self.approval.state if self.approval else None,
                "reports": [str(p) for p in self.reports]}


class NightlyJob:
    """Runs the nightly steps for dates, against one engine, one store and one set of sources.

    :param sources: plugin options naming the sources (files, a core-banking URL, ...).
    :param restate: replace a stored date whose figures the source now reports differently.
    :param reports_dir: where period reports go (``None``: write no reports).
    :param production: refuse a pack that is not approved, whatever the store's setting.
    """

    def __init__(self, engine: Engine, storage: Storage, sources: Mapping[str, Any], *,
                 restate: bool = False, reports_dir: Path | None = None,
                 kill: KillSwitch | None = None, production: bool = False) -> None:
        self.engine, self.storage, self.restate = engine, storage, restate
        self.production = production
        self.shown_sources = mask_options(sources)  # for the run log: references, no secret
        self.options = engine.source_options(resolve_options(sources))
        self.reports_dir = reports_dir
        self.kill = kill or KillSwitch()
        self.institutions = engine.hooks.institutions(self.options)
        self._ids = {i.id for i in self.institutions}
        self._fingerprints = [(i, fingerprint(i)) for i in self.institutions]

    def run(self, dates: Iterable[dt.date], *, command: str = "nightly",
            on_day: Callable[[DayOutcome], None] = lambda d: None) -> NightlySummary:
        """Process ``dates`` in order, each committed on its own; record the run manifest."""
        dates = list(dates)
        pack = self.engine.pack
        with self.storage.transaction() as conn:  # refused in production: nothing written
            approval = check_run(conn, pack, production=self.production, command="nightly")
        run_id = self.storage.start_run(
            command=command, engine_version=__version__,
            ruleset={"id": pack.id, "label": pack.header.label, "sha256": pack.sha256},
            sources=self.shown_sources, date_from=min(dates, default=None),
            date_to=max(dates, default=None),
            mode="production" if approval.production else "demo",
            ruleset_approval=approval.state)
        summary = NightlySummary(approval=approval)
        span = f"{min(dates)}..{max(dates)}" if dates else "no dates"
        log.info("run %s started: %d date(s) %s, pack %s %s sha256 %s (%s)", run_id, len(dates),
                 span, pack.id, pack.header.label, pack.sha256, approval.state,
                 extra={"fields": {"run_id": run_id}})
        if not approval.current:
            log.warning("%s (demo mode ran it; production mode refuses it)", approval.detail)
        day: dt.date | None = None
        try:
            for day in dates:
                outcome = self.process(day, run_id=run_id)
                summary.days.append(outcome)
                summary.reports.extend(self._after_commit(day, run_id, approval.state))
                on_day(outcome)
            summary.shortfalls = self.shortfalls(dates)
            with self.storage.transaction() as conn:
                summary.restated = restatements(conn, as_of=dates)
        except BaseException as exc:
            summary.rows_written = self.kill.count
            done = summary.days[-1].day if summary.days else None
            if isinstance(exc, RrrError):
                # one line for the officer: which date failed and what is already safe
                exc.message = (f"nightly stopped at {day or 'the start'}"
                               f"{f' (dates up to {done} are stored)' if done else ''}: {exc.message}")
            outcome = ("error" if isinstance(exc, RrrError) else
                       "interrupted" if isinstance(exc, KeyboardInterrupt) else "internal_error")
            log.error("run %s stopped at %s: %s", run_id, day or "the start", outcome,
                      extra={"fields": {"run_id": run_id, "date": day}})
            try:
                self.storage.finish_run(run_id, outcome=outcome, exit_code=-1,
                                        error_message=str(exc),
                                        input_fingerprint=summary.input_fingerprint,
                                        summary=summary.as_dict())
            except StorageError:
                pass  # the store itself failing must not hide what stopped the run
            raise
        summary.rows_written = self.kill.count
        d = summary.as_dict()
        log.info("run %s finished: %d date(s), %d result version(s) stored, %d shortfall(s), "
                 "%d restatement(s)", run_id, d["dates"], d["results_written"],
                 len(summary.shortfalls), len(summary.restated),
                 extra={"fields": {"run_id": run_id}})
        self.storage.finish_run(run_id, outcome="shortfall" if summary.shortfalls else "ok",
                                exit_code=3 if summary.shortfalls else 0,
                                input_fingerprint=summary.input_fingerprint,
                                summary=summary.as_dict())
        return summary

    def process(self, day: dt.date, *, run_id: str) -> DayOutcome:
        """Snapshot ``day`` and evaluate what is due, in one transaction."""
        snap = fetch_day(self.engine.hooks, self.engine.pack, self.options, self._ids, day)
        with self.storage.transaction() as conn:
            now = dt.datetime.now(dt.timezone.utc)
            status = self._store(conn, snap, run_id=run_id, now=now)
            outcome = DayOutcome(day, status, len(snap.balances), fingerprint=snap.fingerprint)
            if not snap.balances and self.engine.pack.calendar.is_working_day(day):
                outcome.warnings.append(f"{day} is a working day but the source gave no balances")
                log.warning("%s", outcome.warnings[-1], extra={"fields": {"date": day}})
            for period, stage in self._due(conn, day, changed=status != "unchanged"):
                outcome.stages.append(evaluate_stage(
                    conn, self.engine, self.institutions, period, stage, as_of=day,
                    run_id=run_id, now=now, tick=self.kill.tick))
        _log_day(outcome)  # committed
        return outcome

    def _store(self, conn: Any, snap: DaySnapshot, *, run_id: str, now: dt.datetime) -> str:
        stored = read_day(conn, snap.day)
        if stored is not None and stored.fingerprint == snap.fingerprint:
            return "unchanged"
        if stored is not None and not self.restate:
            raise SnapshotConflict(
                f"{snap.day} is already stored with different figures "
                f"({_difference(stored.snapshot, snap)}); re-run with --restate to replace "
                "them (the replaced figures are kept in the restatement log)",
                period=str(snap.day))
        if stored is not None:
            delete_day(conn, stored, run_id=run_id, now=now)
        write_day(conn, snap, revision=1 if stored is None else stored.revision + 1,
                  run_id=run_id, now=now, tick=self.kill.tick)
        return "new" if stored is None else "restated"

    def _due(self, conn: Any, day: dt.date, *, changed: bool) -> list[tuple[Any, str]]:
        """What ``day``'s run evaluates.

        The requirement of the period containing ``day`` and the close of the last period
        that ended before it, while any institution lacks a result for them or its record
        (class, events) changed since; and, when ``day``'s snapshot is new or restated, every
        stored stage that reads ``day``. Nothing else could change a result.
        """
        periods = self.engine.pack.periods
        candidates = [(periods.containing(day), "requirement"), (_last_ended(periods, day), "close")]
        due = set()
        for period, stage in candidates:
            if period is None:
                continue  # a calendar pack's day outside every listed period
            stored = institution_fingerprints(conn, str(period), stage)
            if any(stored.get(i.id) != fp for i, fp in self._fingerprints):
                due.add((period, stage))
        if changed:
            for name, stage in stored_keys(conn):
                win = window(self.engine, name, stage)
                if win.reads(day):
                    due.add((win.period, stage))
        # oldest period first, requirement before close: a deterministic order of writes
        return sorted(due, key=lambda ps: (ps[0].first, ps[1] != "requirement"))

    def _after_commit(self, day: dt.date, run_id: str, approval: str) -> list[Path]:
        """Reports and publication for the results ``day``'s run stored (idempotent)."""
        with self.storage.transaction() as conn:
            created = results_as_of(conn, [day])
        if not created:
            return []
        self.engine.hooks.publish_results(self.options, [
            {**r.presented, "stage": r.stage, "result_version": r.result_version} for r in created])
        if self.reports_dir is None:
            return []
        from .reports import write_period_reports  # matplotlib/openpyxl only when reporting
        written: list[Path] = []
        for name in sorted({r.maintenance_period for r in created}):
            files = write_period_reports(self.storage, self.engine, name, self.reports_dir,
                                         run_id=run_id, approval=approval, options=self.options)
            log.info("%s reports %s: %d file(s) in %s", day, name, len(files),
                     files[0].parent if files else self.reports_dir,
                     extra={"fields": {"date": day, "stage": "reports", "period": name}})
            written += files
        return written

    def shortfalls(self, days: Iterable[dt.date]) -> list[StoredResult]:
        """Closes with a shortfall that these dates' runs stored and that are still current."""
        with self.storage.transaction() as conn:
            return [r for r in results_as_of(conn, days)
                    if r.stage == "close" and r.has_shortfall
                    and latest(conn, r.institution_id, r.maintenance_period, r.stage).key == r.key]


def _log_day(day: DayOutcome) -> None:
    """One line for the date's snapshot, one per stage evaluated."""
    log.info("%s snapshot %s: %d balance row(s)", day.day, day.snapshot, day.rows,
             extra={"fields": {"date": day.day, "stage": "snapshot", "status": day.snapshot,
                               "rows": day.rows}})
    for s in day.stages:
        fields = {"date": day.day, "stage": s.stage, "period": str(s.period)}
        if s.skipped:
            log.info("%s %s %s: %s", day.day, s.stage, s.period,
                     s.skipped.removeprefix(f"{s.stage} of {s.period} "),
                     extra={"fields": {**fields, "skipped": True}})
        else:
            log.info("%s %s %s: %d stored, %d unchanged", day.day, s.stage, s.period,
                     len(s.written), len(s.unchanged),
                     extra={"fields": {**fields, "stored": len(s.written),
                                       "unchanged": len(s.unchanged)}})


def _last_ended(periods: Any, day: dt.date) -> Any:
    """The latest maintenance period that ended before ``day`` (None if the pack has none)."""
    if periods.kind == "monthly":
        return periods.containing(day) - 1
    ended = [p for p in periods.periods if p.last < day]
    return max(ended) if ended else None


def _difference(old: DaySnapshot, new: DaySnapshot) -> str:
    """The first differing figure, for the conflict message."""
    a, b = old.canonical(), new.canonical()
    for part in ("balances", "fx_rates", "holdings"):
        if a[part] != b[part]:
            before = {tuple(r[:-1]): r[-1] for r in a[part] or []}
            after = {tuple(r[:-1]): r[-1] for r in b[part] or []}
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    return (f"{part} {' '.join(key)}: stored {before.get(key, 'nothing')}, "
                            f"source now {after.get(key, 'nothing')}")
            return f"{part}: the source now has {'no' if b[part] is None else 'a'} holdings source"
    return "figures differ"

