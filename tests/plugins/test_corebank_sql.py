"""Tests of the core-banking SQL adapter (plugins/rrr_corebank_sql).

Expected figures never come from the code under test: the rule tests spell out each account's
category by hand, and the generated-bank test classifies the raw rows with a plain Python
reading of Circular 30 Art. 8 and sums them with ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pluggy
import pytest
import sqlalchemy as sa

from rrr_corebank_sql import (
    explain_account,
    fx_rates,
    holdings,
    load_mapping,
    plugin,
    snapshot_day,
)
from rrr_corebank_sample import generate as gen
from rrr_corebank_sample import generate_bank, sample_mapping_path
from rrr_engine.errors import InputError
from rrr_engine.rules.pack import load_pack
from rrr_engine.hooks import spec as hookspecs

ROOT = Path(__file__).resolve().parents[2]
VN_PACK = ROOT / "rulesets" / "vn-sbv"
FIXTURES = ROOT / "tests" / "fixtures" / "corebank"
MINOR = {"VND": 0, "USD": 2, "EUR": 2, "JPY": 0}
D1, D2 = dt.date(2025, 9, 30), dt.date(2025, 10, 1)


def _conftest_defines(name: str) -> bool:
    """Whether a conftest above this file (e.g. the shared tests/conftest.py) has the fixture."""
    here = Path(__file__).resolve().parent
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).name == "conftest.py" and here.is_relative_to(
                Path(file).resolve().parent):
            if any(attr == name or getattr(obj, "name", None) == name
                   for attr, obj in vars(module).items()):
                return True
    return False


if not _conftest_defines("db_url"):
    # Fallback until the shared conftest provides ``db_url``: SQLite always, and PostgreSQL
    # when RRR_TEST_POSTGRES_URL names a server where databases may be created.
    _PG = os.environ.get("RRR_TEST_POSTGRES_URL")

    @pytest.fixture(params=["sqlite"] + (["postgresql"] if _PG else []))
    def db_url(request: pytest.FixtureRequest, tmp_path: Path):
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / 'bank.db'}"
            return
        name = f"rrr_corebank_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(_PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(_PG).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


# --- a hand-made bank: one account per rule kind -------------------------------------------

def _acct(meta: sa.MetaData) -> sa.Table:
    return sa.Table("acct", meta,
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("inst", sa.String(10)), sa.Column("ccy", sa.String(3)),
                    sa.Column("gl", sa.String(10)), sa.Column("term", sa.Integer),
                    sa.Column("dtype", sa.String(16)), sa.Column("margin", sa.Boolean),
                    sa.Column("ovs", sa.Boolean), sa.Column("escrow", sa.Boolean))


FLAT = sa.MetaData()
ACCT = _acct(FLAT)
# No key: the error tests need rows a real schema would refuse.
BAL = sa.Table("bal", FLAT, sa.Column("id", sa.Integer), sa.Column("d", sa.Date),
               sa.Column("amt", sa.BigInteger))

# id, institution, currency, GL, term, depositor, margin, overseas branch, escrow,
# balance in minor units on D1, the category the law gives it (None = excluded), why
ACCOUNTS = [
    (1, "BANK_A", "VND", "4211", 0, "domestic_ci", False, False, False, 1_000_000_000, None,
     "deposit of a credit institution in Vietnam"),
    (2, "BANK_A", "VND", "4211", 0, "company", True, False, False, 2_000_000, None, "margin"),
    (3, "BANK_A", "USD", "4221", 0, "individual", False, True, False, 300, None,
     "booked at an overseas branch"),
    (4, "BANK_A", "USD", "4222", 24, "overseas_ci", False, False, False, 400_000_00,
     "fx_overseas_ci", "FX of an overseas CI, whatever its term"),
    (5, "BANK_A", "VND", "4211", 0, "overseas_ci", False, False, False, 5_000, "vnd_short",
     "VND of an overseas CI is ordinary VND"),
    (6, "BANK_A", "VND", "4231", 12, "individual", False, False, False, 60_000, "vnd_long",
     "12 months is long"),
    (7, "BANK_A", "VND", "4212", 11, "individual", False, False, False, 700_000, "vnd_short",
     "11 months is short"),
    (8, "BANK_A", "VND", "4214", 24, "company", False, False, False, 8_000_000, "vnd_short",
     "GL 4214 rule comes before the term rules"),
    (9, "BANK_A", "EUR", "4221", 0, "individual", False, False, False, 90_001, "fx_short",
     "FX demand by GL 4221"),
    (10, "BANK_A", "JPY", "4222", 12, "company", False, False, False, 1_000_000, "fx_long",
     "FX 12 months is long"),
    (11, "BANK_A", "USD", "4222", 6, "company", False, False, False, 1_100_001, "fx_short",
     "FX 6 months is short"),
    (12, "BANK_B", "VND", "4212", 36, "individual", False, False, False, 12_000, "vnd_long",
     "second institution"),
    (13, "BANK_A", "VND", "4211", 0, "domestic_ci", True, False, False, 13, None,
     "two exclusions at once"),
    (14, "BANK_A", "VND", "4231", 3, "individual", False, False, True, 14_000_000, None,
     "a named extra flag (escrow)"),
    (15, "BANK_A", "VND", "4212", 1, "individual", None, False, None, 15, "vnd_short",
     "a NULL flag counts as false"),
]


def _flat_bank(url: str, extra_accounts=(), extra_balances=()) -> sa.Engine:
    engine = sa.create_engine(url)
    FLAT.drop_all(engine)
    FLAT.create_all(engine)
    cols = ["id", "inst", "ccy", "gl", "term", "dtype", "margin", "ovs", "escrow"]
    with engine.begin() as conn:
        conn.execute(ACCT.insert(),
                     [dict(zip(cols, a[:9])) for a in ACCOUNTS + list(extra_accounts)])
        conn.execute(BAL.insert(), [{"id": a[0], "d": D1, "amt": a[9]} for a in ACCOUNTS])
        # The next day differs, so a missing date filter would show in every total.
        conn.execute(BAL.insert(), [{"id": a[0], "d": D2, "amt": a[9] + 7} for a in ACCOUNTS])
        if extra_balances:
            conn.execute(BAL.insert(), list(extra_balances))
    return engine


def _by_hand() -> dict[tuple[str, str, str], Decimal]:
    totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for a in ACCOUNTS:
        if a[10] is not None:
            totals[(a[1], a[10], a[2])] += Decimal(a[9]) / Decimal(10) ** MINOR[a[2]]
    return dict(totals)


def _totals(rows) -> dict[tuple[str, str, str], Decimal]:
    return {(r.institution_id, r.category, r.currency): r.amount for r in rows}


@pytest.fixture
def flat_mapping():
    return load_mapping(FIXTURES / "flat_mapping.yaml")


def test_each_account_lands_where_the_law_puts_it(db_url, flat_mapping):
    engine = _flat_bank(db_url)
    with engine.connect() as conn:
        for a in ACCOUNTS:
            _, outcome = explain_account(conn, flat_mapping, D1, a[0])
            expected = f"category {a[10]}" if a[10] else "excluded:"
            assert outcome.startswith(expected), f"account {a[0]} ({a[11]}): {outcome}"
    engine.dispose()


def test_snapshot_totals_equal_a_plain_sum_of_the_accounts(db_url, flat_mapping):
    engine = _flat_bank(db_url)
    with engine.connect() as conn:
        rows = snapshot_day(conn, flat_mapping, D1)
    engine.dispose()
    assert _totals(rows) == _by_hand()
    assert {r.date for r in rows} == {D1}
    assert all(isinstance(r.amount, Decimal) for r in rows)
    # Exact to the cent, not merely equal after rounding.
    assert _totals(rows)[("BANK_A", "fx_short", "USD")] == Decimal("11000.01")


def test_first_matching_rule_wins(db_url, flat_mapping):
    rules = flat_mapping.classification
    # Term rules before the GL rules: account 8 (GL 4214, 24 months) becomes long.
    reordered = flat_mapping.model_copy(
        update={"classification": rules[:5] + rules[7:] + rules[5:7]})
    engine = _flat_bank(db_url)
    with engine.connect() as conn:
        assert explain_account(conn, flat_mapping, D1, 8) == (5, "category vnd_short")
        assert explain_account(conn, reordered, D1, 8)[1] == "category vnd_long"
        # The first exclusion decides an account two exclusions match.
        assert explain_account(conn, flat_mapping, D1, 13) == (
            0, "excluded: deposits of credit institutions in Vietnam")
    engine.dispose()


def test_constant_institution_id_replaces_the_column(db_url):
    text = (FIXTURES / "flat_mapping.yaml").read_text()
    text = text.replace("    institution_id: inst\n", "").replace(
        "  table: acct\n", "  table: acct\n  institution_id: SOLO\n", 1)
    from rrr_corebank_sql import parse_mapping
    mapping = parse_mapping(text)
    engine = _flat_bank(db_url)
    with engine.connect() as conn:
        rows = snapshot_day(conn, mapping, D1)
    engine.dispose()
    merged: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for (_, category, currency), amount in _by_hand().items():
        merged[("SOLO", category, currency)] += amount
    assert _totals(rows) == dict(merged)


def test_the_categories_are_the_packs(tmp_path):
    """A rule's category is checked against the pack the engine runs, not a built-in list:
    the ECB pack's category is accepted, a Vietnamese one refused there, naming the line."""
    from rrr_corebank_sql import parse_mapping
    text = (FIXTURES / "flat_mapping.yaml").read_text()
    ecb = tuple(load_pack(ROOT / "rulesets" / "ecb-mro").header.categories)
    vn = tuple(load_pack(VN_PACK).header.categories)
    assert parse_mapping(text, categories=vn).classification  # the mapping is written for vn
    with pytest.raises(InputError) as refused:
        parse_mapping(text, categories=ecb)
    message = str(refused.value)
    assert "classification[4].category" in message
    first = next(i for i, line in enumerate(text.splitlines(), start=1) if "category: " in line)
    assert f"<mapping>:{first}:" in message
    assert "'fx_overseas_ci' is not a category of the rule pack" in message
    assert "overnight_deposits" in message
    renamed = text
    for category in vn:
        renamed = renamed.replace(f"category: {category}", "category: overnight_deposits")
    assert {r.category for r in parse_mapping(renamed, categories=ecb).classification
            if r.category} == {"overnight_deposits"}


