"""Shared fixtures. Database backends: the PostgreSQL machinery lives in tests/pgcluster.py."""

import pgcluster
import pytest


@pytest.fixture(autouse=True)
def no_configured_db(monkeypatch, tmp_path_factory):
    """Commands run without --db read $RRR_DB or a configuration file
    (rrr_engine.cli.common.db_setting): never those of whoever runs the tests."""
    monkeypatch.delenv("RRR_DB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture(scope="session")
def postgres_url():
    """URL of an empty database on a throwaway PostgreSQL server that lives for the session.

    Skips when PostgreSQL cannot be run here - but fails instead when CI=true, so that CI
    cannot pass by silently skipping every PostgreSQL test.
    """
    try:
        cluster = pgcluster.start()
    except pgcluster.PostgresUnavailable as exc:
        unavailable = str(exc)
    else:
        unavailable = None
    if unavailable and pgcluster.missing_is_fatal():
        pytest.fail(f"PostgreSQL is required on CI (CI=true): {unavailable}", pytrace=False)
    if unavailable:
        pytest.skip(f"PostgreSQL not available: {unavailable}")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def fresh_pg_url(postgres_url, request):
    """URL of a new, empty PostgreSQL database for this test only (dropped afterwards)."""
    name = pgcluster.unique_db_name(request.node.name)
    url = pgcluster.create_database(postgres_url, name)
    yield url
    pgcluster.drop_database(postgres_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Run the test once per backend: a SQLite file in tmp_path, then a fresh PG database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("fresh_pg_url")
