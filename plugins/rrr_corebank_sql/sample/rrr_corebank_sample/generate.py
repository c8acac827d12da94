"""A synthetic core bank: schema, deterministic data and the mapping that reads it.

It owns the sample database that demos, tests and the benchmark run against: branches (two
abroad), products with their GL accounts (4211 demand VND, 4212 term VND, 4214 special-purpose
VND, 4221/4222 demand/term FX, 4231/4232 savings), customers (individuals, companies, domestic
and overseas credit institutions), deposit accounts in VND, USD, EUR and JPY with original terms
of 0-36 months and a margin flag, an end-of-day balance for every calendar day (a random walk on
business days; Saturday and Sunday repeat Friday, as the bank's books do), month-end
balance-sheet FX rates, and an SBV payment account hovering around the requirement, sometimes
below it. Amounts are integers in minor units (see ``sample_mapping.yaml``). The same seed
gives the same bank; size and dates are parameters, so one generator serves a 200-account test
and a 1,000,000-account benchmark.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from rrr_corebank_sample.bulk import bulk_insert

__all__ = ["METADATA", "PRODUCTS", "correct_balance", "generate_bank", "sample_mapping_path",
           "write_mapping"]

METADATA = sa.MetaData()
BRANCH = sa.Table("branch", METADATA,
                  sa.Column("branch_code", sa.String(8), primary_key=True),
                  sa.Column("institution_id", sa.String(16), nullable=False),
                  sa.Column("name", sa.String(60), nullable=False),
                  sa.Column("is_overseas", sa.Boolean, nullable=False))
PRODUCT = sa.Table("product", METADATA,
                   sa.Column("product_code", sa.String(8), primary_key=True),
                   sa.Column("name", sa.String(60), nullable=False),
                   sa.Column("gl_account", sa.String(10), nullable=False))
CUSTOMER = sa.Table("customer", METADATA,
                    sa.Column("customer_id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("customer_type", sa.String(16), nullable=False))
# Integer (not BIGINT) keys: SQLite makes an INTEGER primary key the rowid, the fastest lookup.
ACCOUNT = sa.Table("deposit_account", METADATA,
                   sa.Column("account_id", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("customer_id", sa.Integer, nullable=False),
                   sa.Column("branch_code", sa.String(8), nullable=False),
                   sa.Column("product_code", sa.String(8), nullable=False),
                   sa.Column("currency_code", sa.String(3), nullable=False),
                   sa.Column("original_term_months", sa.Integer, nullable=False),
                   sa.Column("is_margin", sa.Boolean, nullable=False),
                   sa.Column("open_date", sa.Date, nullable=False))
# Balances, SBV balances and rates are integers of a fixed unit: exact SUMs on SQLite (which
# has no decimal type) and PostgreSQL alike, and the fastest type for both to add up.
BALANCE = sa.Table("eod_balance", METADATA,
                   sa.Column("business_date", sa.Date, primary_key=True),
                   sa.Column("account_id", sa.Integer, primary_key=True, autoincrement=False),
                   sa.Column("balance_minor", sa.BigInteger, nullable=False),
                   # Clustered by day on SQLite, as PostgreSQL's heap is by insertion order.
                   sqlite_with_rowid=False)
FX_RATE = sa.Table("fx_bs_rate", METADATA,
                   sa.Column("rate_date", sa.Date, primary_key=True),
                   sa.Column("currency_code", sa.String(3), primary_key=True),
                   sa.Column("vnd_per_unit_x100", sa.BigInteger, nullable=False))
SBV = sa.Table("sbv_account_eod", METADATA,
               sa.Column("institution_id", sa.String(16), primary_key=True),
               sa.Column("business_date", sa.Date, primary_key=True),
               sa.Column("currency_code", sa.String(3), primary_key=True),
               sa.Column("balance_minor", sa.BigInteger, nullable=False))

# code: (name, GL account, VND or FX, original terms offered)
PRODUCTS = {
    "CA_VND": ("Current account VND", "4211", "VND", (0,)),
    "TD_VND": ("Term deposit VND", "4212", "VND", (1, 3, 6, 12, 24, 36)),
    "SP_VND": ("Special-purpose deposit VND", "4214", "VND", (0,)),
    "CA_FX": ("Current account FX", "4221", "FX", (0,)),
    "TD_FX": ("Term deposit FX", "4222", "FX", (1, 3, 6, 12, 24, 36)),
    "SA_VND": ("Savings VND", "4231", "VND", (0, 1, 3, 6, 12, 24, 36)),
    "SA_FX": ("Savings FX", "4232", "FX", (0, 1, 3, 6, 12, 24, 36)),
}
# customer type: (share of customers, product weights, median balance in VND)
_CUSTOMERS = {
    "individual": (0.78, {"CA_VND": 35, "SA_VND": 40, "TD_VND": 10, "CA_FX": 8, "SA_FX": 7},
                   30_000_000),
    "company": (0.19, {"CA_VND": 45, "TD_VND": 30, "SP_VND": 5, "CA_FX": 12, "TD_FX": 8},
                800_000_000),
    "domestic_ci": (0.015, {"CA_VND": 50, "TD_VND": 30, "CA_FX": 10, "TD_FX": 10},
                    50_000_000_000),
    "overseas_ci": (0.015, {"CA_VND": 30, "TD_VND": 10, "CA_FX": 35, "TD_FX": 25},
                    20_000_000_000),
}
_FX = {"USD": (75, 2, 25_400), "EUR": (15, 2, 27_500), "JPY": (10, 0, 170)}  # weight, minor, rate
_TERM_WEIGHTS = {0: 30, 1: 15, 3: 15, 6: 15, 12: 15, 24: 6, 36: 4}
_RATIOS = {"vnd_short": 0.03, "vnd_long": 0.01, "fx_overseas_ci": 0.01, "fx_short": 0.08,
           "fx_long": 0.06}


def sample_mapping_path() -> Path:
    """The mapping of the synthetic bank shipped with this package."""
    return Path(str(resources.files("rrr_corebank_sample") / "sample_mapping.yaml"))


def write_mapping(path: str | Path) -> Path:
    """Copy the synthetic bank's mapping to ``path`` (e.g. beside the database)."""
    shutil.copyfile(sample_mapping_path(), path)
    return Path(path)