def test_unmatched_account_is_an_error_with_count_and_example(db_url, flat_mapping):
    # A USD deposit with no term matches no rule (NULL matches no term condition).
    odd = [(90, "BANK_A", "USD", "4299", None, "company", False, False, False),
           (91, "BANK_A", "USD", "4299", None, "company", False, False, False)]
    engine = _flat_bank(db_url, odd, [{"id": 91, "d": D1, "amt": 5}, {"id": 90, "d": D1, "amt": 5}])
    with engine.connect() as conn, pytest.raises(InputError) as err:
        snapshot_day(conn, flat_mapping, D1)
    engine.dispose()
    assert ("2 account(s) with a balance on 2025-09-30 match no classification rule"
            in str(err.value))
    assert err.value.account_id == 90


def test_unmatched_exclude_leaves_them_out(db_url, flat_mapping):
    odd = [(90, "BANK_A", "USD", "4299", None, "company", False, False, False)]
    engine = _flat_bank(db_url, odd, [{"id": 90, "d": D1, "amt": 5}])
    lenient = flat_mapping.model_copy(update={"unmatched": "exclude"})
    with engine.connect() as conn:
        assert _totals(snapshot_day(conn, lenient, D1)) == _by_hand()
    engine.dispose()


def test_negative_balance_names_account_and_date(db_url, flat_mapping):
    engine = _flat_bank(db_url)
    with engine.begin() as conn:
        conn.execute(BAL.update().where(BAL.c.id == 11, BAL.c.d == D1).values(amt=-250))
    with engine.connect() as conn, pytest.raises(InputError) as err:
        snapshot_day(conn, flat_mapping, D1)
    engine.dispose()
    message = str(err.value)
    assert "account 11 has a negative end-of-day balance of -2.50 USD on 2025-09-30" in message
    assert "\n" not in message and (err.value.account_id, err.value.date) == (11, D1)


