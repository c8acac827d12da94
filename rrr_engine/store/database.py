"""The results database: connecting by URL, migrating, one transaction per unit of work,
the run log, and a canonical dump.

:class:`Storage` owns one SQLAlchemy engine. SQLite (the default, a file such as
``out/rrr.sqlite``) and PostgreSQL run the same code. Every write happens inside
:meth:`Storage.transaction`, which on SQLite starts with ``BEGIN IMMEDIATE`` (pysqlite
otherwise delays ``BEGIN`` until the first write, so a transaction's reads and writes would
not be one unit) and on PostgreSQL takes a transaction-scoped advisory lock, so two jobs
writing the same store queue instead of racing for the next result version. Waiting for
that lock is bounded (``lock_timeout`` seconds, default :data:`DEFAULT_LOCK_TIMEOUT` or
``RRR_LOCK_TIMEOUT``): SQLite's busy timeout, PostgreSQL's ``lock_timeout``; past it the run
stops with :class:`~rrr_engine.errors.LockTimeout` (exit 75).

A command that only reads opens the store with ``read_only=True``: a database that does not
exist is refused ("no results database at ...") instead of being created, and transactions
cannot write (SQLite ``query_only``; PostgreSQL ``READ ONLY``, ``REPEATABLE READ`` so that all
reads see one state, without waiting for a writer). An existing store on an older schema is
still migrated first. ``create=False`` refuses a missing database but lets the command write.
Snapshot and result rows are read and written by :mod:`rrr_engine.store.snapshots` and
:mod:`rrr_engine.store.results`; the run manifests (``rrr_runs``) are written here.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from rrr_engine.canonical import canonical_json
from rrr_engine.errors import InputError, StorageError
from rrr_engine.redact import mask_url, resolve, scrub, secrets_in
from rrr_engine.safe_files import create_private
from rrr_engine.store import schema
from rrr_engine.store.dbconnect import existing_sqlite, sqlite_file, translate
from rrr_engine.store.migrations import MIGRATIONS, SCHEMA_VERSION, current_version, migrate

__all__ = ["DEFAULT_DB_NAME", "DEFAULT_LOCK_TIMEOUT", "LOCK_TIMEOUT_ENV", "Storage",
           "default_url", "display_url", "lock_timeout_seconds", "url_problem"]

DEFAULT_DB_NAME = "rrr.sqlite"
DEFAULT_LOCK_TIMEOUT = 60.0  # seconds a run waits for another writer before giving up
LOCK_TIMEOUT_ENV = "RRR_LOCK_TIMEOUT"


def lock_timeout_seconds(value: float | str | None = None) -> float:
    """Seconds to wait for the write lock: ``value``, else ``RRR_LOCK_TIMEOUT``, else 60."""
    where = "--lock-timeout"
    if value is None:
        value, where = os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_LOCK_TIMEOUT, LOCK_TIMEOUT_ENV
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"{value!r} is not a number of seconds above 0", field=where)
    return seconds

# Arbitrary constant naming "the rrr-engine writer" for pg_advisory_xact_lock.
_PG_LOCK_KEY = 0x525252_4E49


def default_url(out_dir: str | Path) -> str:
    """The default store: a SQLite file in the output directory."""
    return f"sqlite:///{Path(out_dir) / DEFAULT_DB_NAME}"


def display_url(url: str | URL) -> str:
    """A URL fit for messages and logs: its password, whole, and secret query values hidden
    (:func:`rrr_engine.redact.mask_url`)."""
    return mask_url(url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url))


def url_problem(exc: Exception) -> str:
    """SQLAlchemy's reason a URL is unusable, in words (its port parse error is Python's)."""
    text = str(exc)
    return "its port is not a number" if "invalid literal for int()" in text else text


def _sqlite_transactions(engine: Engine, store: Storage) -> None:
    """Let SQLAlchemy, not pysqlite, decide when a transaction begins (and make it IMMEDIATE,
    or a read-only deferred one for a store opened read-only)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"PRAGMA query_only = {int(store.read_only)}")
        conn.exec_driver_sql("BEGIN" if store.read_only else "BEGIN IMMEDIATE")