def correct_balance(url: str, day: dt.date, *, institution_id: str = "DEMO",
                    amount_minor: int = 1_000_000_000) -> int:
    """A back-dated correction, as a bank's books get one: add ``amount_minor`` to the
    ``day`` balance of one domestic VND current account (GL 4211, a reservable deposit) of
    ``institution_id``'s own branches. Returns the account corrected."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            account = conn.execute(
                sa.select(ACCOUNT.c.account_id)
                .join(CUSTOMER, CUSTOMER.c.customer_id == ACCOUNT.c.customer_id)
                .join(BRANCH, BRANCH.c.branch_code == ACCOUNT.c.branch_code)
                .join(BALANCE, BALANCE.c.account_id == ACCOUNT.c.account_id)
                .where(ACCOUNT.c.product_code == "CA_VND", ~ACCOUNT.c.is_margin,
                       ~BRANCH.c.is_overseas, BRANCH.c.institution_id == institution_id,
                       CUSTOMER.c.customer_type.in_(("individual", "company")),
                       BALANCE.c.business_date == day)
                .order_by(ACCOUNT.c.account_id).limit(1)).scalar()
            if account is None:
                raise ValueError(f"no domestic VND current account has a balance on {day}")
            conn.execute(BALANCE.update()
                         .where(BALANCE.c.account_id == account, BALANCE.c.business_date == day)
                         .values(balance_minor=BALANCE.c.balance_minor + amount_minor))
    finally:
        engine.dispose()
    return int(account)


def generate_bank(url: str, *, accounts: int, start: dt.date, end: dt.date, seed: int,
                  institution_id: str = "DEMO") -> None:
    """(Re)create the synthetic bank's tables at ``url`` and fill them.

    Balances cover every calendar day from ``start`` to ``end``; an account opened inside the
    range has rows from its opening day only. The sample tables are dropped first.
    """
    if accounts < 1 or end < start:
        raise ValueError("need at least one account and start <= end")
    rng = random.Random(seed)
    engine = sa.create_engine(url)
    try:
        METADATA.drop_all(engine)
        METADATA.create_all(engine)
        with engine.begin() as conn:
            branches = _branches(institution_id)
            bulk_insert(conn, BRANCH, branches)
            bulk_insert(conn, PRODUCT, ((c, p[0], p[1]) for c, p in PRODUCTS.items()))
            n_customers = max(1, accounts * 7 // 10)
            types = rng.choices(list(_CUSTOMERS), [c[0] for c in _CUSTOMERS.values()],
                                k=n_customers)
            bulk_insert(conn, CUSTOMER, ((i + 1, t) for i, t in enumerate(types)))
            book = _Book(rng, types, branches, accounts, start, end)
            bulk_insert(conn, ACCOUNT, book.account_rows())
            rates = _rates(rng, start, end)
            bulk_insert(conn, FX_RATE, ((d, c, r) for (d, c), r in sorted(rates.items())))
            bulk_insert(conn, BALANCE, book.balance_rows(rates))
            # The requirement is known only once every day's balances have been walked.
            bulk_insert(conn, SBV, _holdings(rng, institution_id, book.required))
        with engine.begin() as conn:
            # Fresh statistics, as a bank's DBA keeps them: the planner needs row counts.
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def _branches(institution_id: str) -> list[tuple[str, str, str, bool]]:
    domestic = [("HN001", "Ha Noi head office"), ("HN002", "Hoan Kiem"), ("HCM01", "Ho Chi Minh"),
                ("HCM02", "Thu Duc"), ("DN001", "Da Nang"), ("CT001", "Can Tho")]
    overseas = [("KH001", "Phnom Penh branch"), ("LA001", "Vientiane branch")]
    return ([(c, institution_id, n, False) for c, n in domestic]
            + [(c, institution_id, n, True) for c, n in overseas])


class _Book:
    """The accounts and their balances, kept as parallel lists so 1M accounts stay cheap.

    Floats appear only while inventing the data; what is stored is the integer they round
    to, and every figure the adapter reports is computed from those integers.
    """

    def __init__(self, rng: random.Random, types: list[str], branches: list[tuple],
                 n: int, start: dt.date, end: dt.date) -> None:
        self.rng, self.start, self.end = rng, start, end
        codes, weights = [b[0] for b in branches], [1 if b[3] else 12 for b in branches]
        abroad = {b[0] for b in branches if b[3]}
        fx_codes, fx_weights = list(_FX), [v[0] for v in _FX.values()]
        days = (end - start).days
        self.rows: list[tuple] = []
        self.balance: list[int] = []
        self.currency: list[str] = []
        self.moves: list[bool] = []   # demand balances walk; term deposits stay put
        self.first: list[int] = []    # index of the first day with a balance
        self.ratio: list[float] = []  # rough reserve ratio, only to size the SBV account
        self.required: dict[tuple[dt.date, str], float] = {}
        for account_id in range(1, n + 1):
            customer = rng.randrange(len(types))
            ctype = types[customer]
            products = _CUSTOMERS[ctype][1]
            product = rng.choices(list(products), list(products.values()))[0]
            kind, terms = PRODUCTS[product][2], PRODUCTS[product][3]
            term = terms[0] if len(terms) == 1 else rng.choices(
                terms, [_TERM_WEIGHTS[t] for t in terms])[0]
            currency = "VND" if kind == "VND" else rng.choices(fx_codes, fx_weights)[0]
            margin = ctype == "company" and product == "CA_VND" and rng.random() < 0.1
            branch = rng.choices(codes, weights)[0]
            first = rng.randrange(1, days + 1) if days and rng.random() < 0.02 else 0
            opened = start + dt.timedelta(days=first) if first else start - dt.timedelta(
                days=rng.randrange(30, 3000))
            self.rows.append((account_id, customer + 1, branch, product, currency, term,
                              margin, opened))
            vnd = rng.lognormvariate(math.log(_CUSTOMERS[ctype][2]), 1.1)
            self.balance.append(_to_minor(vnd, currency))
            self.currency.append(currency)
            self.moves.append(term == 0)
            self.first.append(first)
            excluded = ctype == "domestic_ci" or margin or branch in abroad
            self.ratio.append(0.0 if excluded else _ratio(currency, term, ctype))

    def account_rows(self) -> list[tuple]:
        return self.rows

    def balance_rows(self, rates: dict[tuple[dt.date, str], int]) -> Iterator[tuple]:
        """Every open account's balance for every day, yielded day by day (walked in place);
        Monday moves from Friday's balance, so Saturday and Sunday repeat Friday."""
        rng, balance, day, index = self.rng, self.balance, self.start, 0
        while day <= self.end:
            if day.weekday() < 5 and index > 0:
                for i, moves in enumerate(self.moves):
                    if moves and rng.random() < 0.3:
                        balance[i] = int(balance[i] * rng.lognormvariate(0, 0.05))
            for i, first in enumerate(self.first):
                if first <= index:
                    yield (day, i + 1, balance[i])
            self._requirement(day, index, rates)
            day, index = day + dt.timedelta(days=1), index + 1

    def _requirement(self, day: dt.date, index: int,
                     rates: dict[tuple[dt.date, str], int]) -> None:
        month_end = _month_end(day)
        vnd = fx_in_vnd = 0.0
        for i, ratio in enumerate(self.ratio):
            if ratio and self.first[i] <= index:
                currency = self.currency[i]
                if currency == "VND":
                    vnd += self.balance[i] * ratio
                else:
                    fx_in_vnd += (self.balance[i] / 10 ** _FX[currency][1]
                                  * rates[(month_end, currency)] / 100 * ratio)
        self.required[(day, "VND")] = vnd
        self.required[(day, "USD")] = fx_in_vnd / (rates[(month_end, "USD")] / 100)


