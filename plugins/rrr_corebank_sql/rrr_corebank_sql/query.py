"""Reading the reserve base out of the core-banking database: one set-based query per day.

It owns :func:`snapshot_day`: accounts × end-of-day balances for one date, classified by the
mapping's CASE and summed per institution, rule and currency inside the database, so neither
time in Python nor memory grows with the number of accounts (a few dozen group rows come
back). The same query's ``COUNT``/``MIN`` columns reveal bad data (a balance row with no
account, a NULL or negative balance, an account no rule matches); only then does a second,
equally set-based query fetch an example account for the message. It also owns the two small
readers, :func:`fx_rates` and :func:`holdings`. The rows returned meet the engine's row
contract (:mod:`rrr_engine.rows`), checked here in its words.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from rrr_engine import rows as rrr_rows
from rrr_engine.errors import InputError
from rrr_engine.models import BalanceRow, FxRate, HoldingRow

from .amounts import exact
from .compiler import UNMATCHED, compile_source
from .mapping import Mapping

__all__ = ["Snapshot", "explain_account", "fx_rates", "holdings", "snapshot_day"]


def snapshot_day(connection: sa.Connection, mapping: Mapping, day: dt.date) -> list[BalanceRow]:
    """End-of-day reservable balances on ``day`` per institution, category and currency."""
    return Snapshot(mapping).run(connection, day)


class Snapshot:
    """The snapshot statement compiled once for a mapping and run for any number of days."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.source = src = compile_source(mapping)
        inner = [src.code.label("code"), src.currency.label("currency"),
                 src.amount.label("amount")]
        if src.institution is not None:
            inner.append(src.institution.label("institution"))
        # Grouping an outer query by the inner column keeps a single copy of the CASE in the
        # SQL: nothing for the planner to match between SELECT and GROUP BY, and the statement
        # a DBA sees in the server log is half as long. Both engines flatten the subquery.
        rows = sa.select(*inner).select_from(src.from_).where(src.where()).subquery("s")
        keys = [rows.c.code, rows.c.currency]
        if src.institution is not None:
            keys.append(rows.c.institution)
        self.statement = sa.select(
            *keys,
            sa.func.sum(rows.c.amount).label("total"),
            sa.func.count().label("n_rows"),
            sa.func.count(rows.c.amount).label("n_amounts"),
            sa.func.min(rows.c.amount).label("lowest"),
        ).group_by(*keys)

    def run(self, connection: sa.Connection, day: dt.date) -> list[BalanceRow]:
        """Execute for one business date; raise ``InputError`` on the first data problem."""
        groups = connection.execute(self.statement, {"day": day}).all()
        rules = self.mapping.classification
        kept: list[Any] = []
        if any(g.currency is None for g in groups):
            # A balance row without an account has every account column NULL, the currency
            # included; only then look closer, so the usual query carries no extra column
            # (one more column in SQLite's GROUP BY sorter cost ~13%).
            n, example = self._count(connection, day, [self.source.account_key.is_(None)])
            if n:
                raise InputError(f"{n} balance row(s) on {day} name an account missing from "
                                 f"table {self.mapping.accounts.table}, e.g. account {example}",
                                 account_id=example, date=day)
        for g in groups:
            if g.code == UNMATCHED:
                if self.mapping.unmatched == "error":
                    self._fail(connection, day, [self.source.code == UNMATCHED],
                               "{n} account(s) with a balance on {day} match no classification "
                               "rule, e.g. account {id}; add a rule or set unmatched: exclude",
                               field="classification")
            elif rules[g.code].category is not None:
                kept.append(g)
        for g in kept:
            self._check(connection, day, g)
        totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        const = self.mapping.accounts.institution_id
        for g in kept:
            category = rules[g.code].category
            institution = const if const is not None else g._mapping["institution"]
            totals[(institution, category, g.currency)] += self._amount(g.total, g.currency)
        out = []
        for (inst, cat, ccy), amt in sorted(totals.items()):
            at = _at(f"{self.mapping.balances.table} on {day}, institution {inst!r}, {cat} {ccy}")
            out.append(BalanceRow(institution_id=rrr_rows.institution_id(inst, at), date=day,
                                  category=cat, currency=rrr_rows.currency(ccy, at),
                                  amount=rrr_rows.balance(amt, at)))
        return out

    def _check(self, connection: sa.Connection, day: dt.date, g: Any) -> None:
        src, table = self.source, self.mapping.balances.table
        if g.n_amounts < g.n_rows:
            self._fail(connection, day, [src.code == g.code, src.amount.is_(None)],
                       "{n} balance row(s) on {day} have no amount (NULL), e.g. account {id}",
                       field=f"{table}.{self.mapping.balances.amount}")
        if g.currency is None:
            self._fail(connection, day, [src.code == g.code, src.currency.is_(None)],
                       "{n} account(s) with a balance on {day} have no currency, e.g. account {id}",
                       field="accounts.columns.currency")
        if self.mapping.accounts.institution_id is None and g._mapping["institution"] is None:
            self._fail(connection, day, [src.code == g.code,
                                         src.institution.is_(None)],  # type: ignore[union-attr]
                       "{n} account(s) with a balance on {day} have no institution id, "
                       "e.g. account {id}", field="accounts.columns.institution_id")
        if self._amount(g.lowest, g.currency) < 0:
            row = connection.execute(
                sa.select(src.balance_account_id, src.amount).select_from(src.from_)
                .where(src.where(), src.code == g.code, src.currency == g.currency,
                       src.amount < 0)
                .order_by(src.balance_account_id).limit(1), {"day": day}).one()
            amount = self._amount(row[1], g.currency)
            raise InputError(
                f"account {row[0]} has a negative end-of-day balance of {amount} {g.currency} "
                f"on {day}; a deposit balance cannot be below zero (check the sign convention "
                "or the account's classification)",
                field=f"{table}.{self.mapping.balances.amount}", account_id=row[0], date=day)

    def _count(self, connection: sa.Connection, day: dt.date,
               conds: list[sa.ColumnElement[bool]]) -> tuple[int, Any]:
        """How many of the day's rows ``conds`` pick out, and the lowest account id among them."""
        src = self.source
        n, example = connection.execute(
            sa.select(sa.func.count(), sa.func.min(src.balance_account_id))
            .select_from(src.from_).where(src.where(), *conds), {"day": day}).one()
        return n, example

    def _fail(self, connection: sa.Connection, day: dt.date, conds: list[sa.ColumnElement[bool]],
              template: str, field: str | None = None) -> None:
        """Count and name an example of the rows ``conds`` pick out, then raise."""
        n, example = self._count(connection, day, conds)
        raise InputError(template.format(n=n, day=day, id=example), field=field,
                         account_id=example, date=day)

    def _amount(self, value: object, currency: str) -> Decimal:
        field = f"{self.mapping.balances.table}.{self.mapping.balances.amount}"
        return exact(value, _scale(self.mapping, self.mapping.balances.scale, currency),
                     field=field)


