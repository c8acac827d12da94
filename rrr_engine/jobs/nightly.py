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

Before anything is written the pack's approval is checked (:mod:`rrr_engine.governance.approvals`):
in production mode an unapproved pack is refused; otherwise its state goes into the run manifest. A
result that supersedes a submitted one is a restatement, listed in the summary.

Progress is logged to the ``rrr_engine.jobs.nightly`` logger: the run's start and end, one line
per date and stage once committed (``2025-10-01 requirement 2025-10: 3 stored, 0
unchanged``), one per institution error entry, the reports written, and each warning as it
arises; the JSON log format carries ``date``, ``stage``, ``period`` and ``institution`` as
fields.

One institution's bad input never stops the others. Its rows of a date that are bad (an
unknown category, a negative amount, a float, an unknown institution, ...) are refused and
recorded as a gap of that date (``rrr_snapshot_gaps``) while every other institution's rows
are stored; a stage it cannot be evaluated for (bad rows in the stage's window, an unknown
class, a proposed ratio below its floor, no holdings, ...) gives it an error entry while the
others are stored. The entries are in the run manifest and the summary (exit 4). Re-running
the date after the source is fixed adds the missing institution's rows to the stored date
(not a restatement: no stored figure changes) and evaluates only what it lacks, leaving the
snapshots and results exactly as an uninterrupted run would have.

A working day for which the source gives no balances at all stops the job before anything of
that date is stored (the source may not have loaded it yet), unless the host says the day is
empty on purpose: the balance hook returns :class:`~rrr_engine.models.EmptyDay`, or the
source option ``empty_days`` lists the date.

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

from sqlalchemy import Connection

from rrr_engine import __version__
from rrr_engine.canonical import fingerprint
from rrr_engine.core.batch import InstitutionError
from rrr_engine.engine import Engine
from rrr_engine.errors import InputError, MissingDataError, RrrError, SnapshotConflict
from rrr_engine.exits import EXIT_OK, EXIT_SHORTFALL, exit_code, partial_or, run_outcome
from rrr_engine.governance.approvals import Approval, check_run
from rrr_engine.governance.submissions import restatements
from rrr_engine.jobs.daysource import FetchedDay, fetch_day
from rrr_engine.jobs.stages import StageOutcome, evaluate_stage, window
from rrr_engine.models import ID_LENGTH
from rrr_engine.redact import mask_options, resolve_options
from rrr_engine.store.database import Storage
from rrr_engine.store.results import (
    StoredResult,
    institution_fingerprints,
    latest,
    results_as_of,
    stored_keys,
    version,
)
from rrr_engine.store.snapshots import (
    DaySnapshot,
    complete_day,
    delete_day,
    read_day,
    read_gaps,
    write_day,
    write_gaps,
)

__all__ = ["DayOutcome", "KillSwitch", "NightlyJob", "NightlySummary"]

KILL_ENV = "RRR_TEST_KILL_AFTER"
EMPTY_DAYS = "empty_days"  # source option: dates with no balances on purpose, comma-separated

log = logging.getLogger("rrr_engine.nightly")  # a stable name for log filters


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
    snapshot: str  # new | unchanged | restated | completed
    rows: int
    stages: list[StageOutcome] = field(default_factory=list)
    fingerprint: str = ""
    warnings: list[str] = field(default_factory=list)
    refused: list[InstitutionError] = field(default_factory=list)  # rows of this date
    completed: list[str] = field(default_factory=list)  # institutions added to a stored date

    @property
    def errors(self) -> list[InstitutionError]:
        return [*self.refused, *(e for s in self.stages for e in s.errors)]

    @property
    def written(self) -> list[tuple[str, str, str, int]]:
        """Result keys this date's run stored: (institution, period, stage, version)."""
        return [(inst, str(s.period), s.stage, v) for s in self.stages for inst, v in s.written]


