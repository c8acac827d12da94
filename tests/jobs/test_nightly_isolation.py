"""The nightly job with one bad institution among many: its rows or its stage get an error
entry, every other institution is stored; a re-run after the fix stores only what is missing
and leaves the store as an uninterrupted run does - on real SQLite and PostgreSQL.

"As an uninterrupted run does" is checked on ``Storage.dump()``: every snapshot, gap and result
row identical, and the audit log holding the same entries (chained in the order they were
written, which a completed run cannot share with an uninterrupted one) and verifying intact.
"""

import datetime as dt
import json
from decimal import Decimal as D

import pytest
from clirun import VN_PACK, rrr
from sqlalchemy import select

from rrr_engine import hookimpl
from rrr_engine.engine import Engine
from rrr_engine.jobs.nightly import NightlyJob
from rrr_engine.models import BalanceRow, EmptyDay, Institution
from rrr_engine.store import schema
from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest_for_period

SEPT = [dt.date(2025, 9, 1) + dt.timedelta(days=n) for n in range(30)]
DATES = SEPT + [dt.date(2025, 10, 1)]  # October's requirement is evaluated on its first day
BAD_DAY = dt.date(2025, 9, 15)


def bank(n: int) -> str:
    return f"BANK{n:04d}"


def amount(n: int, day: dt.date) -> D:
    """Whole đồng that differ by bank and by day."""
    return D(1_000_000_000 + n * 1_000 + day.day * 7)


class Feed:
    """A host plugin: ``n`` banks, one VND row each per weekday; ``bad`` bank's row of
    ``BAD_DAY`` is negative (as a core bank with a sign error would send it)."""

    def __init__(self, n: int, bad: int | None = None, empty: set[dt.date] = frozenset()):
        self.n, self.bad, self.empty = n, bad, empty
        self.institutions = [Institution(id=bank(i), name=f"Bank {i}", **{"class": "other_ci"})
                             for i in range(self.n)]

    @hookimpl
    def rrr_institutions(self, options):
        return self.institutions

    @hookimpl
    def rrr_daily_balances(self, options, start, end):
        rows = []
        for day in (start + dt.timedelta(days=k) for k in range((end - start).days + 1)):
            if day in self.empty:
                return EmptyDay("the bank was closed by decree")
            if day.weekday() >= 5:
                continue
            for i in range(self.n):
                value = -amount(i, day) if (i, day) == (self.bad, BAD_DAY) else amount(i, day)
                rows.append(BalanceRow(bank(i), day, "vnd_short", "VND", value))
        return rows


def run(url: str, feed: Feed, dates=DATES):
    with Storage.open(url) as store:
        return NightlyJob(Engine(VN_PACK, plugins=[feed]), store, {}).run(dates)


