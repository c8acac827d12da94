"""A small, deterministic three-institution bank feed for the nightly tests, and the
independent arithmetic the tests check the stored results against.

The feed (files for the built-in file plugin, or rows for an in-test host plugin) has no rows
on Saturdays and Sundays, so every month exercises the carry-forward of the previous
business day. Amounts are whole numbers chosen so that averages are non-terminating
decimals (31 and 30 day divisors). BANK1 holds too little VND in September (a shortfall);
BANK2 holds enough; BANK3 is a people's credit fund at 0%.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

INSTITUTIONS_YAML = """\
- {id: BANK1, name: "First Commercial Bank", class: other_ci}
- {id: BANK2, name: "Rural Bank", class: agribank}
- {id: BANK3, name: "Village Credit Fund", class: people_credit_fund}
"""

# (institution, category, currency) -> base amount; the daily figure moves with the date.
BALANCE_BASES = {
    ("BANK1", "vnd_short", "VND"): 50_000_000_000_000,
    ("BANK1", "vnd_long", "VND"): 20_000_000_000_000,
    ("BANK1", "fx_short", "USD"): 500_000_000,
    ("BANK1", "fx_short", "EUR"): 10_000_000,
    ("BANK1", "fx_overseas_ci", "USD"): 10_000_000,
    ("BANK2", "vnd_short", "VND"): 8_000_000_000_000,
    ("BANK2", "fx_long", "USD"): 3_000_000,
    ("BANK3", "vnd_short", "VND"): 40_000_000_000,
}
RATES = {"USD": 26_000, "EUR": 27_500}


def business_day(day: dt.date) -> bool:
    return day.weekday() < 5


def balance(key: tuple[str, str, str], day: dt.date) -> D:
    """A whole-unit end-of-day figure that changes every day of the month."""
    base = BALANCE_BASES[key]
    return D(base + (base // 1000) * (day.day % 7) + day.month * 1_003)


def fx_rate(ccy: str, day: dt.date) -> D:
    return D(RATES[ccy] + day.day * 3 + day.month)


def holding(inst: str, ccy: str, day: dt.date) -> D | None:
    """SBV balance: BANK1 VND dips in late September (the shortfall month)."""
    if inst == "BANK1" and ccy == "VND":
        low = day.month == 9 and day.day >= 10
        return D(1_500_000_000_000 if low else 2_100_000_000_000) + day.day
    if inst == "BANK1" and ccy == "USD":
        return D(47_000_000) + day.day
    if inst == "BANK2" and ccy == "VND":
        return D(300_000_000_000) + day.day * 7
    if inst == "BANK2" and ccy == "USD":
        return D(200_000)
    if inst == "BANK3" and ccy == "VND":
        return D(0)
    return None


def dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def write_feed(folder: Path, start: dt.date, end: dt.date, *, override: dict | None = None) -> dict:
    """Write the four files; ``override`` maps (key, date) -> amount to change one figure,
    key being a balance key (institution, category, currency) or a holdings key
    (institution, currency)."""
    override = override or {}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "institutions.yaml").write_text(INSTITUTIONS_YAML)
    bal = ["institution_id,date,category,currency,amount"]
    fx = ["date,currency,vnd_per_unit"]
    hold = ["institution_id,date,currency,amount"]
    for day in dates(start, end):
        if not business_day(day):
            continue
        for key in BALANCE_BASES:
            amount = override.get((key, day), balance(key, day))
            bal.append(f"{key[0]},{day},{key[1]},{key[2]},{amount}")
        for ccy in sorted(RATES):
            fx.append(f"{day},{ccy},{fx_rate(ccy, day)}")
        for inst in ("BANK1", "BANK2", "BANK3"):
            for ccy in ("VND", "USD"):
                h = override.get(((inst, ccy), day), holding(inst, ccy, day))
                if h is not None:
                    hold.append(f"{inst},{day},{ccy},{h}")
    for name, lines in (("balances.csv", bal), ("fx.csv", fx), ("holdings.csv", hold)):
        (folder / name).write_text("\n".join(lines) + "\n")
    return {"institutions": str(folder / "institutions.yaml"),
            "balances": str(folder / "balances.csv"), "fx_rates": str(folder / "fx.csv"),
            "holdings": str(folder / "holdings.csv")}


# ---- independent arithmetic (Fractions, no engine code) -----------------------------------

def month_days(year: int, month: int) -> list[dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dates(first, nxt - dt.timedelta(days=1))


def carried(value_on, day: dt.date):
    """The value of the last business day on or before ``day``."""
    while not business_day(day):
        day -= dt.timedelta(days=1)
    return value_on(day)


def average(value_on, year: int, month: int) -> Fraction:
    days = month_days(year, month)
    return sum((Fraction(carried(value_on, d)) for d in days), Fraction(0)) / len(days)


RATIOS = {  # Decision 1158 as amended: (class) -> category -> ratio, from the domain brief
    "other_ci": {"vnd_short": "0.03", "vnd_long": "0.01", "fx_overseas_ci": "0.01",
                 "fx_short": "0.08", "fx_long": "0.06"},
    "agribank": {"vnd_short": "0.03", "vnd_long": "0.01", "fx_overseas_ci": "0.01",
                 "fx_short": "0.07", "fx_long": "0.05"},
}
CLASSES = {"BANK1": "other_ci", "BANK2": "agribank", "BANK3": "people_credit_fund"}


def expected_required(inst: str, year: int, month: int, override: dict | None = None
                      ) -> dict[str, Fraction]:
    """Requirement for maintenance month (year, month) from the previous month's averages."""
    override = override or {}
    cy, cm = (year, month - 1) if month > 1 else (year - 1, 12)
    last = month_days(cy, cm)[-1]
    usd = Fraction(carried(lambda d: fx_rate("USD", d), last))
    out = {"VND": Fraction(0), "USD": Fraction(0)}
    if CLASSES[inst] not in RATIOS:
        return out
    for (i, cat, ccy), _ in BALANCE_BASES.items():
        if i != inst:
            continue
        avg = average(lambda d, k=(i, cat, ccy): override.get((k, d), balance(k, d)), cy, cm)
        if ccy != "VND" and ccy != "USD":
            avg = avg * Fraction(carried(lambda d, c=ccy: fx_rate(c, d), last)) / usd
        ratio = Fraction(D(RATIOS[CLASSES[inst]][cat]))
        out["VND" if ccy == "VND" else "USD"] += ratio * avg
    return out


def expected_held(inst: str, ccy: str, year: int, month: int, override: dict | None = None
                  ) -> Fraction:
    override = override or {}
    return average(lambda d: override.get(((inst, ccy), d), holding(inst, ccy, d)) or 0,
                   year, month)


def presented(value: Fraction, places: int) -> D:
    """Half-up to ``places`` decimals from an exact fraction (independent of money.py)."""
    scaled = value * 10 ** places
    whole = int(scaled)  # values here are non-negative
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return D(whole).scaleb(-places)


def module_db_url(request, tmp_path_factory) -> str:
    """A database for a module-scoped fixture parametrized over ``sqlite``/``postgresql``
    (the ``db_url`` fixture of conftest is per test; a backfill shared by several tests
    needs one that lives for the module)."""
    import pgcluster

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'rrr.sqlite'}"
    server = request.getfixturevalue("postgres_url")
    name = pgcluster.unique_db_name(request.module.__name__.rsplit(".", 1)[-1])
    url = pgcluster.create_database(server, name)
    request.addfinalizer(lambda: pgcluster.drop_database(server, name))
    return url