def test_negative_balance_of_an_excluded_account_does_not_stop_the_run(db_url, flat_mapping):
    engine = _flat_bank(db_url)
    with engine.begin() as conn:
        conn.execute(BAL.update().where(BAL.c.id == 3, BAL.c.d == D1).values(amt=-1))
    with engine.connect() as conn:
        assert _totals(snapshot_day(conn, flat_mapping, D1)) == _by_hand()
    engine.dispose()


def test_balance_of_an_unknown_account_is_an_error(db_url, flat_mapping):
    engine = _flat_bank(db_url, (), [{"id": 777, "d": D1, "amt": 1}])
    # Even where unmatched accounts may be dropped: the row is broken, not unclassified.
    lenient = flat_mapping.model_copy(update={"unmatched": "exclude"})
    for mapping in (flat_mapping, lenient):
        with engine.connect() as conn, pytest.raises(
                InputError, match="1 balance row.s. on 2025-09-30 name an account missing from "
                                  "table acct, e.g. account 777"):
            snapshot_day(conn, mapping, D1)
    engine.dispose()


def test_null_balance_is_an_error_not_a_zero(db_url, flat_mapping):
    engine = _flat_bank(db_url)
    with engine.begin() as conn:
        conn.execute(BAL.update().where(BAL.c.id == 6, BAL.c.d == D1).values(amt=None))
    with engine.connect() as conn, pytest.raises(InputError,
                                                 match="no amount .NULL., e.g. account 6"):
        snapshot_day(conn, flat_mapping, D1)
    engine.dispose()


