"""Mapping to SQLAlchemy Core: the tables, the joins and the classification CASE.

It owns the one translation of classification rules into SQL, so the snapshot query and the
error-path queries that find an example account agree on what each account is. The CASE
yields the index of the first matching rule (``UNMATCHED`` when none matches); grouping by
that small integer keeps the per-rule provenance and is cheaper than grouping by text. The
CASE deliberately reads no unique column (a balance without an account shows as a NULL
currency instead): PostgreSQL sizes a GROUP BY from the columns in its expression, and a
unique one makes it expect a million groups and sort instead of hash. Conditions are
written so that SQLite and PostgreSQL give the same answer (``substr`` rather than ``LIKE``,
which SQLite folds case for; ``IS true`` so a NULL flag is false on both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from rrr_engine.errors import InputError

from .mapping import Mapping, Rule

__all__ = ["Source", "UNMATCHED", "compile_source"]

UNMATCHED = -1

_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "term_months": sa.Integer(), "margin": sa.Boolean(), "overseas_branch": sa.Boolean(),
}


@dataclass(frozen=True)
class Source:
    """The FROM clause of balances × accounts and the expressions read from it."""

    from_: sa.FromClause
    day: sa.BindParameter[Any]
    date: sa.ColumnElement[Any]
    balance_account_id: sa.ColumnElement[Any]
    account_key: sa.ColumnElement[Any]  # NULL when the balance row has no account
    amount: sa.ColumnElement[Any]
    currency: sa.ColumnElement[Any]
    institution: sa.ColumnElement[Any] | None  # None: the mapping gives a constant
    code: sa.ColumnElement[int]

    def where(self) -> sa.ColumnElement[bool]:
        return self.date == self.day


class _Tables:
    """Lightweight table objects for the mapping: no reflection, no metadata round trip.

    Every column the mapping names is collected first, because an aliased join's columns
    are fixed when the alias is taken.
    """

    def __init__(self, mapping: Mapping) -> None:
        acc = mapping.accounts
        self.accounts_name = acc.table
        wanted: dict[str, dict[str, sa.types.TypeEngine[Any] | None]] = {acc.table: {}}
        for join in acc.joins:
            wanted[join.name] = {}
        refs = [(name, ref) for name, ref in acc.columns.model_dump().items() if ref]
        refs += [("flag", ref) for ref in acc.flags.values()]
        for name, ref in refs:
            table, _, col = ref.rpartition(".")
            wanted[table or acc.table][col] = sa.Boolean() if name == "flag" else (
                _TYPES.get(name, sa.String()))
        for join in acc.joins:
            for left, right in join.keys.items():
                wanted[acc.table].setdefault(left, None)
                wanted[join.name].setdefault(right, None)
        specs = {acc.table: (acc.table, acc.db_schema)}
        specs |= {join.name: (join.table, join.db_schema) for join in acc.joins}
        self.tables: dict[str, sa.FromClause] = {}
        for name, (table, schema) in specs.items():
            built = sa.table(table, *(sa.column(c, t) for c, t in wanted[name].items()),
                             schema=schema)
            self.tables[name] = built.alias(name) if name != table else built
        self.joins = acc.joins

    def column(self, ref: str) -> sa.ColumnElement[Any]:
        table, _, col = ref.rpartition(".")
        return self.tables[table or self.accounts_name].c[col]

    def join_onto(self, balances: sa.FromClause, on: sa.ColumnElement[bool]) -> sa.FromClause:
        """balances LEFT JOIN accounts LEFT JOIN each lookup, as one flat chain.

        LEFT, because a missing customer must not drop a deposit and a balance without an
        account must be seen. Flat, because SQLite materialises a parenthesised join
        ``b LEFT JOIN (a LEFT JOIN c)`` instead of looking accounts up by key.
        """
        joined = balances.outerjoin(self.tables[self.accounts_name], on)
        for join in self.joins:
            right = self.tables[join.name]
            joined = joined.outerjoin(right, sa.and_(*(
                self.column(left) == right.c[rcol] for left, rcol in join.keys.items())))
        return joined


def compile_source(mapping: Mapping) -> Source:
    """Build the balances × accounts source and the classification CASE for ``mapping``."""
    problems = mapping.problems()
    if problems:
        loc, message = problems[0]
        raise InputError(message, field=".".join(str(p) for p in loc))
    tables = _Tables(mapping)
    cols = mapping.accounts.columns
    refs = {name: tables.column(ref) for name, ref in cols.model_dump().items() if ref}
    flags = {name: tables.column(ref) for name, ref in mapping.accounts.flags.items()}
    code = sa.case(*((_condition(rule, refs, flags), i)
                     for i, rule in enumerate(mapping.classification)),
                   else_=UNMATCHED)
    bal = mapping.balances
    balances = sa.table(bal.table, sa.column(bal.account_id), sa.column(bal.date, sa.Date()),
                        sa.column(bal.amount), schema=bal.db_schema)
    from_ = tables.join_onto(balances, balances.c[bal.account_id] == refs["account_id"])
    return Source(
        from_=from_,
        day=sa.bindparam("day", type_=sa.Date()),
        date=balances.c[bal.date],
        balance_account_id=balances.c[bal.account_id],
        account_key=refs["account_id"],
        amount=balances.c[bal.amount],
        currency=refs["currency"],
        institution=refs.get("institution_id"),
        code=code,
    )


def _condition(rule: Rule, refs: dict[str, sa.ColumnElement[Any]],
               flags: dict[str, sa.ColumnElement[Any]]) -> sa.ColumnElement[bool]:
    """All of a rule's conditions ANDed; a rule with none is always true."""
    parts: list[sa.ColumnElement[bool]] = []
    if rule.gl_prefix:
        gl = refs["gl_account"]
        parts.append(sa.or_(*(sa.func.substr(gl, 1, len(p)) == p for p in rule.gl_prefix)))
    if rule.currency:
        parts.append(refs["currency"].in_(rule.currency))
    if rule.currency_not:
        parts.append(refs["currency"].not_in(rule.currency_not))
    if rule.term_months_min is not None:
        parts.append(refs["term_months"] >= rule.term_months_min)
    if rule.term_months_max is not None:
        parts.append(refs["term_months"] <= rule.term_months_max)
    if rule.depositor_type:
        parts.append(refs["depositor_type"].in_(rule.depositor_type))
    named = {"margin": rule.margin, "overseas_branch": rule.overseas_branch}
    for name, wanted in named.items():
        if wanted is not None:
            parts.append(_flag(refs[name], wanted))
    for name, wanted in rule.flags.items():
        parts.append(_flag(flags[name], wanted))
    return sa.and_(sa.true(), *parts)


def _flag(column: sa.ColumnElement[Any], wanted: bool) -> sa.ColumnElement[bool]:
    return column.is_(sa.true()) if wanted else column.is_not(sa.true())
