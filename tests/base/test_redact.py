"""Secrets are never printed, logged or stored: every URL form, every --source key naming a
secret, and secrets read from the environment or a file."""

import json

import nightly_data as nd
import pytest
from clirun import VN_PACK, rrr

from rrr_engine.cli.nightly import logged_command
from rrr_engine.errors import InputError
from rrr_engine.redact import mask_option, mask_url, resolve, scrub, secrets_in
from rrr_engine.store.database import Storage, display_url

SECRET = "s3cr@t/pa?ss=w0rd"  # an '@', a '/' and a '?name=' inside the password


@pytest.mark.parametrize("url, shown", [
    ("postgresql://u:pw@host/db", "postgresql://u:***@host/db"),
    # masked whole, not up to its first '@'
    ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),
    (f"postgresql://u:{SECRET}@host:5432/db", "postgresql://u:***@host:5432/db"),
    ("postgresql://u:p%40ss@host/db", "postgresql://u:***@host/db"),
    ("postgresql://u@host/db?password=zz&sslmode=require",
     "postgresql://u@host/db?password=***&sslmode=require"),
    ("postgresql://u:pw@host/db?user=a@b&sslpassword=q&application_name=rrr",
     "postgresql://u:***@host/db?user=a@b&sslpassword=***&application_name=rrr"),
    ("https://api.example/v1?api_key=K1&x=1", "https://api.example/v1?api_key=***&x=1"),
    ("sqlite:///out/rrr.sqlite", "sqlite:///out/rrr.sqlite"),
])
def test_every_url_form_hides_its_secrets(url, shown):
    assert mask_url(url) == shown
    assert display_url(url) == shown


@pytest.mark.parametrize("key", ["password", "corebank_password", "API_TOKEN", "secret",
                                 "sftp_key", "credentials", "auth_header", "db_pwd"])
def test_an_option_whose_key_names_a_secret_is_hidden_whole(key):
    assert mask_option(key, "hunter2") == "***"


def test_other_options_are_shown_with_their_urls_masked():
    assert mask_option("balances", "feed/balances.csv") == "feed/balances.csv"
    assert mask_option("corebank_url", "postgresql://u:p@ss@h/d") == "postgresql://u:***@h/d"
    # a reference is not the secret: the run log says where it came from
    assert mask_option("corebank_password", "env:BANK_PW") == "env:BANK_PW"


def test_the_logged_command_line_hides_every_form():
    argv = ["nightly", "--db", "postgresql://u:p@ss@h/d?password=zz", "--source",
            "corebank_password=hunter2", "--source", "corebank_url=env:BANK_URL",
            "--db=mysql://u:x%40y@h/d", "--source", "corebank_url=postgresql://a:b@c@h/d"]
    line = logged_command(argv)
    assert line == ("rrr nightly --db postgresql://u:***@h/d?password=*** --source "
                    "corebank_password=*** --source corebank_url=env:BANK_URL "
                    "--db=mysql://u:***@h/d --source corebank_url=postgresql://a:***@h/d")
    for secret in ("p@ss", "zz", "hunter2", "x%40y", "b@c"):
        assert secret not in line


def test_env_and_file_references_resolve(tmp_path, monkeypatch):
    monkeypatch.setenv("RRR_TEST_URL", "postgresql://u:pw@h/d")
    assert resolve("env:RRR_TEST_URL") == "postgresql://u:pw@h/d"
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    assert resolve(f"file:{secret}") == "hunter2"
    assert resolve("file:///not/a/reference") == "file:///not/a/reference"
    assert resolve("plain") == "plain"


def test_a_reference_that_cannot_be_read_names_it_never_a_content(tmp_path, monkeypatch):
    monkeypatch.delenv("RRR_TEST_MISSING", raising=False)
    with pytest.raises(InputError, match="--db: environment variable RRR_TEST_MISSING is not set"):
        resolve("env:RRR_TEST_MISSING", what="--db")
    with pytest.raises(InputError, match=r"cannot read .*nope: No such file"):
        resolve(f"file:{tmp_path / 'nope'}")
    with pytest.raises(InputError, match="is not a regular file"):
        resolve(f"file:{tmp_path}")
    big = tmp_path / "big"
    big.write_text("x" * 70_000)
    with pytest.raises(InputError, match="larger than 64 KiB"):
        resolve(f"file:{big}")


