"""Each hook, exercised through a real engine and store with an in-test host plugin.

``HostBank`` is what a core-banking system would register: its own source of institutions,
balances, FX rates and holdings (the nightly_data feed, generated in Python rather than read
from files), registered with ``Engine(plugins=[...])`` - no edit of the package, no files.
"""

import datetime as dt
from decimal import Decimal as D

import nightly_data as nd
import pytest
from clirun import VN_PACK
from sqlalchemy import select

from rrr_engine import hookimpl
from rrr_engine.engine import Engine
from rrr_engine.errors import PluginError
from rrr_engine.jobs.nightly import NightlyJob
from rrr_engine.models import BalanceRow, FxRate, HoldingRow, Institution
from rrr_engine.store import schema
from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest_for_period

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)


class HostBank:
    """A host adapter answering only when the options say ``host_bank``."""

    def __init__(self, *, scale=D(1), balances=True):
        self.scale, self.balances = scale, balances
        self.asked: list[tuple[str, dt.date, dt.date]] = []

    @hookimpl
    def rrr_institutions(self, options):
        if not options.get("host_bank"):
            return None
        return [Institution(id=i, name=i, **{"class": c}) for i, c in nd.CLASSES.items()]

    @hookimpl
    def rrr_daily_balances(self, options, start, end):
        if not (options.get("host_bank") and self.balances):
            return None
        self.asked.append(("balances", start, end))
        return [BalanceRow(k[0], d, k[1], k[2], nd.balance(k, d) * self.scale)
                for d in nd.dates(start, end) if nd.business_day(d) for k in nd.BALANCE_BASES]

    @hookimpl
    def rrr_fx_rates(self, options, start, end):
        if not options.get("host_bank"):
            return None
        return [FxRate(d, c, nd.fx_rate(c, d)) for d in nd.dates(start, end)
                if nd.business_day(d) for c in sorted(nd.RATES)]

    @hookimpl
    def rrr_holdings(self, options, start, end):
        if not options.get("host_bank"):
            return None
        return [HoldingRow(i, d, c, nd.holding(i, c, d)) for d in nd.dates(start, end)
                if nd.business_day(d) for i in nd.CLASSES for c in ("VND", "USD")
                if nd.holding(i, c, d) is not None]


class Collector:
    def __init__(self):
        self.published, self.reports = [], []

    @hookimpl
    def rrr_publish_results(self, options, results):
        self.published.append(results)

    @hookimpl
    def rrr_report_written(self, options, path, kind, period):
        assert path.exists() and path.stat().st_size > 0  # complete before we are told
        self.reports.append((path.name, kind, period))


def run_nightly(url, plugins, sources, days=None, reports=None):
    engine = Engine(VN_PACK, plugins=plugins, entry_points=False)
    with Storage.open(url) as store:
        job = NightlyJob(engine, store, sources, reports_dir=reports)
        return job.run(days or nd.dates(START, END))


def close_of(url, month):
    with Storage.open(url) as store, store.transaction() as conn:
        return {r.institution_id: r for r in latest_for_period(conn, month, "close")}


def test_hook_rrr_institutions(tmp_path):
    engine = Engine(VN_PACK, plugins=[HostBank()], entry_points=False)
    assert [i.id for i in engine.hooks.institutions({"host_bank": True})] == [
        "BANK1", "BANK2", "BANK3"]
    with pytest.raises(PluginError, match="no plugin provides institutions"):
        engine.hooks.institutions({})


def test_hook_rrr_daily_balances(db_url):
    host = HostBank()
    summary = run_nightly(db_url, [host], {"host_bank": True})
    # the nightly job asks for exactly one business date at a time
    assert host.asked == [("balances", d, d) for d in nd.dates(START, END)]
    bank1 = close_of(db_url, "2025-09")["BANK1"]
    want = nd.expected_required("BANK1", 2025, 9)
    assert D(bank1.presented["required"]["VND"]) == nd.presented(want["VND"], 0)
    assert [r.key for r in summary.shortfalls] == [("BANK1", "2025-09", "close", 1)]


def test_a_host_plugin_overrides_the_builtin_file_plugin(tmp_path):
    """Files name every source, yet the host's balances (all doubled) win: no package edit."""
    files = nd.write_feed(tmp_path / "feed", START, END)
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run_nightly(url, [HostBank(scale=D(2), balances=True)], {**files, "host_bank": True})
    got = close_of(url, "2025-09")["BANK1"].presented["required"]
    want = nd.expected_required("BANK1", 2025, 9)
    assert D(got["VND"]) == nd.presented(2 * want["VND"], 0)
    # and a host that does not answer leaves the file plugin in charge
    url2 = f"sqlite:///{tmp_path / 'r2.sqlite'}"
    run_nightly(url2, [HostBank(balances=False)], {**files, "host_bank": True})
    got = close_of(url2, "2025-09")["BANK1"].presented["required"]
    assert D(got["VND"]) == nd.presented(want["VND"], 0)