def explain_account(connection: sa.Connection, mapping: Mapping, day: dt.date,
                    account_id: object) -> tuple[int | None, str] | None:
    """Which rule decides one account on ``day``: ``(rule index, outcome)``, for a person
    asking why an account is (not) in the base; ``None`` if it has no balance that day."""
    src = compile_source(mapping)
    row = connection.execute(sa.select(src.code, src.account_key).select_from(src.from_).where(
        src.where(), src.balance_account_id == account_id), {"day": day}).first()
    if row is None:
        return None
    code, key = row
    if key is None:
        return None, "no such account in the accounts table"
    if code == UNMATCHED:
        return code, "matched no rule"
    return code, mapping.classification[code].outcome


def _scale(mapping: Mapping, scale: int | str | None, currency: str) -> int | None:
    if scale != "currency":
        return scale  # type: ignore[return-value]
    if currency not in mapping.minor_units:
        raise InputError(f"currency {currency} has no entry, so its amounts cannot be scaled",
                         field="minor_units")
    return mapping.minor_units[currency]


def _at(where: str) -> rrr_rows.At:
    """A row contract problem (:mod:`rrr_engine.rows`), placed at a table, date and key."""
    return lambda field, problem: InputError(f"{where}: {problem}", field=field or None)


def fx_rates(connection: sa.Connection, mapping: Mapping, start: dt.date,
             end: dt.date) -> list[FxRate]:
    """Balance-sheet rates dated ``start``..``end`` inclusive, by date and currency."""
    fx = mapping.fx_rates
    if fx is None:
        raise InputError("the mapping has no fx_rates section", field="fx_rates")
    t = sa.table(fx.table, sa.column(fx.date, sa.Date()), sa.column(fx.currency),
                 sa.column(fx.vnd_per_unit), schema=fx.db_schema)
    date, ccy, rate = t.c[fx.date], t.c[fx.currency], t.c[fx.vnd_per_unit]
    rows = connection.execute(sa.select(date, ccy, rate).where(date.between(start, end))
                              .order_by(date, ccy)).all()
    out: dict[tuple[dt.date, str], FxRate] = {}
    for d, c, r in rows:
        at = _at(f"{fx.table} on {d}, {c!r}")
        rrr_rows.currency(c, at, field=f"{fx.table}.{fx.currency}")
        value = rrr_rows.rate(exact(r, fx.scale, field=f"{fx.table}.{fx.vnd_per_unit}"), at,
                              f"{fx.table}.{fx.vnd_per_unit}")
        if (d, c) in out and out[(d, c)].domestic_per_unit != value:
            raise InputError(f"two different rates for {c} on {d}: "
                             f"{out[(d, c)].domestic_per_unit} and {value}", field=fx.table)
        out[(d, c)] = FxRate(date=d, currency=c, domestic_per_unit=value)
    return list(out.values())


