"""The nightly job over the SQL core-banking adapter, on SQLite and on PostgreSQL.

The synthetic bank (same seed, same bank) is generated into each backend, the nightly job reads
it through the corebank plugin and stores its results in the same backend; both stores must
hold the same canonical dump, and the stored figures must equal a direct evaluation of the
same source.
"""

import datetime as dt

import pgcluster
from clirun import VN_PACK

from rrr_corebank_sample import generate
from rrr_corebank_sql import plugin
from rrr_engine.engine import Engine
from rrr_engine.jobs.nightly import NightlyJob
from rrr_engine.periods import days_between
from rrr_engine.store.database import Storage
from rrr_engine.store.results import latest_for_period

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)


def nightly(bank_url, results_url, folder):
    generate.generate_bank(bank_url, accounts=150, start=START, end=END, seed=11)
    folder.mkdir(exist_ok=True)
    (folder / "banks.yaml").write_text('- {id: DEMO, name: "Demo", class: other_ci}\n')
    sources = {"institutions": str(folder / "banks.yaml"), "corebank_url": bank_url,
               "corebank_mapping": str(generate.sample_mapping_path())}
    engine = Engine(VN_PACK, plugins=[plugin], entry_points=False)
    with Storage.open(results_url) as store:
        NightlyJob(engine, store, sources).run(days_between(START, END))
        with store.transaction() as conn:
            (close,) = latest_for_period(conn, "2025-09", "close")
            (october,) = latest_for_period(conn, "2025-10", "requirement")
        direct = engine.to_json(engine.evaluate_sources("2025-09", sources))
        assert close.presented == direct[0]
        no_holdings = engine.to_json(engine.evaluate_sources(
            "2025-10", {**sources, "corebank_mapping": str(_without_holdings(folder))}))
        assert october.presented == no_holdings[0]
        return store.dump()


def _without_holdings(folder):
    """The sample mapping minus its holdings section: a source with no SBV balances."""
    import yaml

    mapping = yaml.safe_load(generate.sample_mapping_path().read_text())
    mapping.pop("holdings", None)
    path = folder / "no_holdings.yaml"
    path.write_text(yaml.safe_dump(mapping))
    return path


def test_nightly_over_the_core_bank_stores_the_same_on_sqlite_and_postgresql(tmp_path,
                                                                            postgres_url):
    on_sqlite = nightly(f"sqlite:///{tmp_path / 'bank.sqlite'}",
                        f"sqlite:///{tmp_path / 'rrr.sqlite'}", tmp_path / "s")
    names = [pgcluster.unique_db_name(n) for n in ("bank", "results")]
    try:
        bank, results = (pgcluster.create_database(postgres_url, n) for n in names)
        on_postgres = nightly(bank, results, tmp_path / "p")
    finally:
        for n in names:
            pgcluster.drop_database(postgres_url, n)
    assert on_sqlite == on_postgres
    assert on_sqlite.count("rrr_results ") == 3  # requirement 09, close 09, requirement 10
