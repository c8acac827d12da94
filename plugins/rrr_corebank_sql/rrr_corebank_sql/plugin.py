"""The pluggy hook implementations: the engine's view of a core-banking database.

It owns answering the source hooks when, and only when, the run's options name this
adapter's two settings, ``corebank_url`` (an SQLAlchemy URL) and ``corebank_mapping`` (the
mapping YAML); for any other options it returns ``None`` so the next plugin may answer. Each
call opens its own engine and disposes of it: no module state, so two engines in one process
do not share a connection pool. Registered through the ``rrr_engine`` entry point as
``corebank_sql = "rrr_corebank_sql.plugin"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from rrr_engine.hookspecs import hookimpl
from rrr_engine.models import BalanceRow, FxRate, HoldingRow

from . import query
from .loader import load_mapping
from .mapping import Mapping as CorebankMapping

__all__ = ["rrr_daily_balances", "rrr_fx_rates", "rrr_holdings"]

URL, MAPPING = "corebank_url", "corebank_mapping"


@hookimpl
def rrr_daily_balances(options: Mapping[str, Any], start: dt.date,
                       end: dt.date) -> list[BalanceRow] | None:
    """One set-based snapshot query per calendar day from ``start`` to ``end``."""
    with _source(options) as found:
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
def _source(options: Mapping[str, Any]
            ) -> Iterator[tuple[sa.Connection, CorebankMapping] | None]:
    if not options.get(URL) or not options.get(MAPPING):
        yield None
        return
    mapping = load_mapping(options[MAPPING])
    engine = sa.create_engine(options[URL])
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # Every day of a month read from one consistent snapshot of the books.
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            yield connection, mapping
    finally:
        engine.dispose()
