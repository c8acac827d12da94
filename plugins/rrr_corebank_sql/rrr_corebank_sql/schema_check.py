"""Which mapping field names a table or column the core-banking database does not have.

It owns turning "no such column" from the database into the mapping field the person editing
the mapping must fix. The usual path never pays for it: the adapter runs its queries, and only
when the database reports a missing table or column does :func:`missing_reference` inspect the
schema, walking every table and column the mapping names in file order.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from .mapping import Mapping

__all__ = ["missing_reference", "references"]

Ref = tuple[str, str | None, str, str | None]  # (mapping field, schema, table, column or None)


def references(mapping: Mapping) -> Iterator[Ref]:
    """Every table and column the mapping names, with the mapping field that names it."""
    acc = mapping.accounts
    yield "accounts.table", acc.db_schema, acc.table, None
    by_name = {acc.table: (acc.db_schema, acc.table)}
    for i, join in enumerate(acc.joins):
        yield f"accounts.joins[{i}].table", join.db_schema, join.table, None
        by_name[join.name] = (join.db_schema, join.table)
    for kind, refs in (("columns", acc.columns.model_dump()), ("flags", dict(acc.flags))):
        for key, ref in refs.items():
            if ref:
                alias, _, column = ref.rpartition(".")
                schema, table = by_name.get(alias or acc.table, (acc.db_schema, acc.table))
                yield f"accounts.{kind}.{key}", schema, table, column
    for i, join in enumerate(acc.joins):
        for left, right in join.keys.items():
            yield f"accounts.joins[{i}].keys.{left}", acc.db_schema, acc.table, left
            yield f"accounts.joins[{i}].keys.{left}", join.db_schema, join.table, right
    bal = mapping.balances
    yield "balances.table", bal.db_schema, bal.table, None
    for key in ("account_id", "date", "amount"):
        yield f"balances.{key}", bal.db_schema, bal.table, getattr(bal, key)
    if mapping.fx_rates is not None:
        fx = mapping.fx_rates
        yield "fx_rates.table", fx.db_schema, fx.table, None
        for key in ("date", "currency", "vnd_per_unit"):
            yield f"fx_rates.{key}", fx.db_schema, fx.table, getattr(fx, key)
    if mapping.holdings is not None:
        h = mapping.holdings
        yield "holdings.table", h.db_schema, h.table, None
        for key in ("institution_column", "date", "currency", "amount"):
            if getattr(h, key):
                yield f"holdings.{key}", h.db_schema, h.table, getattr(h, key)


def missing_reference(bind: sa.Engine | sa.Connection, mapping: Mapping) -> tuple[str, str] | None:
    """``(mapping field, problem)`` for the first table or column the database lacks."""
    inspector = sa.inspect(bind)
    columns: dict[tuple[str | None, str], set[str] | None] = {}
    for field, schema, table, column in references(mapping):
        key = (schema, table)
        if key not in columns:
            columns[key] = ({c["name"] for c in inspector.get_columns(table, schema=schema)}
                            if inspector.has_table(table, schema=schema) else None)
        where = f"{schema}.{table}" if schema else table
        if columns[key] is None:
            return field, f"names table {where}, which the core-banking database does not have"
        if column is not None and column not in columns[key]:  # type: ignore[operator]
            return field, (f"names column {column}, which table {where} of the core-banking "
                           "database does not have")
    return None