def holdings(connection: sa.Connection, mapping: Mapping, start: dt.date,
             end: dt.date) -> list[HoldingRow]:
    """SBV payment-account balances per institution, day and currency, summed over accounts."""
    h = mapping.holdings
    if h is None:
        raise InputError("the mapping has no holdings section", field="holdings")
    cols: list[sa.ColumnClause[Any]] = [sa.column(h.date, sa.Date()), sa.column(h.currency),
                                        sa.column(h.amount)]
    if h.institution_column:
        cols.append(sa.column(h.institution_column, sa.String()))
    t = sa.table(h.table, *cols, schema=h.db_schema)
    keys = [t.c[h.date], t.c[h.currency]]
    if h.institution_column:
        keys.append(t.c[h.institution_column])
    stmt = (sa.select(*keys, sa.func.sum(t.c[h.amount]), sa.func.count(),
                      sa.func.count(t.c[h.amount]))
            .where(t.c[h.date].between(start, end)).group_by(*keys).order_by(*keys))
    field = f"{h.table}.{h.amount}"
    out = []
    for row in connection.execute(stmt):
        d, c, total, n, n_amounts = row[0], row[1], row[-3], row[-2], row[-1]
        institution = h.institution_id if h.institution_id is not None else row[2]
        if n_amounts < n or institution is None or c is None:
            raise InputError(f"a payment-account row on {d} has no amount, currency or "
                             "institution (NULL)", field=field)
        at = _at(f"{h.table} on {d}, institution {institution!r}, {c!r}")
        rrr_rows.institution_id(institution, at)
        rrr_rows.currency(c, at, field=f"{h.table}.{h.currency}")
        out.append(HoldingRow(institution_id=institution, date=d, currency=c,
                              amount=rrr_rows.balance(exact(total, _scale(mapping, h.scale, c),
                                                            field=field), at, field)))
    return out
