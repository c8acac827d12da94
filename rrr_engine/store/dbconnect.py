"""Opening a database by URL without side effects, and saying what its failures mean.

Two things every database the engine touches needs (the results database, a core-banking
source read by a plugin):

* A SQLite URL naming a file that does not exist must not create it: a mistyped path would
  otherwise yield an empty database and a confident wrong answer. :func:`existing_sqlite`
  rewrites such a URL so SQLite opens the file only if it is there (``mode=rw`` or ``ro``).
* A driver error is translated into the exception tree by what it means, not where it came
  from (:func:`translate`): a server that is down or refuses the login, or a lock not granted
  in time, is a :class:`~rrr_engine.errors.TemporaryFailure` (exit 75, retry later); a
  database or a table that does not exist, or a URL that cannot be parsed, is bad input
  (exit 2). SQLSTATE codes are read from psycopg 3 (``sqlstate``) and psycopg2 (``pgcode``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from rrr_engine.errors import (
    DatabaseUnavailable,
    InputError,
    LockTimeout,
    RrrError,
    SourceUnavailable,
    StorageError,
)
from rrr_engine.redact import scrub

__all__ = ["existing_sqlite", "kind_of", "reason", "sqlite_file", "translate"]

# SQLSTATE classes and codes (PostgreSQL Appendix A)
_UNREACHABLE = ("08", "57P01", "57P02", "57P03", "53300", "28000", "28P01")
_LOCKED = ("55P03", "57014")  # lock_not_available; query_canceled (a statement timeout)
_NO_DATABASE = ("3D000",)
_NO_OBJECT = ("42P01", "42703", "3F000")  # undefined table, column, schema

# what drivers say when there is no SQLSTATE (connection failures, SQLite)
_UNREACHABLE_TEXT = ("connection refused", "could not connect", "could not translate host",
                     "timeout expired", "connection timed out", "server closed the connection",
                     "password authentication failed", "no password supplied",
                     "name or service not known", "no route to host", "connection failed",
                     "the database system is starting up", "the database system is shutting down")
_LOCKED_TEXT = ("database is locked", "database table is locked", "lock timeout")
_NO_OBJECT_TEXT = ("no such table", "no such column")


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL names, or None (not SQLite, or an in-memory database)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") in ("true", "1"):
        return None  # already a URI: the caller chose its mode
    return Path(url.database)


def existing_sqlite(url: URL, *, read_only: bool = False) -> URL:
    """``url`` opening its SQLite file only if it exists (read-only if asked); other URLs as
    they are."""
    path = sqlite_file(url)
    if path is None:
        return url
    # a URI filename: characters with a meaning in URIs (?, #, %) are escaped
    return url.set(database=f"file:{quote(str(path.absolute()))}",
                   query={**url.query, "mode": "ro" if read_only else "rw", "uri": "true"})


def _sqlstate(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")


def reason(exc: BaseException) -> str:
    """The driver's first line (``FATAL:`` prefixes and the like kept: they are the message)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def kind_of(exc: BaseException) -> str:
    """``unreachable``, ``locked``, ``no_database``, ``no_object`` or ``other``."""
    state, text = _sqlstate(exc), reason(exc).lower()
    if state in _LOCKED or any(t in text for t in _LOCKED_TEXT):
        return "locked"
    if state in _NO_DATABASE or ("database" in text and "does not exist" in text):
        return "no_database"
    if state in _NO_OBJECT or any(t in text for t in _NO_OBJECT_TEXT):
        return "no_object"
    if (state.startswith("08") or state in _UNREACHABLE or any(t in text for t in _UNREACHABLE_TEXT)
            or (isinstance(exc, DBAPIError) and exc.connection_invalidated)):
        return "unreachable"
    if not state and isinstance(exc, OperationalError) and "unable to open database file" in text:
        return "no_database"
    return "other"


def translate(exc: SQLAlchemyError, *, shown: str, role: str = "results",
              secrets: Iterable[str] = ()) -> RrrError:
    """The engine's error for ``exc`` raised by database ``shown`` (password hidden).

    :param role: ``results`` for the results database, ``source`` for a host's data source.
    :param secrets: strings never shown (a driver may quote the URL it was given).
    """
    kind, why = kind_of(exc), scrub(reason(exc), secrets)
    what = "database" if role == "results" else "source database"
    if kind == "locked":
        if role == "results":
            return LockTimeout(f"{what} {shown} is locked by another run and the lock was not "
                               f"granted in time ({why})",
                               retry="retry when the other run has finished, or raise "
                                     "--lock-timeout (RRR_LOCK_TIMEOUT)")
        return SourceUnavailable(f"{what} {shown} is locked ({why})", retry="retry later")
    if kind == "unreachable":
        cls = DatabaseUnavailable if role == "results" else SourceUnavailable
        return cls(f"{what} {shown} cannot be reached or refuses the login ({why})",
                   retry="retry when the server is up; check the host, port, user and password")
    if kind == "no_database":
        return StorageError(f"no {what} at {shown} ({why})") if role == "results" else \
            InputError(f"no {what} at {shown} ({why})", field="corebank_url")
    if role == "results":
        return StorageError(f"{what} {shown}: {exc.__class__.__name__}: {why}")
    return InputError(f"{what} {shown} refused a query ({why})", field="corebank_mapping")
