"""One CLI vocabulary: every command's help complete, --format text|json|csv, one --db
default (--db, $RRR_DB, rrr.toml, $XDG_CONFIG_HOME/rrr/config.toml, sqlite:///out/rrr.sqlite),
and --from/--to in one unit per meaning."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json

import nightly_data as nd
import pytest
from clirun import FIXTURES, VN_PACK, printed, rrr

from rrr_engine.cli.main import build_parser

START = dt.date(2025, 9, 1)


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, parser) of every command and subcommand, the groups included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def _is_group(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def test_every_command_has_a_description_help_on_every_argument_and_its_exit_codes():
    seen = []
    for path, parser in _commands(build_parser()):
        name = " ".join(("rrr", *path))
        seen.append(name)
        assert (parser.description or "").strip(), f"{name}: no description"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if action.help == argparse.SUPPRESS:
                continue  # an old spelling, described in the help of its new name
            what = action.option_strings or action.dest
            assert (action.help or "").strip(), f"{name} {what}: no help"
        if path and not _is_group(parser):
            assert (parser.epilog or "").startswith("exit status: 0 done;"), name
    # the walk reached the leaves, not only the top
    assert {"rrr evaluate", "rrr periods status", "rrr audit log", "rrr rules status",
            "rrr rules diff", "rrr reevaluate", "rrr restatements", "rrr demo"} <= set(seen)


def test_every_command_that_prints_results_offers_the_three_formats():
    parsers = {" ".join(path): p for path, p in _commands(build_parser())}
    for name in ("evaluate", "periods status", "periods submit", "restatements", "audit log",
                 "audit verify", "rules status", "rules diff", "rules check", "rules test",
                 "reevaluate", "report", "nightly"):
        (fmt,) = [a for a in parsers[name]._actions if "--format" in a.option_strings]
        assert {"text", "json", "csv"} <= set(fmt.choices), name


def test_every_command_using_the_results_database_shares_one_db_option():
    parsers = {" ".join(path): p for path, p in _commands(build_parser())}
    for name in ("nightly", "report", "periods submit", "periods status", "restatements",
                 "reevaluate", "audit verify", "audit log", "rules status", "rules propose",
                 "rules approve", "rules reject", "rules require-approval", "rules diff"):
        (db,) = [a for a in parsers[name]._actions if "--db" in a.option_strings]
        assert "$RRR_DB" in db.help and "sqlite:///out/rrr.sqlite" in db.help, name


# ---- where the results database comes from ----------------------------------------------------

@pytest.fixture
def stored(tmp_path, capsys):
    """A results database with September 2025 evaluated and submitted."""
    feed = nd.write_feed(tmp_path / "feed", dt.date(2025, 8, 1), dt.date(2025, 9, 1))
    db = f"sqlite:///{tmp_path / 'stored.sqlite'}"
    files = [x for k, v in feed.items() for x in (f"--{k.replace('_', '-')}", v)]
    code, _, err = rrr(capsys, "nightly", "--from", "2025-08-01", "--to", "2025-09-01",
                       "--db", db, "--no-reports", *files)
    assert code in (0, 3), err
    code, _, err = rrr(capsys, "periods", "submit", "--period", "2025-09",
                       "--by", "=cmd|' /C calc'!A0", "--reference", "+SUM(1)", "--db", db)
    assert code == 0, err
    return db


def _status(capsys, *extra):
    code, out, err = rrr(capsys, "periods", "status", "--format", "json", *extra)
    return code, out, err


def test_without_db_the_default_is_out_rrr_sqlite_in_the_working_directory(
        stored, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    monkeypatch.chdir(work)
    code, _, err = _status(capsys)
    assert code == 2
    assert printed(err) == [
        "rrr: error: no results database at sqlite:///out/rrr.sqlite (check --db; the "
        "nightly job creates it)",
        "rrr: note: --db not given: the results database is sqlite:///out/rrr.sqlite (from the "
        "built-in default); rrr demo writes sqlite:///out/rrr.sqlite"]
    (work / "out" / "rrr.sqlite").write_bytes((tmp_path / "stored.sqlite").read_bytes())
    code, out, err = _status(capsys)
    assert code == 0, err
    assert {(s["maintenance_period"], s["institution_id"]) for s in json.loads(out)} == {
        ("2025-09", i) for i in ("BANK1", "BANK2", "BANK3")}


def test_rrr_db_then_rrr_toml_then_the_user_config_file(stored, tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    missing = f"sqlite:///{tmp_path / 'nowhere.sqlite'}"

    # the user's configuration file
    (xdg / "rrr").mkdir(parents=True)
    (xdg / "rrr" / "config.toml").write_text(f'[db]\nurl = "{stored}"\n')
    assert _status(capsys)[0] == 0
    # ./rrr.toml comes first
    (work / "rrr.toml").write_text(f'# the team\'s database\n[db]\nurl = "{missing}"\n')
    code, _, err = _status(capsys)
    assert code == 2 and f"(from {'rrr.toml'} [db] url)" in err
    # then $RRR_DB, and an env: reference is read from that variable
    monkeypatch.setenv("STORED_URL", stored)
    monkeypatch.setenv("RRR_DB", "env:STORED_URL")
    assert _status(capsys)[0] == 0
    # and --db over all of them
    code, _, err = _status(capsys, "--db", missing)
    assert code == 2 and "note" not in err


def test_help_says_where_the_default_comes_from(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RRR_DB", "postgresql://rrr:s3cr3t-pw@dbhost/rrr")
    with pytest.raises(SystemExit):
        rrr(capsys, "periods", "status", "--help")
    out = " ".join(capsys.readouterr().out.split())
    assert "here and now: postgresql://rrr:***@dbhost/rrr (from $RRR_DB)" in out
    assert "s3cr3t" not in out


@pytest.mark.parametrize("text, problem", [
    ("[db\nurl = 1\n", "rrr.toml: not valid TOML: "),
    ('[db]\nurl = 5\n', "rrr.toml: db.url: expected a database URL as a string"),
    ('[db]\nURL = "sqlite:///x.sqlite"\n', "rrr.toml: db.URL: unknown setting (expected: url)"),
    ('db = "sqlite:///x.sqlite"\n', "rrr.toml: db: expected a table"),
])
def test_a_bad_configuration_file_is_one_line_naming_it(text, problem, tmp_path, monkeypatch,
                                                        capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rrr.toml").write_text(text)
    code, out, err = _status(capsys)
    assert code == 2 and out == ""
    (line,) = [x for x in printed(err) if x.startswith("rrr: error: ")]
    assert line.startswith(f"rrr: error: {problem}")


def test_a_password_from_the_environment_is_never_shown(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RRR_DB", "postgresql+nosuch://u:s3cr3t-pw@h/d")
    code, out, err = _status(capsys)
    assert code == 2 and "postgresql+nosuch://u:***@h/d" in err
    assert "s3cr3t" not in err + out


# ---- --format text | json | csv ---------------------------------------------------------------

def _csv(out: str) -> list[dict[str, str]]:
    assert out.startswith("\ufeff"), "a CSV starts with the UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(out[1:])))


def test_periods_status_in_three_formats_with_spreadsheet_formulas_made_inert(stored, capsys):
    code, text, _ = rrr(capsys, "periods", "status", "--db", stored)
    assert code == 0
    assert "2025-09 requirement BANK1 v1: submitted by =cmd|' /C calc'!A0 on " in text
    code, out, _ = rrr(capsys, "periods", "status", "--db", stored, "--format", "json")
    rows = json.loads(out)
    assert {r["submitted_by"] for r in rows} == {"=cmd|' /C calc'!A0"}
    code, out, _ = rrr(capsys, "periods", "status", "--db", stored, "--format", "csv")
    table = _csv(out)
    assert len(table) == len(rows) == 3  # three institutions' requirements
    assert {r["submitted_by"] for r in table} == {"'=cmd|' /C calc'!A0"}
    assert {r["reference"] for r in table} == {"'+SUM(1)"}
    assert {r["result_version"] for r in table} == {"1"}


def test_audit_log_and_rules_status_as_csv_and_json(stored, capsys):
    code, out, _ = rrr(capsys, "audit", "log", "--db", stored, "--format", "csv")
    table = _csv(out)
    assert code == 0 and [r["seq"] for r in table] == [str(i) for i in range(1, len(table) + 1)]
    assert {"result", "submission"} <= {r["kind"] for r in table}
    code, out, _ = rrr(capsys, "audit", "verify", "--db", stored, "--format", "json")
    verdict = json.loads(out)
    assert code == 0 and verdict["ok"] is True and verdict["entries"] == len(table)
    code, out, _ = rrr(capsys, "rules", "status", "--db", stored, "--format", "csv")
    assert code == 0 and _csv(out) == []  # nothing proposed: a header and no row


def test_evaluate_as_csv_one_row_per_line_exact(capsys):
    w = FIXTURES / "worked"
    args = ["evaluate", "--rules", VN_PACK, "--period", "2025-10",
            "--institutions", w / "institutions_a.yaml", "--balances", w / "balances_a.csv"]
    code, out, err = rrr(capsys, *args, "--format", "json")
    assert code == 0, err
    lines = {(r["institution_id"], ln["category"], ln["reserve_currency"]): ln["required"]
             for r in json.loads(out) for ln in r.get("lines", ())}
    code, out, _ = rrr(capsys, *args, "--format", "csv")
    table = _csv(out)
    assert {(r["institution_id"], r["category"], r["reserve_currency"]): r["required"]
            for r in table if r["category"]} == lines
    assert lines  # the fixture has requirement lines


def test_evaluate_format_table_is_the_old_name_of_text(capsys):
    w = FIXTURES / "worked"
    args = ["evaluate", "--rules", VN_PACK, "--period", "2025-10",
            "--institutions", w / "institutions_a.yaml", "--balances", w / "balances_a.csv"]
    code, table, err = rrr(capsys, *args, "--format", "table")
    assert code == 0 and "rrr: note: --format table is an old name: use --format text" in err
    code, text, err = rrr(capsys, *args, "--format", "text")
    assert code == 0 and text == table and "note" not in err


# ---- --from/--to: dates for the nightly, periods for re-evaluation ----------------------------

def test_reevaluate_names_its_options_periods_and_keeps_the_old_spelling(stored, capsys):
    base = ["reevaluate", "--rules", VN_PACK, "--db", stored, "--by", "x", "--why", "y"]
    code, out, err = rrr(capsys, *base, "--from-period", "2025-09", "--to-period", "2025-09",
                         "--format", "json")
    assert code == 0, err
    assert json.loads(out)["unchanged"] == 3 and json.loads(out)["written"] == []
    code, out, err = rrr(capsys, *base, "--from", "2025-09", "--to", "2025-09")
    assert code == 0
    assert ("rrr: note: --from is the old spelling of --from-period (maintenance periods; "
            "--from of rrr nightly is a date)") in printed(err)
    code, _, err = rrr(capsys, *base, "--from-period", "2025-09-01", "--to-period", "2025-09")
    assert code == 2
    assert printed(err) == ["rrr: error: --from-period: '2025-09-01' is not a month; expected "
                            "YYYY-MM such as 2025-10"]
    code, _, err = rrr(capsys, *base, "--from-period", "2025-09", "--to-period", "2025-08")
    assert code == 2
    assert printed(err) == ["rrr: error: --to-period: --to-period 2025-08 is before "
                            "--from-period 2025-09"]
    code, _, err = rrr(capsys, *base, "--to-period", "2025-09")
    assert code == 2 and printed(err) == [
        "rrr: error: --from-period: --from-period is required: a maintenance period, e.g. 2025-09"]


def test_the_nightly_from_and_to_are_dates_and_say_so(capsys):
    with pytest.raises(SystemExit) as stop:
        rrr(capsys, "nightly", "--from", "2025-09", "--to", "2025-09-02")
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "argument --from: '2025-09' is not a date; expected YYYY-MM-DD" in err