def test_scrub_removes_secrets_a_library_message_quotes(monkeypatch):
    monkeypatch.setenv("RRR_TEST_URL", "postgresql://u:from-env-pw@h/d")
    argv = ["--db", "postgresql://u:p@ss@h/d", "--source", "corebank_url=env:RRR_TEST_URL",
            "--source", "corebank_password=hunter2"]
    found = secrets_in(argv)
    assert {"p@ss", "from-env-pw", "hunter2"} <= set(found)
    text = "could not connect with p@ss, from-env-pw or hunter2"
    assert scrub(text, found) == "could not connect with ***, *** or ***"


def test_a_bad_database_url_is_reported_without_its_password(capsys, tmp_path):
    code, _, err = rrr(capsys, "nightly", "--date", "2025-09-01", "--rules", VN_PACK,
                       "--db", f"postgresql+nosuch://u:{SECRET}@h/d", "--out", tmp_path)
    assert code == 2 and "postgresql+nosuch://u:***@h/d" in err
    assert "s3cr" not in err and "w0rd" not in err


def test_the_database_url_may_come_from_the_environment(capsys, tmp_path, monkeypatch):
    sources = nd.write_feed(tmp_path / "feed", nd.dt.date(2025, 9, 1), nd.dt.date(2025, 9, 1))
    monkeypatch.setenv("RRR_TEST_DB", f"sqlite:///{tmp_path / 'store.sqlite'}")
    code, out, err = rrr(capsys, "nightly", "--date", "2025-09-01", "--rules", VN_PACK,
                         "--db", "env:RRR_TEST_DB", "--out", tmp_path / "out", "--no-reports",
                         "--institutions", sources["institutions"],
                         "--balances", sources["balances"], "--fx-rates", sources["fx_rates"],
                         "--holdings", sources["holdings"])
    assert code == 0, err
    assert (tmp_path / "store.sqlite").exists() and not (tmp_path / "out" / "rrr.sqlite").exists()


def test_the_run_log_stores_no_secret(capsys, tmp_path, monkeypatch):
    """A run given secrets in every form: none reaches the run manifest or the output."""
    sources = nd.write_feed(tmp_path / "feed", nd.dt.date(2025, 9, 1), nd.dt.date(2025, 9, 1))
    (tmp_path / "token").write_text("file-token-123\n")
    monkeypatch.setenv("RRR_TEST_PW", "env-password-456")
    db = f"sqlite:///{tmp_path / 'rrr.sqlite'}"
    code, out, err = rrr(
        capsys, "nightly", "--date", "2025-09-01", "--rules", VN_PACK, "--db", db,
        "--out", tmp_path, "--no-reports",
        *[a for k, v in sources.items() for a in (f"--{k.replace('_', '-')}", v)],
        "--source", "archive_password=hunter2-plain",
        "--source", "archive_token=file:" + str(tmp_path / "token"),
        "--source", "archive_secret=env:RRR_TEST_PW",
        "--source", "archive_url=postgresql://u:p@ss-in-url@h/d?password=query-pw")
    assert code == 0, err
    run = Storage.open(db).runs()[-1]
    stored = json.dumps({k: str(v) for k, v in run.items()})
    shown = stored + out + err
    for secret in ("hunter2-plain", "file-token-123", "env-password-456", "p@ss-in-url",
                   "ss-in-url", "query-pw"):
        assert secret not in shown
    sources_logged = json.loads(run["sources_json"])
    assert sources_logged["archive_password"] == "***"
    assert sources_logged["archive_token"] == f"file:{tmp_path / 'token'}"
    assert sources_logged["archive_secret"] == "env:RRR_TEST_PW"
    assert sources_logged["archive_url"] == "postgresql://u:***@h/d?password=***"
    assert "archive_password=*** " in run["command"]
