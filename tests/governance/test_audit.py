"""The hash-chained audit log: one entry per stored result version and per governance act,
tampering (edit, delete, reorder, forged rows, a cut-off end) detected by ``rrr audit verify``,
and a chain that stays linear under concurrent writers - on SQLite and PostgreSQL."""

import hashlib
import json
import threading

import governance_data as gd
import pytest
from clirun import VN_PACK, rrr
from sqlalchemy import select

from rrr_engine.canonical import canonical_json
from rrr_engine.errors import StorageError
from rrr_engine.store import audit, schema
from rrr_engine.store.database import Storage


@pytest.fixture
def stored(db_url, tmp_path, capsys):
    """A small bank's nightly backfill: 9 result versions, each with its audit entry."""
    sources = gd.feed(tmp_path / "feed")
    code, _, err = gd.backfill(capsys, db_url, sources)
    assert code == 0, err
    return db_url


def verify(capsys, url, *args):
    return rrr(capsys, "audit", "verify", "--db", url, *args)


def test_every_stored_result_version_has_one_entry_with_its_fingerprint(stored):
    with Storage.open(stored) as store, store.transaction() as conn:
        results = conn.execute(select(schema.RESULTS)).all()
        logged = [e for e in audit.entries(conn) if e.kind == "result"]
    assert len(results) == len(logged) == 9
    by_key = {(e.data["institution_id"], e.data["maintenance_period"], e.data["stage"],
               e.data["result_version"]): e.data for e in logged}
    for r in results:
        entry = by_key[(r.institution_id, r.maintenance_period, r.stage, r.result_version)]
        assert entry["content_sha256"] == r.content_sha256
        assert entry["ruleset_sha256"] == r.ruleset_sha256 and entry["as_of"] == str(r.as_of)


def test_each_hash_is_sha256_of_the_entry_text_and_the_previous_hash(stored):
    rows = gd.raw(stored, "SELECT seq, kind, entry_json, prev_hash, hash FROM rrr_audit_log "
                          "ORDER BY seq")
    prev = "0" * 64
    for seq, kind, text, prev_hash, digest in rows:
        assert prev_hash == prev
        assert digest == hashlib.sha256((text + prev_hash).encode()).hexdigest()
        entry = json.loads(text)
        assert (entry["seq"], entry["kind"]) == (seq, kind)
        assert canonical_json(entry) == text
        prev = digest
    assert [r[0] for r in rows] == list(range(1, 10))


def test_an_intact_log_verifies_and_prints_its_head(stored, capsys):
    code, out, _ = verify(capsys, stored)
    last = gd.raw(stored, "SELECT seq, hash FROM rrr_audit_log ORDER BY seq DESC LIMIT 1")[0]
    assert code == 0
    assert out.endswith(f"9 entries, intact; head 9:{last[1]}\n")
    assert verify(capsys, stored, "--head", f"{last[0]}:{last[1]}")[0] == 0


def test_the_database_itself_refuses_to_update_or_delete_an_entry(stored):
    with Storage.open(stored) as store:
        for sql in ("UPDATE rrr_audit_log SET kind = 'x' WHERE seq = 1",
                    "DELETE FROM rrr_audit_log WHERE seq = 1"):
            with pytest.raises(StorageError, match="append-only"):
                with store.transaction() as conn:
                    conn.exec_driver_sql(sql)


def test_an_edited_entry_is_detected(stored, capsys):
    text = gd.raw(stored, "SELECT entry_json FROM rrr_audit_log WHERE seq = 4")[0][0]
    forged = text.replace('"result_version":1', '"result_version":7')
    assert forged != text
    gd.tamper(stored, ("UPDATE rrr_audit_log SET entry_json = :t WHERE seq = 4", {"t": forged}))
    code, out, _ = verify(capsys, stored)
    assert code == 1
    assert "BROKEN audit log entry #4: its hash does not match its content (it was edited)" in out
    assert "NOT intact" in out


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(stored, capsys):
    text = gd.raw(stored, "SELECT entry_json, prev_hash FROM rrr_audit_log WHERE seq = 4")[0]
    forged = text[0].replace('"result_version":1', '"result_version":7')
    digest = hashlib.sha256((forged + text[1]).encode()).hexdigest()
    gd.tamper(stored, ("UPDATE rrr_audit_log SET entry_json = :t, hash = :h WHERE seq = 4",
                       {"t": forged, "h": digest}))
    code, out, _ = verify(capsys, stored)
    assert code == 1
    assert "BROKEN audit log entry #5: its prev_hash does not match the hash of entry #4" in out


def test_a_deleted_entry_is_detected(stored, capsys):
    gd.tamper(stored, "DELETE FROM rrr_audit_log WHERE seq = 3")
    code, out, _ = verify(capsys, stored)
    assert code == 1
    assert ("BROKEN audit log entry #3: missing: the log jumps from #2 to #4 "
            "(an entry was deleted)") in out
    # the result it recorded is still stored: that row now has no entry
    assert "MISMATCH rrr_results: result BANK3 2025-10 requirement v1 has no audit entry" in out