def test_binary_float_amounts_are_refused(db_url, flat_mapping):
    engine = sa.create_engine(db_url)
    meta = sa.MetaData()
    acct = _acct(meta)
    bal = sa.Table("bal", meta, sa.Column("id", sa.Integer), sa.Column("d", sa.Date),
                   sa.Column("amt", sa.Float))
    meta.drop_all(engine)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(acct.insert(), [{"id": 7, "inst": "A", "ccy": "VND", "gl": "4212", "term": 3,
                                      "dtype": "individual"}])
        conn.execute(bal.insert(), [{"id": 7, "d": D1, "amt": 0.1}, {"id": 7, "d": D1, "amt": 0.2}])
    exact_column = flat_mapping.model_copy(update={
        "balances": flat_mapping.balances.model_copy(update={"scale": None})})
    with engine.connect() as conn, pytest.raises(InputError, match="binary double"):
        snapshot_day(conn, exact_column, D1)
    engine.dispose()


def test_numeric_column_sums_exactly_where_the_database_has_decimals(db_url, flat_mapping):
    engine = sa.create_engine(db_url)
    meta = sa.MetaData()
    acct = _acct(meta)
    bal = sa.Table("bal", meta, sa.Column("id", sa.Integer), sa.Column("d", sa.Date),
                   sa.Column("amt", sa.Numeric(20, 2)))
    meta.drop_all(engine)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(acct.insert(), [{"id": 7, "inst": "A", "ccy": "USD", "gl": "4222", "term": 3,
                                      "dtype": "individual"}])
        conn.execute(bal.insert(), [{"id": 7, "d": D1, "amt": Decimal("0.10")},
                                    {"id": 7, "d": D1, "amt": Decimal("0.20")}])
    exact_column = flat_mapping.model_copy(update={
        "balances": flat_mapping.balances.model_copy(update={"scale": None})})
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # SQLite has no decimal type: the adapter refuses rather than guess.
            with pytest.raises(InputError):
                snapshot_day(conn, exact_column, D1)
        else:
            assert _totals(snapshot_day(conn, exact_column, D1)) == {
                ("A", "fx_short", "USD"): Decimal("0.30")}
    engine.dispose()


# --- the generated bank -------------------------------------------------------------------

