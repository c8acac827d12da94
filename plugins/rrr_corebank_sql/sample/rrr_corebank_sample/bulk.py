"""Fast bulk loading of generated rows: COPY on PostgreSQL, chunked executemany elsewhere.

It owns getting millions of rows into a database without one round trip per row. Rows are
plain tuples in the table's column order; values are ``int``, ``str``, ``bool``, ``date`` or
``None``, never floats, so what the generator computed is what the database stores.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from itertools import islice
from typing import Any

import sqlalchemy as sa

__all__ = ["bulk_insert"]

_CHUNK = 50_000


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert ``rows`` into ``table``; return how many were written."""
    it = iter(rows)
    copy = connection.dialect.name == "postgresql"
    names = [c.name for c in table.columns]
    written = 0
    while chunk := list(islice(it, _CHUNK)):
        if copy:
            _copy(connection, table, names, chunk)
        else:
            # a row has one value per column: a short one is a bug, not a NULL
            connection.execute(table.insert(),
                               [dict(zip(names, row, strict=True)) for row in chunk])
        written += len(chunk)
    return written


def _copy(connection: sa.Connection, table: sa.Table, names: list[str],
          chunk: list[tuple[Any, ...]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(tuple(_csv(v) for v in row) for row in chunk)
    buf.seek(0)
    prep = connection.dialect.identifier_preparer
    cols = ", ".join(prep.quote(n) for n in names)
    sql = f"COPY {prep.format_table(table)} ({cols}) FROM STDIN WITH (FORMAT csv)"
    # The raw driver cursor: COPY is not part of the DB-API SQLAlchemy speaks, and psycopg 3
    # (plain postgresql:// URLs) and psycopg2 (postgresql+psycopg2://) spell it differently.
    raw = connection.connection.dbapi_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        if connection.dialect.driver == "psycopg2":
            cursor.copy_expert(sql, buf)
        else:
            with cursor.copy(sql) as copy:
                copy.write(buf.getvalue())


def _csv(value: Any) -> Any:
    if value is None:
        return ""  # unquoted empty field = NULL in COPY's csv format
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
