"""The pluggy hook implementations: the engine's view of a core-banking database.

It owns answering the source hooks when, and only when, the run's options name this
adapter's two settings, ``corebank_url`` (an SQLAlchemy URL) and ``corebank_mapping`` (the
mapping YAML); for any other options it returns ``None`` so the next plugin may answer. Each
call opens its own engine and disposes of it: no connection state, so two engines in one
process do not share a connection pool. The one thing kept between calls is the parsed
mapping, keyed by the file's path and content (a nightly backfill asks three hooks a day; a
changed file is parsed again). Registered through the ``rrr_engine`` entry point as
``corebank_sql = "rrr_corebank_sql.plugin"``.

The adapter only reads: a SQLite URL is opened read-only and never creates a file (a
mistyped path is refused, naming ``corebank_url``). A database that is down, refuses the login
or is locked is a :class:`~rrr_engine.errors.SourceUnavailable` (exit 75, retry later); a URL
that does not parse, or a mapping naming a table or column the database lacks, is bad input
naming the option or the mapping field (exit 2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from rrr_engine.errors import InputError
from rrr_engine.hooks.spec import hookimpl
from rrr_engine.models import BalanceRow, FxRate, HoldingRow
from rrr_engine.redact import secrets_in
from rrr_engine.rules.model import PackHeader
from rrr_engine.store.database import display_url, url_problem
from rrr_engine.store.dbconnect import existing_sqlite, kind_of, reason, sqlite_file, translate

from . import query
from .loader import load_mapping
from .mapping import Mapping as CorebankMapping
from .schema_check import missing_reference

__all__ = ["rrr_daily_balances", "rrr_fx_rates", "rrr_holdings"]

URL, MAPPING = "corebank_url", "corebank_mapping"


@hookimpl
def rrr_daily_balances(options: Mapping[str, Any], start: dt.date, end: dt.date,
                       vocabulary: PackHeader) -> list[BalanceRow] | None:
    """One set-based snapshot query per calendar day from ``start`` to ``end``; the mapping's
    categories must be the rule pack's (``vocabulary.categories``)."""
    with _source(options, tuple(vocabulary.categories)) as found:
        if found is None:
            return None
        connection, mapping = found
        snapshot = query.Snapshot(mapping)  # compiled once, run per day
        rows: list[BalanceRow] = []
        day = start
        while day <= end:
            rows.extend(snapshot.run(connection, day))
            day += dt.timedelta(days=1)
        return rows


@hookimpl
def rrr_fx_rates(options: Mapping[str, Any], start: dt.date,
                 end: dt.date) -> list[FxRate] | None:
    """Balance-sheet rates, if the mapping has an ``fx_rates`` section."""
    with _source(options) as found:
        if found is None or found[1].fx_rates is None:
            return None
        return query.fx_rates(found[0], found[1], start, end)


@hookimpl
def rrr_holdings(options: Mapping[str, Any], start: dt.date,
                 end: dt.date) -> list[HoldingRow] | None:
    """SBV payment-account balances, if the mapping has a ``holdings`` section."""
    with _source(options) as found:
        if found is None or found[1].holdings is None:
            return None
        return query.holdings(found[0], found[1], start, end)


@contextmanager
def _source(options: Mapping[str, Any], categories: tuple[str, ...] | None = None
            ) -> Iterator[tuple[sa.Connection, CorebankMapping] | None]:
    if not options.get(URL) or not options.get(MAPPING):
        yield None
        return
    mapping = _mapping(options[MAPPING], categories)
    engine = _engine(str(options[URL]))
    shown = display_url(str(options[URL]))
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # Every day of a month read from one consistent snapshot of the books.
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            yield connection, mapping
    except SQLAlchemyError as exc:
        if kind_of(exc) == "no_object":
            found = _missing(engine, mapping)
            if found is not None:
                raise InputError(found[1], file=options[MAPPING], field=found[0]) from None
            raise InputError(f"the core-banking database refused the mapping's query: "
                             f"{reason(exc)}", file=options[MAPPING]) from None
        raise translate(exc, shown=shown, role="source",
                        secrets=secrets_in([str(options[URL])])) from None
    finally:
        engine.dispose()


_PARSED: dict[tuple[str, bytes, tuple[str, ...] | None], CorebankMapping] = {}


_CACHED_SIZE = 1 << 20


def _mapping(path: Any, categories: tuple[str, ...] | None = None) -> CorebankMapping:
    """The mapping file parsed, once per content. Anything but a plain file of reasonable
    size (a FIFO, a device, a directory: reading it could block) goes straight to the loader,
    which refuses it naming the file."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _CACHED_SIZE:
            return load_mapping(path, categories=categories)
        digest = hashlib.sha256(Path(path).read_bytes()).digest()
    except OSError:
        return load_mapping(path, categories=categories)  # it names the file and the problem
    key = (str(path), digest, categories)
    if key not in _PARSED:
        if len(_PARSED) >= 16:
            _PARSED.clear()
        _PARSED[key] = load_mapping(path, categories=categories)
    return _PARSED[key]


def _engine(url: str) -> sa.Engine:
    """An engine that only reads: a SQLite file is opened read-only and must exist."""
    shown = display_url(url)
    try:
        parsed = sa.make_url(url)
        path = sqlite_file(parsed)
        if path is not None and not path.is_file():
            raise InputError(f"no core-banking database at {shown} (the file does not exist)",
                             field=URL)
        return sa.create_engine(existing_sqlite(parsed, read_only=True))
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise InputError(f"cannot use {shown}: {url_problem(exc)}", field=URL) from None


def _missing(engine: sa.Engine, mapping: CorebankMapping) -> tuple[str, str] | None:
    try:  # a fresh connection: the failed one may be in an aborted transaction
        return missing_reference(engine, mapping)
    except SQLAlchemyError:
        return None