@dataclass
class NightlySummary:
    days: list[DayOutcome] = field(default_factory=list)
    shortfalls: list[StoredResult] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    rows_written: int = 0
    approval: Approval | None = None
    restated: list[tuple[StoredResult, StoredResult]] = field(default_factory=list)
    institutions: frozenset[str] = frozenset()

    @property
    def input_fingerprint(self) -> str:
        return fingerprint([[d.day, d.fingerprint] for d in self.days])

    @property
    def errors(self) -> list[InstitutionError]:
        """Every institution's error entries, each told once (a stage still lacking an
        institution is due again every date, with the same entry)."""
        seen: dict[tuple, InstitutionError] = {}
        for d in self.days:
            for e in d.errors:
                seen.setdefault((e.institution_id, e.period, e.stage, e.business_date,
                                 e.message), e)
        return list(seen.values())

    @property
    def exit_code(self) -> int:
        """0 done, 3 a shortfall, 4 some institutions failed (over 3), 2 all of them did."""
        failed = {e.institution_id for e in self.errors}
        done = EXIT_SHORTFALL if self.shortfalls else EXIT_OK
        return partial_or(done, computed=len(self.institutions - failed), failed=len(failed))

    @property
    def outcome(self) -> str:
        return {EXIT_OK: "ok", EXIT_SHORTFALL: "shortfall"}.get(self.exit_code, "partial")

    def as_dict(self) -> dict[str, Any]:
        count = lambda s: sum(d.snapshot == s for d in self.days)  # noqa: E731
        return {"dates": len(self.days), "new": count("new"), "unchanged": count("unchanged"),
                "restated": count("restated"), "completed": count("completed"),
                "results_written": sum(len(s.written) for d in self.days for s in d.stages),
                "rows_written": self.rows_written,
                "shortfalls": [list(r.key) for r in self.shortfalls],
                "restatements": [[*new.key, old.result_version] for old, new in self.restated],
                "errors": [e.to_dict() for e in self.errors],
                "warnings": list(dict.fromkeys(w for d in self.days for w in d.warnings)),
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
        self.options = dict(resolve_options(sources))
        self.reports_dir = reports_dir
        self.kill = kill or KillSwitch()
        self.institutions = engine.hooks.institutions(self.options)
        self._ids = {i.id for i in self.institutions}
        self._fingerprints = [(i, fingerprint(i)) for i in self.institutions]
        self.empty_days = _empty_days(self.options.get(EMPTY_DAYS))

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
        summary = NightlySummary(approval=approval, institutions=frozenset(self._ids))
        self.summary = summary  # what is done so far, for a caller whose run then fails
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
                summary.reports.extend(self._after_commit(day, run_id, approval.state,
                                                          outcome.written))
                on_day(outcome)
            written = [k for d in summary.days for k in d.written]
            summary.shortfalls = self.shortfalls(dates, written)
            with self.storage.transaction() as conn:
                summary.restated = restatements(conn, as_of=dates)
        except BaseException as exc:
            summary.rows_written = self.kill.count
            done = summary.days[-1].day if summary.days else None
            if isinstance(exc, RrrError):
                # one line for the officer: which date failed and what is already safe
                stored = f" (dates up to {done} are stored)" if done else ""
                exc.message = f"nightly stopped at {day or 'the start'}{stored}: {exc.message}"
            log.error("run %s stopped at %s: %s", run_id, day or "the start", run_outcome(exc),
                      extra={"fields": {"run_id": run_id, "date": day}})
            try:
                self.storage.finish_run(run_id, outcome=run_outcome(exc), exit_code=exit_code(exc),
                                        error_message=str(exc),
                                        input_fingerprint=summary.input_fingerprint,
                                        summary=summary.as_dict())
            except RrrError:
                pass  # the store itself failing must not hide what stopped the run
            raise
        summary.rows_written = self.kill.count
        d = summary.as_dict()
        log.info("run %s finished: %d date(s), %d result version(s) stored, %d shortfall(s), "
                 "%d restatement(s), %d institution error(s); outcome %s", run_id, d["dates"],
                 d["results_written"], len(summary.shortfalls), len(summary.restated),
                 len(summary.errors), summary.outcome,
                 extra={"fields": {"run_id": run_id, "outcome": summary.outcome}})
        self.storage.finish_run(run_id, outcome=summary.outcome, exit_code=summary.exit_code,
                                input_fingerprint=summary.input_fingerprint,
                                summary=summary.as_dict())
        return summary

    def process(self, day: dt.date, *, run_id: str) -> DayOutcome:
        """Snapshot ``day`` and evaluate what is due, in one transaction."""
        fetched = fetch_day(self.engine.hooks, self.engine.pack, self.options, self._ids, day)
        working = self.engine.pack.calendar.is_working_day(day)
        on_purpose = fetched.empty_reason or ("listed in the source option " + EMPTY_DAYS
                                              if day in self.empty_days else None)
        if not fetched.balance_rows and working and not on_purpose:
            raise MissingDataError(
                f"{day} is a working day and the source gave no balances for it; nothing of "
                f"{day} is stored. If the source has not loaded the day yet, run it again "
                f"later; if the day has no balances on purpose, say so (--source "
                f"{EMPTY_DAYS}={day}, or return EmptyDay from rrr_daily_balances)",
                field="balances", period=str(day))
        with self.storage.transaction() as conn:
            now = dt.datetime.now(dt.UTC)
            status, added = self._store(conn, fetched, run_id=run_id, now=now)
            snap = fetched.snapshot
            outcome = DayOutcome(day, status, len(snap.balances), fingerprint=snap.fingerprint,
                                 refused=list(fetched.refused.values()), completed=sorted(added))
            if not fetched.balance_rows and working:
                outcome.warnings.append(f"{day} is a working day without balances, on purpose "
                                        f"({on_purpose})")
                log.warning("%s", outcome.warnings[-1], extra={"fields": {"date": day}})
            for period, stage, only in self._due(conn, day, status=status, added=added):
                outcome.stages.append(evaluate_stage(
                    conn, self.engine, self.institutions, period, stage, as_of=day,
                    run_id=run_id, now=now, tick=self.kill.tick, only=only))
        _log_day(outcome)  # committed
        return outcome

    def _store(self, conn: Any, fetched: FetchedDay, *, run_id: str,
               now: dt.datetime) -> tuple[str, set[str]]:
        """Store the day: (new | unchanged | restated | completed, institutions added)."""
        snap, refused = fetched.snapshot, fetched.refused
        # a gap is kept only for an id that can be stored and could be evaluated one day
        gaps_to_write = {i: e for i, e in refused.items()
                         if i.isprintable() and len(i) <= ID_LENGTH}
        stored = read_day(conn, snap.day)
        if stored is None:
            write_day(conn, snap, revision=1, run_id=run_id, now=now, tick=self.kill.tick)
            write_gaps(conn, snap.day, gaps_to_write, run_id=run_id, now=now)
            return "new", set()
        gaps = {g.institution_id for g in read_gaps(conn, snap.day, snap.day)}
        have = stored.snapshot.institutions()
        fillable = set(gaps)
        if not stored.snapshot.balances and not self.engine.pack.calendar.is_working_day(snap.day):
            # a non-working day stored with no balances (e.g. a backfill started before the
            # source had data): rows the source now has for it are added, not refused
            fillable |= snap.institutions() - have
        keep = lambda i: i not in fillable and i not in refused  # noqa: E731
        if stored.snapshot.only(keep).fingerprint != snap.only(keep).fingerprint:
            if not self.restate:
                raise SnapshotConflict(
                    f"{snap.day} is already stored with different figures "
                    f"({_difference(stored.snapshot.only(keep), snap.only(keep))}); re-run with "
                    "--restate to replace them (the replaced figures are kept in the "
                    "restatement log)", period=str(snap.day))
            delete_day(conn, stored, run_id=run_id, now=now)
            write_day(conn, snap, revision=stored.revision + 1, run_id=run_id, now=now,
                      tick=self.kill.tick)
            write_gaps(conn, snap.day, gaps_to_write, run_id=run_id, now=now)
            return "restated", set()
        # the stored institutions read as stored; newly refused ones without rows get a gap
        write_gaps(conn, snap.day, {i: e for i, e in gaps_to_write.items()
                                    if i not in gaps and i not in have}, run_id=run_id, now=now)
        added = snap.only(lambda i: i in fillable and i not in refused)
        resolved = gaps - set(refused)
        if not added.institutions() and not resolved:
            return "unchanged", set()
        complete_day(conn, stored, added, resolved, tick=self.kill.tick)
        return "completed", added.institutions() | resolved

    def _due(self, conn: Any, day: dt.date, *, status: str,
             added: set[str]) -> list[tuple[Any, str, set[str] | None]]:
        """What ``day``'s run evaluates: (period, stage, institutions or None for all).

        The requirement of the period containing ``day`` and the close of the last period
        that ended before it, for the institutions that lack a result for them or whose
        record (class, events) changed since; when ``day``'s snapshot is new or restated,
        every stored stage that reads ``day``, for everyone; when it was completed, those
        stages for the institutions added. Nothing else could change a result.
        """
        periods = self.engine.pack.periods
        candidates = [(periods.containing(day), "requirement"),
                      (_last_ended(periods, day), "close")]
        due: dict[tuple[Any, str], set[str] | None] = {}

        def add(key: tuple[Any, str], ids: set[str] | None) -> None:
            if ids is None or (key in due and due[key] is None):
                due[key] = None  # everyone
            else:
                due[key] = (due.get(key) or set()) | ids

        for period, stage in candidates:
            if period is None:
                continue  # a calendar pack's day outside every listed period
            stored = institution_fingerprints(conn, str(period), stage)
            lacking = {i.id for i, fp in self._fingerprints if stored.get(i.id) != fp}
            if lacking:
                add((period, stage), lacking if stored else None)
        if status in ("new", "restated", "completed"):
            for name, stage in stored_keys(conn):
                win = window(self.engine, name, stage)
                if win.reads(day):
                    add((win.period, stage), None if status != "completed" else set(added))
        # oldest period first, requirement before close: a deterministic order of writes
        return sorted(((p, s, ids) for (p, s), ids in due.items()),
                      key=lambda pst: (pst[0].first, pst[1] != "requirement"))

    def _after_commit(self, day: dt.date, run_id: str, approval: str,
                      written: Iterable[tuple[str, str, str, int]] = ()) -> list[Path]:
        """Reports and publication for the results ``day``'s run stored (idempotent)."""
        with self.storage.transaction() as conn:
            created = _with_written(conn, results_as_of(conn, [day]), written)
        if not created:
            return []
        self.engine.hooks.publish_results(self.options, [
            {**r.presented, "stage": r.stage, "result_version": r.result_version} for r in created])
        if self.reports_dir is None:
            return []
        from rrr_engine.reports.period import (
            write_period_reports,  # matplotlib/openpyxl only when reporting
        )
        written_paths: list[Path] = []
        for name in sorted({r.maintenance_period for r in created}):
            files = write_period_reports(self.storage, self.engine, name, self.reports_dir,
                                         run_id=run_id, approval=approval, options=self.options)
            log.info("%s reports %s: %d file(s) in %s", day, name, len(files),
                     files[0].parent if files else self.reports_dir,
                     extra={"fields": {"date": day, "stage": "reports", "period": name}})
            written_paths += files
        return written_paths

    def shortfalls(self, days: Iterable[dt.date],
                   written: Iterable[tuple[str, str, str, int]] = ()) -> list[StoredResult]:
        """Closes with a shortfall that these dates' runs stored and that are still current."""
        with self.storage.transaction() as conn:
            return [r for r in _with_written(conn, results_as_of(conn, days), written)
                    if r.stage == "close" and r.has_shortfall
                    and _current(conn, r)]


def _current(conn: Connection, stored: StoredResult) -> bool:
    """Whether ``stored`` is the latest version of its institution, period and stage."""
    found = latest(conn, stored.institution_id, stored.maintenance_period, stored.stage)
    return found is not None and found.key == stored.key


def _log_day(day: DayOutcome) -> None:
    """One line for the date's snapshot, one per stage evaluated, one per error entry."""
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
            failed = f", {len(s.errors)} error(s)" if s.errors else ""
            log.info("%s %s %s: %d stored, %d unchanged%s", day.day, s.stage, s.period,
                     len(s.written), len(s.unchanged), failed,
                     extra={"fields": {**fields, "stored": len(s.written),
                                       "unchanged": len(s.unchanged), "errors": len(s.errors)}})
    for e in day.errors:
        log.error("%s institution %s: %s", day.day, e.institution_id, e.line(),
                  extra={"fields": {"date": day.day, "institution": e.institution_id,
                                    "stage": e.stage, "period": e.period, "code": e.code}})


def _with_written(conn: Any, found: list[StoredResult],
                  written: Iterable[tuple[str, str, str, int]]) -> list[StoredResult]:
    """``found`` plus the versions a run wrote as of another date (an institution's first
    result completing a stage is stored as of the stage's first date), in storage order."""
    have = {r.key for r in found}
    extra = [version(conn, *key) for key in written if key not in have]
    out = found + [r for r in extra if r is not None]
    return sorted(out, key=lambda r: (r.maintenance_period, r.stage, r.institution_id,
                                      r.result_version))


def _empty_days(text: Any) -> set[dt.date]:
    """The ``empty_days`` source option: ISO dates separated by commas."""
    if not text:
        return set()
    days = set()
    for part in str(text).split(","):
        try:
            days.add(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise InputError(f"{part.strip()!r} is not a date; expected YYYY-MM-DD[,YYYY-MM-DD...]",
                             field=f"--source {EMPTY_DAYS}") from None
    return days


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

