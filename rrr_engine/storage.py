"""The results database: connecting by URL, migrating, one transaction per unit of work,
the run log, and a canonical dump.

:class:`Storage` owns one SQLAlchemy engine. SQLite (the default, a file such as
``out/rrr.sqlite``) and PostgreSQL run the same code. Every write happens inside
:meth:`Storage.transaction`, which on SQLite starts with ``BEGIN IMMEDIATE`` (pysqlite
otherwise delays ``BEGIN`` until the first write, so a transaction's reads and writes would
not be one unit) and on PostgreSQL takes a transaction-scoped advisory lock, so two jobs
writing the same store queue instead of racing for the next result version.
Snapshot and result rows are read and written by :mod:`rrr_engine.snapshots` and
:mod:`rrr_engine.resultstore`; the run manifests (``rrr_runs``) are written here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select, text, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from . import schema
from .canonical import canonical_json
from .errors import StorageError
from .migrations import migrate
from .redact import mask_url, resolve, scrub, secrets_in
from .safe_files import create_private

__all__ = ["DEFAULT_DB_NAME", "Storage", "default_url", "display_url"]

DEFAULT_DB_NAME = "rrr.sqlite"

# Arbitrary constant naming "the rrr-engine writer" for pg_advisory_xact_lock.
_PG_LOCK_KEY = 0x525252_4E49


def default_url(out_dir: str | Path) -> str:
    """The default store: a SQLite file in the output directory."""
    return f"sqlite:///{Path(out_dir) / DEFAULT_DB_NAME}"


def display_url(url: str | URL) -> str:
    """A URL fit for messages and logs: its password, whole, and secret query values hidden
    (:func:`rrr_engine.redact.mask_url`)."""
    return mask_url(url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url))


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, decide when a transaction begins (and make it IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Storage:
    """One results database. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = display_url(engine.url)
        self._secrets = secrets_in([engine.url.render_as_string(hide_password=False)])

    @classmethod
    def open(cls, url: str) -> Storage:
        """Connect to ``url`` and bring its schema up to date.

        :param url: any SQLAlchemy URL, or ``env:NAME`` / ``file:PATH`` holding one
            (:func:`rrr_engine.redact.resolve`); a SQLite file (and its directory) is created
            when missing, owner-only (:mod:`rrr_engine.safe_files`).
        """
        url = resolve(url, what="--db")
        shown = display_url(url)
        try:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                # created owner-only before SQLite opens it; its -journal/-wal copy the mode
                create_private(Path(parsed.database))
            engine = create_engine(parsed)
        except (ArgumentError, NoSuchModuleError, ValueError) as exc:
            raise StorageError(f"cannot use database URL {shown}: "
                               f"{scrub(str(exc), secrets_in([url]))}") from None
        except OSError as exc:
            raise StorageError(f"cannot create the database file {shown}: {exc.strerror}") from None
        if engine.dialect.name == "sqlite":
            _sqlite_transactions(engine)
        store = cls(engine)
        try:
            with store.transaction() as conn:
                migrate(conn)
        except StorageError:
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
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                yield conn
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            reason = scrub(reason, self._secrets)  # a driver may quote the URL it was given
            raise StorageError(f"database {self.url}: {exc.__class__.__name__}: {reason}") from None

    # -- run manifests -----------------------------------------------------------------

    def start_run(self, *, command: str, engine_version: str, ruleset: Mapping[str, str],
                  sources: Mapping[str, Any], date_from: dt.date | None,
                  date_to: dt.date | None, mode: str | None = None,
                  ruleset_approval: str | None = None) -> str:
        """Record that a run started (its own transaction); return the new run id.

        :param mode: ``production`` or ``demo`` (:mod:`rrr_engine.governance`).
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
    return dt.datetime.now(dt.timezone.utc)