class Storage:
    """One results database. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, engine: Engine, *, shown: str | None = None, read_only: bool = False,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.engine = engine
        self.url = shown or display_url(engine.url)
        self._secrets = secrets_in([engine.url.render_as_string(hide_password=False)])
        self.read_only = read_only
        self.lock_timeout = lock_timeout

    @classmethod
    def open(cls, url: str, *, create: bool = True, read_only: bool = False,
             lock_timeout: float | None = None) -> Storage:
        """Connect to ``url`` and bring its schema up to date.

        :param url: any SQLAlchemy URL, or ``env:NAME`` / ``file:PATH`` holding one
            (:func:`rrr_engine.redact.resolve`); a SQLite file (and its directory) is created
            owner-only (:mod:`rrr_engine.safe_files`) when ``create`` allows it.
        :param create: create the database when it does not exist (a SQLite file, or the
            tables in an empty PostgreSQL database); if False, refuse it.
        :param read_only: a reading command: never create, never write (implies
            ``create=False``).
        :param lock_timeout: seconds to wait for another writer (default:
            :func:`lock_timeout_seconds`).
        """
        url = resolve(url, what="--db")
        shown = display_url(url)
        wait = lock_timeout_seconds(lock_timeout)
        create = create and not read_only
        try:
            parsed = make_url(url)
            path = sqlite_file(parsed)
            if path is not None and not create:
                if not path.is_file():
                    raise StorageError(f"no results database at {shown} (check --db; the "
                                       "nightly job creates it)", field="--db")
                parsed = existing_sqlite(parsed)  # never created, even if removed meanwhile
            elif path is not None:
                # created owner-only before SQLite opens it; its -journal/-wal copy the mode
                create_private(path)
            args: dict[str, Any] = {}
            if parsed.get_backend_name() == "sqlite":
                args = {"timeout": wait}
            elif parsed.get_backend_name() == "postgresql":
                args = {"connect_timeout": max(2, math.ceil(min(wait, 30)))}
            engine = create_engine(parsed, connect_args=args)
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise StorageError(f"cannot use database URL {shown}: "
                               f"{scrub(url_problem(exc), secrets_in([url]))}",
                               field="--db") from None
        except OSError as exc:
            raise StorageError(f"cannot create the database file {shown}: {exc.strerror}") from None
        store = cls(engine, shown=shown, read_only=read_only, lock_timeout=wait)
        if engine.dialect.name == "sqlite":
            _sqlite_transactions(engine, store)
        try:
            with store.transaction() as conn:
                if not create and not inspect(conn).has_table(SCHEMA_VERSION.name):
                    raise StorageError(f"no results database at {shown}: it has no rrr-engine "
                                       "tables (check --db; the nightly job creates them)",
                                       field="--db")
                behind = read_only and current_version(conn) < len(MIGRATIONS)
                if not read_only:
                    migrate(conn)
            if behind:  # an existing store on an older schema is upgraded first
                store.read_only = False
                with store.transaction() as conn:
                    migrate(conn)
                store.read_only = True
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit: committed when the block ends, rolled back if it raises."""
        try:
            with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    if self.read_only:  # one consistent state, no waiting for writers
                        conn.exec_driver_sql(
                            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    else:
                        conn.exec_driver_sql(
                            f"SET LOCAL lock_timeout = {max(1, round(self.lock_timeout * 1000))}")
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                yield conn
        except SQLAlchemyError as exc:
            # scrubbed: a driver may quote the URL it was given, password and all
            raise translate(exc, shown=self.url, secrets=self._secrets) from None

    # -- run manifests -----------------------------------------------------------------

    def start_run(self, *, command: str, engine_version: str, ruleset: Mapping[str, str],
                  sources: Mapping[str, Any], date_from: dt.date | None,
                  date_to: dt.date | None, mode: str | None = None,
                  ruleset_approval: str | None = None) -> str:
        """Record that a run started (its own transaction); return the new run id.

        :param mode: ``production`` or ``demo`` (:mod:`rrr_engine.governance.approvals`).
        :param ruleset_approval: the pack version's state: approved, superseded, proposed, ...
        """
        run_id = str(uuid.uuid4())
        with self.transaction() as conn:
            conn.execute(schema.RUNS.insert().values(
                run_id=run_id, command=command, started_at=_now(),
                engine_version=engine_version, ruleset_id=ruleset["id"],
                ruleset_label=ruleset["label"], ruleset_sha256=ruleset["sha256"],
                sources_json=canonical_json(dict(sources)), date_from=date_from,
                date_to=date_to, mode=mode, ruleset_approval=ruleset_approval))
        return run_id

    def finish_run(self, run_id: str, *, outcome: str, exit_code: int,
                   error_message: str | None = None, input_fingerprint: str | None = None,
                   summary: Mapping[str, Any] | None = None) -> None:
        """Record how a run ended. A run killed outright keeps ``outcome`` NULL."""
        with self.transaction() as conn:
            conn.execute(update(schema.RUNS).where(schema.RUNS.c.run_id == run_id).values(
                finished_at=_now(), outcome=outcome, exit_code=exit_code,
                error_message=error_message, input_fingerprint=input_fingerprint,
                summary_json=None if summary is None else canonical_json(dict(summary))))

    def runs(self) -> list[dict[str, Any]]:
        """Every run manifest, oldest first."""
        with self.transaction() as conn:
            rows = conn.execute(select(schema.RUNS).order_by(schema.RUNS.c.started_at))
            return [dict(r._mapping) for r in rows]

    # -- canonical dump ------------------------------------------------------------------

    def dump(self) -> str:
        """Every stored snapshot and result as canonical text, one row per line.

        Leaves out what legitimately differs between an interrupted-and-resumed run and an
        uninterrupted one: the run log, run ids and creation times.
        """
        skip = {"run_id", "created_at"}
        out: list[str] = []
        with self.transaction() as conn:
            for table in schema.METADATA.sorted_tables:
                if table is schema.RUNS:
                    continue
                cols = [c for c in table.columns if c.name not in skip]
                order = [c for c in table.primary_key.columns]
                for row in conn.execute(select(*cols).order_by(*order)):
                    out.append(f"{table.name} {canonical_json(dict(row._mapping))}")
        return "".join(f"{line}\n" for line in out)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