def parts(url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The dump without the audit log, and the audit log's entries (kind and data, without
    their place in the chain) as a sorted list."""
    with Storage.open(url) as store:
        lines = store.dump().splitlines()
    rows = [json.loads(ln.split(" ", 1)[1]) for ln in lines if ln.startswith("rrr_audit_log ")]
    entries = [json.loads(r["entry_json"]) for r in rows]
    audit = sorted((e["kind"], json.dumps(e["data"], sort_keys=True)) for e in entries)
    assert all(set(e) == {"kind", "data", "seq"} for e in entries)
    return [ln for ln in lines if not ln.startswith("rrr_audit_log ")], audit


def requirement(url: str) -> dict:
    with Storage.open(url) as store, store.transaction() as conn:
        return {r.institution_id: r for r in latest_for_period(conn, "2025-10", "requirement")}


def check_bad_then_fixed(url_bad: str, url_clean: str, n: int, bad: int, capsys) -> None:
    clean = run(url_clean, Feed(n))
    assert clean.exit_code == 0 and len(requirement(url_clean)) == n

    first = run(url_bad, Feed(n, bad))
    assert first.exit_code == 4
    assert {e.institution_id for e in first.errors} == {bank(bad)}
    refused, blocked = first.errors
    assert (refused.business_date, refused.stage, refused.code, refused.field) == (
        BAD_DAY, None, "input_error", "amount")
    assert refused.message == (f"amount: institution {bank(bad)}, 2025-09-15, vnd_short VND: "
                               f"negative balance -{amount(bad, BAD_DAY)}; expected zero or more")
    assert (blocked.period, blocked.stage, blocked.business_date) == ("2025-10", "requirement",
                                                                      BAD_DAY)
    assert "re-run the nightly for 2025-09-15" in blocked.message
    stored = requirement(url_bad)
    assert len(stored) == n - 1 and bank(bad) not in stored
    clean_stored = requirement(url_clean)  # read once: 1,000 results
    assert all(clean_stored[i].content_sha256 == r.content_sha256 for i, r in stored.items())
    with Storage.open(url_bad) as store:
        (run_log,) = store.runs()
        with store.transaction() as conn:
            gaps = conn.execute(select(schema.SNAPSHOT_GAPS)).all()
    summary = json.loads(run_log["summary_json"])
    assert (run_log["outcome"], run_log["exit_code"]) == ("partial", 4)
    assert [e["institution_id"] for e in summary["errors"]] == [bank(bad), bank(bad)]
    assert summary["errors"][0]["error"]["field"] == "amount"
    assert [(g.business_date, g.institution_id, g.code) for g in gaps] == [
        (BAD_DAY, bank(bad), "input_error")]

    again = run(url_bad, Feed(n))  # the core bank fixed the sign; the same dates again
    assert again.exit_code == 0 and again.errors == []
    assert [(d.day, d.snapshot, d.completed) for d in again.days if d.snapshot != "unchanged"] \
        == [(BAD_DAY, "completed", [bank(bad)])]
    assert [k for d in again.days for k in d.written] == [(bank(bad), "2025-10", "requirement", 1)]
    assert requirement(url_bad)[bank(bad)].as_of == dt.date(2025, 10, 1)
    assert parts(url_bad) == parts(url_clean)
    code, out, _ = rrr(capsys, "audit", "verify", "--db", url_bad)
    assert code == 0 and ", intact; head " in out


def test_one_bad_institution_among_1000_then_a_rerun_stores_only_it(tmp_path, capsys):
    check_bad_then_fixed(f"sqlite:///{tmp_path}/bad.sqlite", f"sqlite:///{tmp_path}/clean.sqlite",
                         1000, 500, capsys)


def test_one_bad_institution_on_postgresql(postgres_url, fresh_pg_url, tmp_path, capsys):
    import pgcluster
    clean = pgcluster.create_database(postgres_url, pgcluster.unique_db_name("clean"))
    try:
        check_bad_then_fixed(fresh_pg_url, clean, 40, 7, capsys)
    finally:
        pgcluster.drop_database(postgres_url, clean.rsplit("/", 1)[1])


def test_the_cli_exits_4_and_prints_each_entry_once(tmp_path, capsys):
    """``rrr nightly`` with files: a bank whose class the pack does not know among 60."""
    folder = tmp_path / "feed"
    folder.mkdir()
    banks = [f"- {{id: {bank(i)}, class: {'investment_bank' if i == 21 else 'other_ci'}}}"
             for i in range(60)]
    (folder / "banks.yaml").write_text("\n".join(banks) + "\n")
    rows = ["institution_id,date,category,currency,amount"] + [
        f"{bank(i)},{day},vnd_short,VND,{amount(i, day)}"
        for day in DATES if day.weekday() < 5 for i in range(60)]
    (folder / "balances.csv").write_text("\n".join(rows) + "\n")
    args = ["nightly", "--from", "2025-09-01", "--to", "2025-10-01", "--institutions",
            folder / "banks.yaml", "--balances", folder / "balances.csv", "--no-reports"]
    bad, clean = f"sqlite:///{tmp_path}/bad.sqlite", f"sqlite:///{tmp_path}/clean.sqlite"
    code, out, err = rrr(capsys, *args, "--db", bad)
    assert code == 4
    assert "FAILED 1 institution(s): BANK0021 (error entries on stderr" in out
    assert "requirement 2025-10: " in out and out.count(" v1") == 59
    errors = [ln for ln in err.splitlines() if ln.startswith("rrr: error: ")]
    assert errors == ["rrr: error: 2025-10 requirement: institution BANK0021: class: unknown "
                      "institution class 'investment_bank'; expected one of people_credit_fund, "
                      "microfinance, policy_bank, agribank, coop_bank, other_ci"]
    (folder / "banks.yaml").write_text("\n".join(banks).replace("investment_bank", "other_ci")
                                       + "\n")
    code, out, err = rrr(capsys, *args, "--db", bad)  # fixed: the same dates again
    assert code == 0 and "requirement 2025-10: BANK0021 v1" in out
    assert "1 result version(s) stored" in out
    code, _, _ = rrr(capsys, *args, "--db", clean)
    assert code == 0
    assert parts(bad) == parts(clean)


def test_a_day_empty_on_purpose_is_stored_with_a_warning(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/r.sqlite"
    days = [dt.date(2025, 9, 3), dt.date(2025, 9, 4), dt.date(2025, 9, 5)]  # Wed-Fri, working
    summary = run(url, Feed(3, empty={days[1]}), days)
    assert summary.exit_code == 0
    assert summary.days[1].warnings == [
        "2025-09-04 is a working day without balances, on purpose (the bank was closed by decree)"]
    with Storage.open(url) as store, store.transaction() as conn:
        stored = conn.execute(select(schema.SNAPSHOT_DAYS.c.business_date,
                                     schema.SNAPSHOT_DAYS.c.balance_rows)).all()
    assert sorted(stored) == [(days[0], 3), (days[1], 0), (days[2], 3)]


def test_empty_days_option_declares_a_file_feed_day_empty(tmp_path, capsys):
    (tmp_path / "banks.yaml").write_text("- {id: B, class: other_ci}\n")
    (tmp_path / "bal.csv").write_text("institution_id,date,category,currency,amount\n"
                                      "B,2025-09-03,vnd_short,VND,5\n")
    base = ["nightly", "--from", "2025-09-03", "--to", "2025-09-04", "--institutions",
            tmp_path / "banks.yaml", "--balances", tmp_path / "bal.csv", "--no-reports",
            "--db", f"sqlite:///{tmp_path}/r.sqlite"]
    code, _, err = rrr(capsys, *base)
    assert code == 2 and "2025-09-04 is a working day and the source gave no balances" in err
    code, _, err = rrr(capsys, *base, "--source", "empty_days=2025-09-04")
    assert code == 0
    assert ("rrr: warning: 2025-09-04 is a working day without balances, on purpose (listed in "
            "the source option empty_days)") in err
    code, _, err = rrr(capsys, *base, "--source", "empty_days=2025-09-31")
    assert code == 2 and "--source empty_days: '2025-09-31' is not a date" in err


def test_a_backfill_started_before_the_source_had_data_is_completed_not_refused(tmp_path):
    """A weekend stored empty (the source had nothing yet) is filled when the source has it."""
    url = f"sqlite:///{tmp_path}/r.sqlite"
    weekend = [dt.date(2025, 9, 6), dt.date(2025, 9, 7)]

    class Late(Feed):
        loaded = False

        @hookimpl
        def rrr_daily_balances(self, options, start, end):
            if not self.loaded:
                return []
            return [BalanceRow(bank(0), start, "vnd_short", "VND", D(5))]

    feed = Late(1)
    first = run(url, feed, weekend)
    assert [d.snapshot for d in first.days] == ["new", "new"]
    feed.loaded = True  # the core bank now has rows for every calendar day
    again = run(url, feed, weekend)
    assert [(d.snapshot, d.completed) for d in again.days] == [("completed", [bank(0)])] * 2
    with Storage.open(url) as store, store.transaction() as conn:
        rows = conn.execute(select(schema.SNAPSHOT_DAYS.c.balance_rows,
                                   schema.SNAPSHOT_DAYS.c.revision)).all()
        restated = conn.execute(select(schema.RESTATEMENTS)).all()
    assert rows == [(1, 1), (1, 1)] and restated == []


@pytest.mark.parametrize("row, field, message", [
    (BalanceRow("NOPE", BAD_DAY, "vnd_short", "VND", D(1)), "institution_id",
     "institution 'NOPE' is not in the institutions list"),
    (BalanceRow(bank(1), BAD_DAY, "vnd_savings", "VND", D(1)), "category",
     "unknown category 'vnd_savings'"),
    (BalanceRow(bank(1), BAD_DAY, "vnd_long", "USD", D(1)), "currency",
     "category vnd_long cannot hold USD deposits"),
    (BalanceRow(bank(1), BAD_DAY, "vnd_long", "VND", 0.5), "amount",
     "amounts must be finite Decimal values, never float"),
    (BalanceRow(bank(1), BAD_DAY, "vnd_short", "VND", D(1)), "institution_id",
     "BANK0001, 2025-09-15, vnd_short VND: duplicate row (same institution, date, category "
     "and currency as row "),
    (BalanceRow("B\x00", BAD_DAY, "vnd_short", "VND", D(1)), "institution_id",
     "'B\\x00' contains the control or invisible character U+0000; an institution id is "
     "printable text"),
])
def test_each_kind_of_bad_row_refuses_only_its_institution(row, field, message, db_url):
    class Extra(Feed):
        @hookimpl
        def rrr_daily_balances(self, options, start, end):
            return super().rrr_daily_balances(options, start, end) + (
                [row] if start == BAD_DAY else [])

    summary = run(db_url, Extra(3), [BAD_DAY])
    assert summary.exit_code == 4
    (err,) = summary.errors
    assert err.field == field and message in err.message and err.message.isprintable()
    with Storage.open(db_url) as store, store.transaction() as conn:
        stored = {r.institution_id for r in conn.execute(select(schema.DAILY_TOTALS)).all()}
    assert stored == {bank(i) for i in range(3)} - {row.institution_id}