def _ratio(currency: str, term: int, ctype: str) -> float:
    if currency == "VND":
        return _RATIOS["vnd_long" if term >= 12 else "vnd_short"]
    if ctype == "overseas_ci":
        return _RATIOS["fx_overseas_ci"]
    return _RATIOS["fx_long" if term >= 12 else "fx_short"]


def _to_minor(vnd: float, currency: str) -> int:
    if currency == "VND":
        return int(vnd) // 1000 * 1000
    _, minor, rate = _FX[currency]
    return int(vnd / rate * 10 ** minor)


def _month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _rates(rng: random.Random, start: dt.date, end: dt.date) -> dict[tuple[dt.date, str], int]:
    """Month-end balance-sheet rates (hundredths of a đồng) for every month touched."""
    out: dict[tuple[dt.date, str], int] = {}
    month = _month_end(start)
    level = {c: v[2] * 100 for c, v in _FX.items()}
    while True:
        for c in level:
            level[c] = int(level[c] * rng.uniform(0.99, 1.012))
            out[(month, c)] = level[c]
        if month >= end:
            return out
        month = _month_end(month + dt.timedelta(days=1))


def _holdings(rng: random.Random, institution_id: str,
              required: dict[tuple[dt.date, str], float]) -> Iterator[tuple]:
    """SBV balances around the requirement: a monthly bias (some months short) plus noise."""
    bias: dict[tuple[int, int, str], float] = {}
    for (day, currency), need in sorted(required.items()):
        key = (day.year, day.month, currency)
        bias.setdefault(key, rng.uniform(-0.06, 0.10))
        factor = max(0.0, 1 + bias[key] + rng.gauss(0, 0.08))
        minor = 0 if currency == "VND" else 2
        yield (institution_id, day, currency, int(need * factor * 10 ** minor))