START, END = dt.date(2025, 8, 28), dt.date(2025, 9, 8)  # Thu .. Mon, two weekends


def _law(ctype: str, margin: bool, overseas: bool, gl: str, currency: str, term: int):
    """Circular 30 Art. 8 as the domain brief states it, plus the bank's GL practice."""
    if ctype == "domestic_ci" or margin or overseas:
        return None
    if currency != "VND":
        if ctype == "overseas_ci":
            return "fx_overseas_ci"
        return "fx_short" if gl == "4221" or term < 12 else "fx_long"
    return "vnd_short" if gl in ("4211", "4214") or term < 12 else "vnd_long"


def _independent_totals(url: str) -> dict[tuple[str, dt.date, str, str], Decimal]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctype = dict(conn.execute(sa.select(gen.CUSTOMER)).all())
        gl = {p.product_code: p.gl_account for p in conn.execute(sa.select(gen.PRODUCT))}
        branch = {b.branch_code: b for b in conn.execute(sa.select(gen.BRANCH))}
        accounts = {a.account_id: a for a in conn.execute(sa.select(gen.ACCOUNT))}
        balances = conn.execute(sa.select(gen.BALANCE)).all()
    engine.dispose()
    totals: dict[tuple[str, dt.date, str, str], Decimal] = defaultdict(Decimal)
    for day, account_id, minor in balances:
        a = accounts[account_id]
        b = branch[a.branch_code]
        category = _law(ctype[a.customer_id], a.is_margin, b.is_overseas, gl[a.product_code],
                        a.currency_code, a.original_term_months)
        if category:
            key = (b.institution_id, day, category, a.currency_code)
            totals[key] += Decimal(minor) / Decimal(10) ** MINOR[a.currency_code]
    return dict(totals)


def _hooks():
    pm = pluggy.PluginManager("rrr_engine")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)
    return pm.hook


def test_generated_bank_totals_equal_an_independent_sum(db_url):
    generate_bank(db_url, accounts=300, start=START, end=END, seed=11)
    options = {"corebank_url": db_url, "corebank_mapping": str(sample_mapping_path())}
    rows = _hooks().rrr_daily_balances(options=options, start=START, end=END,
                                       vocabulary=load_pack(VN_PACK).header)
    got = {(r.institution_id, r.date, r.category, r.currency): r.amount for r in rows}
    expected = _independent_totals(db_url)
    assert got == expected
    assert {k[1] for k in got} == {START + dt.timedelta(days=i) for i in range(12)}
    assert {k[2] for k in got} == {"vnd_short", "vnd_long", "fx_overseas_ci", "fx_short", "fx_long"}


def test_weekend_balances_repeat_friday(db_url):
    generate_bank(db_url, accounts=120, start=START, end=END, seed=3)
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        day = {d: dict(conn.execute(sa.select(gen.BALANCE.c.account_id, gen.BALANCE.c.balance_minor)
                                    .where(gen.BALANCE.c.business_date == d)).all())
               for d in (dt.date(2025, 8, 29), dt.date(2025, 8, 30), dt.date(2025, 8, 31),
                         dt.date(2025, 9, 1))}
    engine.dispose()
    friday, saturday, sunday, monday = day.values()
    # Accounts opened over the weekend have no Friday balance to repeat.
    assert {a: saturday[a] for a in friday} == {a: sunday[a] for a in friday} == friday
    assert monday != friday  # business days do move


def test_generator_is_deterministic_for_a_seed(tmp_path):
    def dump(seed: int, name: str):
        url = f"sqlite:///{tmp_path / name}"
        generate_bank(url, accounts=80, start=START, end=START + dt.timedelta(days=3), seed=seed)
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            out = [conn.execute(sa.select(t).order_by(*t.primary_key.columns)).all()
                   for t in gen.METADATA.sorted_tables]
        engine.dispose()
        return out
    assert dump(5, "a.db") == dump(5, "b.db")
    assert dump(5, "c.db") != dump(6, "d.db")


