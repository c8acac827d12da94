"""Files rrr-engine creates: atomic, beside their target, never through a planted symlink,
owner-only unless RRR_FILE_MODE says otherwise; the SQLite results database too."""

import os
import sqlite3
import stat

import pytest

from rrr_engine.errors import InputError, ReportError
from rrr_engine.safe_files import FILE_MODE_ENV, create_private, make_dirs, write_atomic, write_text
from rrr_engine.store.database import Storage


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_file_is_owner_only_and_its_new_folders_too(tmp_path):
    target = tmp_path / "a" / "b" / "report.csv"
    write_text(target, "x\n")
    assert target.read_text() == "x\n"
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700


def test_a_planted_symlink_at_the_old_temporary_name_is_left_alone(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    # the name the writer used to use: a symlink there once overwrote another file
    os.symlink(victim, tmp_path / ".report.csv.tmp")
    write_text(tmp_path / "report.csv", "figures\n")
    assert victim.read_text() == "precious"
    assert (tmp_path / "report.csv").read_text() == "figures\n"


def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "report.csv"
    os.symlink(victim, target)
    write_text(target, "figures\n")
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and target.read_text() == "figures\n"


def test_temporary_names_are_not_predictable(tmp_path):
    seen = []

    def spy(handle):
        seen.append(os.path.basename(os.readlink(f"/proc/self/fd/{handle.fileno()}")))
        handle.write(b"x")

    write_atomic(tmp_path / "r.csv", spy)
    write_atomic(tmp_path / "r.csv", spy)
    assert len(set(seen)) == 2 and all(n.startswith(".r.csv.") and n.endswith(".tmp") for n in seen)


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    def boom(handle):
        handle.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "r.csv", boom)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_is_one_report_error(tmp_path):
    (tmp_path / "taken").write_text("a file where a folder should be")
    with pytest.raises(ReportError, match=r"cannot write report .*taken/r.csv"):
        write_text(tmp_path / "taken" / "r.csv", "x")


def test_rrr_file_mode_configures_files_and_folders(tmp_path, monkeypatch):
    monkeypatch.setenv(FILE_MODE_ENV, "0640")
    write_text(tmp_path / "shared" / "r.csv", "x")
    assert mode(tmp_path / "shared" / "r.csv") == 0o640
    assert mode(tmp_path / "shared") == 0o750


@pytest.mark.parametrize("raw", ["0777", "0400", "rw-r-----", "4600", "0644x"])
def test_a_file_mode_that_is_not_a_safe_octal_mode_is_refused(tmp_path, monkeypatch, raw):
    monkeypatch.setenv(FILE_MODE_ENV, raw)
    with pytest.raises(InputError, match=f"{FILE_MODE_ENV}=.*expected an octal file mode"):
        write_text(tmp_path / "r.csv", "x")
    assert list(tmp_path.iterdir()) == []


def test_a_rewritten_rule_file_keeps_its_own_mode(tmp_path):
    rules = tmp_path / "ratios.yaml"
    rules.write_text("old\n")
    os.chmod(rules, 0o644)
    write_text(rules, "new\n", keep_mode=True)
    assert rules.read_text() == "new\n" and mode(rules) == 0o644


def test_existing_folders_are_not_changed(tmp_path):
    os.chmod(tmp_path, 0o755)
    make_dirs(tmp_path / "new")
    assert mode(tmp_path) == 0o755 and mode(tmp_path / "new") == 0o700


def test_create_private_never_replaces_an_existing_file(tmp_path):
    existing = tmp_path / "db.sqlite"
    existing.write_text("data")
    assert create_private(existing) is False and existing.read_text() == "data"


def test_the_sqlite_results_database_and_its_journals_are_owner_only(tmp_path):
    db = tmp_path / "out" / "rrr.sqlite"
    with Storage.open(f"sqlite:///{db}"):
        pass
    assert mode(db) == 0o600 and mode(db.parent) == 0o700
    # SQLite gives a write-ahead log the database file's mode: write through one and look
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    wal = db.with_name(db.name + "-wal")
    assert wal.exists() and mode(wal) == 0o600
    conn.close()