def test_reordered_entries_are_detected(stored, capsys):
    gd.tamper(stored, "UPDATE rrr_audit_log SET seq = 100 WHERE seq = 2",
              "UPDATE rrr_audit_log SET seq = 2 WHERE seq = 3",
              "UPDATE rrr_audit_log SET seq = 3 WHERE seq = 100")
    code, out, _ = verify(capsys, stored)
    assert code == 1
    assert "BROKEN audit log entry #2: it records seq 3 kind 'result' but is stored as #2" in out


def test_a_cut_off_end_is_detected_against_a_recorded_head(stored, capsys):
    seq, digest = gd.raw(stored, "SELECT seq, hash FROM rrr_audit_log ORDER BY seq DESC LIMIT 1")[0]
    # the last entry records BANK3's November requirement: remove both, as a tamperer would
    where = ("WHERE result_version = 1 AND stage = 'requirement' AND maintenance_period = "
             "'2025-11' AND institution_id = 'BANK3'")
    gd.tamper(stored, *[f"DELETE FROM {t} {where}" for t in
                        ("rrr_result_lines", "rrr_base_averages", "rrr_results")],
              f"DELETE FROM rrr_audit_log WHERE seq = {seq}")
    # the chain that is left is intact and every row has its entry: only the head shows it
    assert verify(capsys, stored)[0] == 0
    code, out, _ = verify(capsys, stored, "--head", f"{seq}:{digest}")
    assert code == 1
    assert f"the recorded head #{seq} is not in the log any more" in out


def test_an_edited_result_is_detected_though_the_chain_is_intact(stored, capsys):
    gd.tamper(stored, "UPDATE rrr_results SET ruleset_sha256 = 'f00d' WHERE institution_id = "
                      "'BANK1' AND maintenance_period = '2025-10' AND stage = 'close'")
    code, out, _ = verify(capsys, stored)
    assert code == 1 and "BROKEN" not in out
    assert "MISMATCH rrr_results: result BANK1 2025-10 close v1 has no audit entry" in out
    assert "MISMATCH audit entry #4 (result) has no matching stored row" in out


def test_edited_figures_no_longer_give_the_content_fingerprint(stored, capsys):
    text = gd.raw(stored, "SELECT exact_json FROM rrr_results WHERE institution_id = 'BANK2' "
                          "AND maintenance_period = '2025-11'")[0][0]
    data = json.loads(text)
    data["required"]["VND"] = "1"
    gd.tamper(stored, ("UPDATE rrr_results SET exact_json = :t WHERE institution_id = 'BANK2' "
                       "AND maintenance_period = '2025-11'", {"t": canonical_json(data)}))
    code, out, _ = verify(capsys, stored)
    assert code == 1
    assert ("MISMATCH rrr_results: result BANK2 2025-11 requirement 1: its stored figures do not "
            "give its content fingerprint (figures edited)") in out


def test_a_bad_head_argument_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        verify(capsys, f"sqlite:///{tmp_path}/r.sqlite", "--head", "nonsense")
    assert exit_.value.code == 2 and "expected SEQ:HASH" in capsys.readouterr().err


def test_concurrent_writers_keep_the_chain_linear(db_url):
    Storage.open(db_url).close()
    stores = [Storage.open(db_url) for _ in range(4)]
    errors = []

    def writer(n, store):
        try:
            for i in range(10):
                # the raw engine: no Storage.transaction() lock, only the log's own
                with store.engine.begin() as conn:
                    audit.append(conn, "test", {"writer": n, "i": i})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n, s)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    with Storage.open(db_url) as store, store.transaction() as conn:
        count, head, broken = audit.verify_chain(conn)
        mine = [(e.data["writer"], e.data["i"]) for e in audit.entries(conn, "test")]
    assert (count, head[0], broken) == (40, 40, None)
    for n in range(4):  # each writer's entries in its own order
        assert [i for w, i in mine if w == n] == list(range(10))


def test_audit_log_prints_entries_oldest_first(stored, capsys):
    code, out, _ = rrr(capsys, "audit", "log", "--db", stored, "--kind", "result")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 9
    assert lines[0].startswith("#1 result institution_id=BANK1 maintenance_period=2025-10 "
                               "stage=requirement result_version=1 ruleset_id=vn-sbv")


def test_the_pack_used_is_the_one_recorded(stored):
    from rrr_engine.rules.pack import load_pack
    with Storage.open(stored) as store, store.transaction() as conn:
        shas = {e.data["ruleset_sha256"] for e in audit.entries(conn, "result")}
    assert shas == {load_pack(VN_PACK).sha256}
