"""Logging: a nightly run as cron runs it (a real subprocess, stderr a pipe, no terminal) logs
one timestamped line per date and stage; --log-format json gives one JSON object per line,
the final error included; warnings are logged and printed whether the run succeeds or fails."""

import datetime as dt
import io
import json
import logging
import os
import re
import subprocess
import sys

import nightly_data as nd
import pytest
from clirun import ROOT, VN_PACK

from rrr_engine.cli import logs
from rrr_engine.redact import secrets_in

START, END = dt.date(2025, 8, 1), dt.date(2025, 10, 2)
STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"


def cron(tmp, *args, feed):
    """``rrr nightly ...`` the way a scheduler starts it: no terminal anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RRR_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    argv = [sys.executable, "-m", "rrr_engine.cli.main", "nightly", "--rules", str(VN_PACK),
            "--db", f"sqlite:///{tmp / 'rrr.sqlite'}", "--out", str(tmp / "out"),
            "--institutions", feed["institutions"], "--balances", feed["balances"],
            "--fx-rates", feed["fx_rates"], "--holdings", feed["holdings"], *args]
    return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cron")
    feed = nd.write_feed(tmp / "feed", START, END)
    done = cron(tmp, "--from", str(START), "--to", str(END), "--no-reports", feed=feed)
    assert done.returncode == 3, done.stderr  # September closes with BANK1's shortfall
    return done


def test_a_cron_run_logs_one_timestamped_line_per_date(text_run):
    lines = text_run.stderr.splitlines()
    snapshot = re.compile(rf"^({STAMP}) INFO nightly (\d{{4}}-\d{{2}}-\d{{2}}) snapshot "
                          r"(new|unchanged|restated): \d+ balance row\(s\)$")
    found = [m for m in map(snapshot.match, lines) if m]
    assert [dt.date.fromisoformat(m[2]) for m in found] == nd.dates(START, END)
    for m in found:  # a real UTC time, not a placeholder
        moment = dt.datetime.strptime(m[1], "%Y-%m-%dT%H:%M:%SZ")
        assert abs(dt.datetime.utcnow() - moment) < dt.timedelta(days=1)
    assert "\r" not in text_run.stderr  # no progress bar without a terminal


def test_each_stage_has_its_line_with_the_results_it_stored(text_run):
    text = text_run.stderr
    assert re.search(rf"^{STAMP} INFO nightly 2025-10-01 requirement 2025-10: 3 stored, "
                     r"0 unchanged$", text, re.M)
    assert re.search(rf"^{STAMP} INFO nightly 2025-10-01 close 2025-09: 3 stored, 0 unchanged$",
                     text, re.M)
    # a date with nothing due has its snapshot line alone
    assert [line.split(" ", 3)[3] for line in text.splitlines()
            if " nightly 2025-10-02 " in line] == ["2025-10-02 snapshot new: 8 balance row(s)"]
    assert re.search(rf"^{STAMP} INFO nightly run [0-9a-f-]{{36}} started: 63 date\(s\) "
                     r"2025-08-01..2025-10-02, pack vn-sbv ", text, re.M)
    assert re.search(rf"^{STAMP} INFO nightly run [0-9a-f-]{{36}} finished: 63 date\(s\), "
                     r"9 result version\(s\) stored, 1 shortfall\(s\)", text, re.M)


def test_warnings_are_logged_when_they_arise_and_printed_at_the_end(text_run):
    lines = text_run.stderr.splitlines()
    logged = [i for i, line in enumerate(lines) if " WARNING nightly pack vn-sbv version " in line]
    printed = [i for i, line in enumerate(lines) if line.startswith("rrr: warning: pack vn-sbv")]
    last_log = max(i for i, line in enumerate(lines) if re.match(STAMP, line))
    assert len(logged) == len(printed) == 1 and logged[0] < last_log < printed[0]


def test_json_log_format_parses_line_by_line(tmp_path):
    feed = nd.write_feed(tmp_path / "feed", START, END)
    done = cron(tmp_path, "--from", "2025-09-29", "--to", "2025-10-01", "--no-reports",
                "--log-format", "json", feed=feed)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
    days = [r["date"] for r in records if r.get("stage") == "snapshot"]
    assert days == ["2025-09-29", "2025-09-30", "2025-10-01"]
    assert all(re.fullmatch(STAMP, r["time"]) for r in records)
    skipped = [r for r in records if r.get("stage") == "requirement" and r["date"] == "2025-10-01"]
    assert skipped[0]["period"] == "2025-10" and skipped[0]["skipped"] is True
    # warnings are records too: nothing but JSON on stderr
    assert [r["level"] for r in records].count("WARNING") == 1


def test_a_failed_run_in_json_ends_with_an_error_record(tmp_path):
    feed = nd.write_feed(tmp_path / "feed", START, END)
    balances = tmp_path / "feed" / "balances.csv"
    balances.write_text(balances.read_text().replace(
        "BANK2,2025-09-02,vnd_short,VND,", "BANK2,2025-09-02,vnd_short,VND,-"))
    done = cron(tmp_path, "--log-format", "json", "--from", "2025-09-01", "--to", "2025-09-03",
                "--no-reports", feed=feed)
    assert done.returncode == 2
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records[-1]["level"] == "ERROR" and records[-1]["logger"] == "cli"
    assert "nightly stopped at 2025-09-01" in records[-1]["message"]
    assert "negative balance -8016000009027" in records[-1]["message"]
    assert any(r["level"] == "WARNING" for r in records)  # the pack's approval, failed run or not


def test_log_level_and_format_go_before_or_after_the_command(tmp_path):
    feed = nd.write_feed(tmp_path / "feed", START, START)
    quiet = cron(tmp_path, "--date", "2025-09-01", "--no-reports", "--log-level", "warning",
                 feed=feed)
    assert quiet.returncode == 0, quiet.stderr
    assert " INFO " not in quiet.stderr and " WARNING nightly pack vn-sbv" in quiet.stderr
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = subprocess.run([sys.executable, "-m", "rrr_engine.cli.main", "--log-format", "json",
                             "nightly", "--date", "2025-09-01", "--rules", str(VN_PACK),
                             "--db", f"sqlite:///{tmp_path / 'rrr.sqlite'}", "--no-reports",
                             *[a for k, v in feed.items()
                               for a in (f"--{k.replace('_', '-')}", v)]],
                            env=env, capture_output=True, text=True, timeout=600)
    assert before.returncode == 0, before.stderr
    assert all(json.loads(line) for line in before.stderr.splitlines())


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_only_warnings_and_the_error_are_printed():
    stream = Terminal()
    console = logs.start(log_format=None, log_level=None, stream=stream)
    assert console.terminal
    logging.getLogger("rrr_engine.jobs.nightly").info("2025-10-01 snapshot new")
    logging.getLogger("rrr_engine.jobs.nightly").warning("a working day without balances")
    console.error("it broke")
    console.close()
    assert stream.getvalue() == ("rrr: error: it broke\n"
                                 "rrr: warning: a working day without balances\n")


def test_no_record_shows_a_secret_of_the_command_line():
    stream = io.StringIO()
    argv = ["--db", "postgresql://u:hunter2@h/d"]
    console = logs.start(log_format="json", log_level=None, stream=stream,
                         secrets=secrets_in(argv))
    logging.getLogger("rrr_engine.store.database").warning("cannot connect with %s", "hunter2")
    console.error("password hunter2 refused")
    console.close()
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in records] == ["cannot connect with ***",
                                               "error: password *** refused"]


def test_the_command_leaves_logging_as_it_found_it():
    logger = logging.getLogger("rrr_engine")
    before = (list(logger.handlers), logger.level)
    console = logs.start(log_format="text", log_level="debug", stream=io.StringIO())
    assert logger.handlers != before[0]
    console.close()
    assert (list(logger.handlers), logger.level) == before