def test_hook_rrr_fx_rates(tmp_path):
    engine = Engine(VN_PACK, plugins=[HostBank()], entry_points=False)
    rates = engine.hooks.fx_rates({"host_bank": True}, dt.date(2025, 9, 30), dt.date(2025, 9, 30))
    assert rates == [FxRate(dt.date(2025, 9, 30), "EUR", D(27500 + 90 + 9)),
                     FxRate(dt.date(2025, 9, 30), "USD", D(26000 + 90 + 9))]
    # BANK1's EUR deposits are converted through VND at the host's last September rates
    result = engine.to_json(engine.evaluate_sources("2025-10", {"host_bank": True}))[0]
    line = next(ln for ln in result["lines"] if ln["category"] == "fx_short")
    eur = nd.average(lambda d: nd.balance(("BANK1", "fx_short", "EUR"), d), 2025, 9)
    usd = nd.average(lambda d: nd.balance(("BANK1", "fx_short", "USD"), d), 2025, 9)
    assert D(line["average_base"]) == nd.presented(usd + eur * 27599 / 26099, 2)


def test_hook_rrr_holdings(db_url):
    run_nightly(db_url, [HostBank()], {"host_bank": True})
    bank2 = close_of(db_url, "2025-09")["BANK2"]
    held = nd.expected_held("BANK2", "VND", 2025, 9)
    assert D(bank2.presented["held"]["VND"]) == nd.presented(held, 0)


def test_hook_rrr_publish_results(tmp_path):
    collector = Collector()
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    run_nightly(url, [HostBank(), collector], {"host_bank": True})
    # published after each committing date that stored results: Sep 1 and Oct 1
    assert [sorted({(r["maintenance_period"], r["stage"]) for r in batch})
            for batch in collector.published] == [
        [("2025-09", "requirement")], [("2025-09", "close"), ("2025-10", "requirement")]]
    first = collector.published[0][0]
    assert first["result_version"] == 1 and first["institution_id"] == "BANK1"
    # re-running a date publishes the same versions again (receivers key on the version)
    again = Collector()
    run_nightly(url, [HostBank(), again], {"host_bank": True}, days=[dt.date(2025, 10, 1)])
    assert again.published == collector.published[1:]


def test_hook_rrr_report_written(tmp_path):
    collector = Collector()
    run_nightly(f"sqlite:///{tmp_path / 'r.sqlite'}", [HostBank(), collector], {"host_bank": True},
                reports=tmp_path / "reports")
    september = [(name, kind) for name, kind, period in collector.reports if period == "2025-09"]
    # on September 1 the requirement's reports; on October 1, with the close, all of them again
    assert sorted(september[:3]) == [
        ("rrr_2025-09.xlsx", "xlsx"), ("rrr_2025-09_dtbb001.csv", "dtbb001_csv"),
        ("rrr_2025-09_requirement.csv", "requirement_csv")]
    assert sorted(september[3:]) == [
        ("rrr_2025-09.xlsx", "xlsx"), ("rrr_2025-09_BANK1_holdings.png", "chart_png"),
        ("rrr_2025-09_BANK2_holdings.png", "chart_png"),
        ("rrr_2025-09_dtbb001.csv", "dtbb001_csv"),
        ("rrr_2025-09_obligation.csv", "obligation_csv"),
        ("rrr_2025-09_requirement.csv", "requirement_csv")]


class Misbehaving(HostBank):
    def __init__(self, bad):
        super().__init__()
        self.bad = bad

    @hookimpl
    def rrr_daily_balances(self, options, start, end):
        rows = super().rrr_daily_balances(options, start, end)
        if self.bad == "float":
            return [BalanceRow(r.institution_id, r.date, r.category, r.currency, float(r.amount))
                    for r in rows]
        if self.bad == "date":
            return [BalanceRow(r.institution_id, r.date - dt.timedelta(days=1), r.category,
                               r.currency, r.amount) for r in rows]
        return rows + [BalanceRow("NOBODY", start, "vnd_short", "VND", D(1))]


def test_a_plugin_breaking_the_contract_is_refused_and_nothing_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with pytest.raises(PluginError, match="rrr_daily_balances was asked for 2025-08-01 and "
                                          "returned a row dated 2025-07-31"):
        run_nightly(url, [Misbehaving("date")], {"host_bank": True}, days=[START])
    with Storage.open(url) as store:
        assert store.dump() == ""


@pytest.mark.parametrize("bad, failed, message", [
    ("float", {"BANK1", "BANK2", "BANK3"}, "amounts must be finite Decimal values, never float"),
    ("stranger", {"NOBODY"}, "institution 'NOBODY' is not in the institutions list"),
])
def test_a_plugins_bad_rows_refuse_only_their_institutions(tmp_path, bad, failed, message):
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    summary = run_nightly(url, [Misbehaving(bad)], {"host_bank": True}, days=[START])
    assert {e.institution_id for e in summary.errors} == failed
    assert all(message in e.message for e in summary.errors)
    assert summary.exit_code == (2 if bad == "float" else 4)  # all failed, or some
    with Storage.open(url) as store, store.transaction() as conn:
        stored = {r.institution_id for r in conn.execute(select(schema.DAILY_TOTALS))}
    assert stored == {"BANK1", "BANK2", "BANK3"} - failed