def test_fx_rates_and_sbv_holdings_read_exactly(db_url):
    generate_bank(db_url, accounts=60, start=START, end=END, seed=2)
    mapping = load_mapping(sample_mapping_path())
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        rates = fx_rates(conn, mapping, dt.date(2025, 8, 1), dt.date(2025, 9, 30))
        held = holdings(conn, mapping, START, END)
        raw = conn.execute(sa.select(gen.SBV)).all()
    engine.dispose()
    assert {(r.date, r.currency) for r in rates} == {
        (d, c) for d in (dt.date(2025, 8, 31), dt.date(2025, 9, 30)) for c in ("USD", "EUR", "JPY")}
    assert all(r.domestic_per_unit == r.domestic_per_unit.quantize(Decimal("0.01")) > 0 for r in rates)
    assert {(h.institution_id, h.date, h.currency): h.amount for h in held} == {
        (i, d, c): Decimal(m) / Decimal(10) ** MINOR[c] for i, d, c, m in raw}
    assert len(held) == 2 * 12


# --- the plugin ---------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"corebank_url": "sqlite://"},
                                     {"corebank_mapping": "x.yaml"}, {"files": "bank.yaml"}])
def test_plugin_stays_silent_without_its_options(options):
    hook = _hooks()
    for name in ("rrr_daily_balances", "rrr_fx_rates", "rrr_holdings"):
        assert getattr(hook, name)(options=options, start=D1, end=D1,
                                   vocabulary=load_pack(VN_PACK).header) is None


# --- the mapping file ---------------------------------------------------------------------

@pytest.mark.parametrize("name, line, text", [
    ("bad_unknown_key", 8, "accounts.columns.term_month: unknown key; did you mean 'term_months'?"),
    ("bad_gl_unquoted", 12, "classification[1].gl_prefix: write GL prefixes as quoted strings"),
    ("bad_yaml_syntax", 5, "invalid YAML"),
    ("bad_duplicate_key", 10, "classification[0].currency: duplicate key"),
    ("bad_two_outcomes", 10, "classification[1]: give exactly one of exclude"),
    ("bad_unmapped_column", 9, "classification[0].margin: needs accounts.columns.margin"),
    ("bad_category", 8, "'vnd_shrot' is not a category of the rule pack; did you mean "
                        "'vnd_short'?"),
    ("bad_both_institutions", 2, "accounts: give exactly one of institution_id"),
    ("bad_boolean_value", 9, "depositor_type[1]: read as the boolean False; put the text in"),
])
def test_malformed_mapping_names_file_and_line(name, line, text):
    path = FIXTURES / f"{name}.yaml"
    with pytest.raises(InputError) as err:
        load_mapping(path, categories=tuple(load_pack(VN_PACK).header.categories))
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert text in str(err.value)
    assert "\n" not in str(err.value) and err.value.line == line


def test_sample_mapping_is_valid():
    mapping = load_mapping(sample_mapping_path())
    assert [r.exclude for r in mapping.classification[:3]] == [
        "deposits of credit institutions established in Vietnam", "margin deposits",
        "overseas branches are outside the domestic network"]


def test_a_mapping_changed_between_calls_is_read_again(tmp_path):
    # the adapter keeps a parsed mapping between hook calls (a backfill asks three a day):
    # a file whose content changed at the same path must not be served from that cache
    bank = f"sqlite:///{tmp_path / 'bank.sqlite'}"
    generate_bank(bank, accounts=60, start=D1, end=D1, seed=5)
    mapping = tmp_path / "map.yaml"
    text = sample_mapping_path().read_text()
    options = {"corebank_url": bank, "corebank_mapping": str(mapping)}

    def categories():
        return {r.category for r in plugin.rrr_daily_balances(
            options=options, start=D1, end=D1, vocabulary=load_pack(VN_PACK).header)}

    mapping.write_text(text)
    assert "vnd_long" in categories()
    # every VND term deposit short: no vnd_long left
    mapping.write_text(text.replace("  - category: vnd_long\n", "  - category: vnd_short\n"))
    assert "vnd_long" not in categories() and "vnd_short" in categories()
