"""Maker-checker: proposing and approving pack versions (one test per refusal), and the
nightly job in production mode - on SQLite and PostgreSQL."""

import json
import shutil

import governance_data as gd
import pytest
from clirun import FIXTURES, VN_PACK, rrr
from sqlalchemy import select

from rrr_engine.errors import GovernanceError, SameReviewer
from rrr_engine.governance import approvals as governance
from rrr_engine.rules.pack import load_pack
from rrr_engine.store import audit, schema
from rrr_engine.store.database import Storage

SHA = load_pack(VN_PACK).sha256


@pytest.fixture
def pack(tmp_path):
    """A copy of the Vietnam pack that the test may edit."""
    return gd.amended_pack(tmp_path / "pack")


def review(capsys, verb, db, *args):
    return rrr(capsys, "rules", verb, "--db", db, *args)


def propose(capsys, db, rules, by="alice", why="Decision 9999 raises vnd_short to 4%"):
    return review(capsys, "propose", db, "--rules", rules, "--by", by, "--why", why)


def approve(capsys, db, *which, by="bob", why="checked against the gazette"):
    return review(capsys, "approve", db, *which, "--by", by, "--why", why)


def reviews(db):
    with Storage.open(db) as store, store.transaction() as conn:
        return [(r.action, r.actor) for r in conn.execute(
            select(schema.PACK_REVIEWS).order_by(schema.PACK_REVIEWS.c.at))]


def test_a_proposal_approved_by_someone_else_is_recorded_and_audited(db_url, pack, capsys):
    sha = load_pack(pack).sha256
    code, out, err = propose(capsys, db_url, pack)
    assert code == 0, err
    assert f"proposed: pack vn-sbv 2025.10 version {sha} by alice" in out
    code, out, err = approve(capsys, db_url, "--sha", sha[:10])
    assert code == 0, err
    assert f"approved: pack vn-sbv 2025.10 version {sha} by bob" in out
    assert reviews(db_url) == [("proposal", "alice"), ("approval", "bob")]
    with Storage.open(db_url) as store, store.transaction() as conn:
        logged = [(e.kind, e.data["actor"], e.data["reason"], e.data["ruleset_sha256"])
                  for e in audit.entries(conn)]
    assert logged == [("proposal", "alice", "Decision 9999 raises vnd_short to 4%", sha),
                      ("approval", "bob", "checked against the gazette", sha)]
    code, out, _ = review(capsys, "status", db_url, "--rules", pack)
    assert code == 0
    assert f"vn-sbv 2025.10 {sha[:12]}: approved" in out
    assert "proposal   alice: Decision 9999 raises vnd_short to 4%" in out
    assert out.startswith("mode: demo")
    code, out, _ = review(capsys, "status", db_url, "--format", "json")
    status = json.loads(out)
    assert status["production"] is False
    assert status["versions"] == [{"sha256": sha, "state": "approved",
                                   "detail": status["versions"][0]["detail"]}]
    assert [(r["action"], r["by"]) for r in status["reviews"]] == [("proposal", "alice"),
                                                                   ("approval", "bob")]


def test_the_proposer_cannot_approve_their_own_proposal(db_url, pack, capsys):
    assert propose(capsys, db_url, pack)[0] == 0
    code, out, err = approve(capsys, db_url, "--rules", pack, by=" Alice ")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert ("Alice cannot approve pack vn-sbv version " in err
            and "it was proposed by alice, and the checker must be a different person" in err)
    assert reviews(db_url) == [("proposal", "alice")]


def test_the_refusal_is_a_governance_error_naming_both(db_url, pack):
    with Storage.open(db_url) as store, store.transaction() as conn:
        governance.propose(conn, load_pack(pack), by="alice", why="x")
        with pytest.raises(SameReviewer) as refused:
            governance.approve(conn, load_pack(pack).sha256, by="ALICE", why="y")
    assert isinstance(refused.value, GovernanceError)
    assert (refused.value.proposer, refused.value.checker) == ("alice", "ALICE")


def test_the_proposer_cannot_reject_their_own_proposal_either(db_url, pack, capsys):
    assert propose(capsys, db_url, pack)[0] == 0
    code, _, err = review(capsys, "reject", db_url, "--rules", pack, "--by", "alice", "--why", "x")
    assert code == 2 and "alice cannot reject" in err and "proposed by alice" in err


def test_approving_against_a_missing_database_is_refused_and_creates_none(db_url, capsys):
    code, _, err = approve(capsys, db_url, "--sha", "0123456789abcdef")
    assert code == 2 and "no results database at" in err and "check --db" in err
    assert "was never proposed" not in err


def test_approving_an_unknown_version_is_refused(db_url, capsys):
    Storage.open(db_url).close()  # an existing store (the nightly job's), nothing proposed
    code, _, err = approve(capsys, db_url, "--sha", "0123456789abcdef")
    assert code == 2 and "pack version 0123456789ab was never proposed: propose it first" in err


def test_approving_an_unproposed_pack_directory_is_refused(db_url, pack, capsys):
    Storage.open(db_url).close()
    code, _, err = approve(capsys, db_url, "--rules", pack)
    assert code == 2 and "was never proposed" in err


def test_approving_an_already_approved_version_is_refused(db_url, pack, capsys):
    assert propose(capsys, db_url, pack)[0] == 0
    assert approve(capsys, db_url, "--rules", pack)[0] == 0
    code, _, err = approve(capsys, db_url, "--rules", pack, by="carol")
    assert code == 2 and "is already approved (by bob on " in err
    assert reviews(db_url) == [("proposal", "alice"), ("approval", "bob")]


def test_approving_a_pack_whose_files_changed_since_the_proposal_is_refused(db_url, pack, capsys):
    proposed = load_pack(pack).sha256
    assert propose(capsys, db_url, pack)[0] == 0
    gd.edit_file(pack, "ratios.yaml", 'vnd_short: "0.04"', 'vnd_short: "0.05"')
    now = load_pack(pack).sha256
    code, _, err = approve(capsys, db_url, "--rules", pack)
    assert code == 2 and err.count("\n") == 1
    assert (f"the files of pack vn-sbv in {pack} changed since alice proposed them (proposed "
            f"version {proposed[:12]}, the files now give {now[:12]}; changed: ratios.yaml)") in err
    # by its sha the checker approves what alice proposed, never the edited files
    code, _, err = approve(capsys, db_url, "--sha", proposed)
    assert code == 0, err
    assert reviews(db_url) == [("proposal", "alice"), ("approval", "bob")]


def test_a_sha_that_is_not_the_directory_s_version_is_refused(db_url, pack, capsys):
    # the command takes --rules or --sha; the library checks them against each other
    assert propose(capsys, db_url, pack)[0] == 0
    with Storage.open(db_url) as store, store.transaction() as conn:
        with pytest.raises(GovernanceError, match=f"--sha {load_pack(pack).sha256[:12]} is not "
                           f"the version in {VN_PACK}"):
            governance.approve(conn, load_pack(pack).sha256, by="bob", why="ok",
                               pack=load_pack(VN_PACK))


def test_a_pack_that_fails_the_check_cannot_be_proposed(db_url, tmp_path, capsys):
    bad = tmp_path / "gap"
    shutil.copytree(FIXTURES / "packs" / "gap", bad)
    code, out, err = propose(capsys, db_url, bad)
    assert code == 1
    assert "gap: 2021-01 to 2021-02" in out and "proposal refused" in err
    assert reviews(db_url) == []


def test_proposing_a_version_already_awaiting_a_checker_is_refused(db_url, pack, capsys):
    assert propose(capsys, db_url, pack)[0] == 0
    code, _, err = propose(capsys, db_url, pack, by="carol")
    assert code == 2 and "is already proposed (by alice on " in err and "awaits a checker" in err


def test_proposing_the_approved_version_again_is_refused(db_url, pack, capsys):
    assert propose(capsys, db_url, pack)[0] == 0
    assert approve(capsys, db_url, "--rules", pack)[0] == 0
    code, _, err = propose(capsys, db_url, pack, by="carol")
    assert code == 2 and "is already approved (by bob on " in err


def test_a_rejected_version_cannot_be_approved_until_proposed_again(db_url, pack, capsys):
    assert propose(capsys, db_url, pack)[0] == 0
    code, out, _ = review(capsys, "reject", db_url, "--rules", pack, "--by", "bob", "--why",
                          "the decision is not yet in the gazette")
    assert code == 0 and out.startswith("rejected: ")
    code, _, err = approve(capsys, db_url, "--rules", pack, by="carol")
    assert code == 2 and "is already rejected (by bob on " in err and "proposed again" in err
    assert propose(capsys, db_url, pack, why="now in the gazette")[0] == 0
    assert approve(capsys, db_url, "--rules", pack, by="carol")[0] == 0
    assert reviews(db_url) == [("proposal", "alice"), ("rejection", "bob"), ("proposal", "alice"),
                               ("approval", "carol")]


@pytest.mark.parametrize("by, why, message", [
    ("  ", "a reason", "--by: must name a person"),
    ("alice", " ", "--why: must say why"),
])
def test_a_review_needs_a_name_and_a_reason(db_url, pack, capsys, by, why, message):
    code, _, err = propose(capsys, db_url, pack, by=by, why=why)
    assert code == 2 and message in err


def test_a_short_sha_prefix_is_refused(db_url, capsys):
    Storage.open(db_url).close()
    code, _, err = approve(capsys, db_url, "--sha", "abc")
    assert code == 2 and "give at least 8 characters" in err


# ---- production mode -------------------------------------------------------------------

def dump_and_runs(url):
    with Storage.open(url) as store:
        return store.dump(), store.runs()


def test_production_nightly_refuses_an_unapproved_pack_and_writes_nothing(db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    before = dump_and_runs(db_url)
    code, out, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01", "--production")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert (f"production mode: nightly refuses to run: pack vn-sbv version {SHA[:12]} was never "
            "proposed or approved") in err
    assert dump_and_runs(db_url) == before


def test_a_database_that_requires_approval_refuses_without_the_flag(db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    code, out, _ = review(capsys, "require-approval", db_url, "--by", "carol", "--why", "go live")
    assert code == 0 and "from now on" in out
    before = dump_and_runs(db_url)
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01")
    assert code == 2 and "production mode: nightly refuses to run" in err
    assert dump_and_runs(db_url) == before
    # the setting is kept for good, and audited
    code, out, _ = review(capsys, "require-approval", db_url, "--by", "dave", "--why", "again")
    assert code == 0 and "already required" in out
    with Storage.open(db_url) as store, store.transaction() as conn:
        assert [(e.kind, e.data["set_by"]) for e in audit.entries(conn)] == [("setting", "carol")]


def test_production_runs_an_approved_pack_and_records_it(db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    assert propose(capsys, db_url, VN_PACK)[0] == 0
    assert approve(capsys, db_url, "--rules", VN_PACK)[0] == 0
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01", "--production")
    assert code == 0 and "warning" not in err
    (run,) = dump_and_runs(db_url)[1]
    assert (run["mode"], run["ruleset_approval"]) == ("production", "approved")
    assert json.loads(run["summary_json"])["ruleset_approval"] == "approved"


def test_demo_mode_runs_an_unapproved_pack_and_the_manifest_says_so(db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01")
    assert code == 0
    assert (f"rrr: warning: pack vn-sbv version {SHA[:12]} was never proposed or approved (demo "
            "mode ran it; production mode refuses it)") in err
    (run,) = dump_and_runs(db_url)[1]
    assert (run["mode"], run["ruleset_approval"]) == ("demo", "unreviewed")


def test_approving_a_newer_version_supersedes_the_older_in_production(db_url, pack, tmp_path,
                                                                      capsys):
    sources = gd.feed(tmp_path / "feed")
    for rules, checker in ((VN_PACK, "bob"), (pack, "carol")):
        assert propose(capsys, db_url, rules)[0] == 0
        assert approve(capsys, db_url, "--rules", rules, by=checker)[0] == 0
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01", "--production")
    assert code == 2
    assert (f"pack vn-sbv version {SHA[:12]} was superseded by version "
            f"{load_pack(pack).sha256[:12]}, approved by carol") in err
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01", "--production",
                              rules=pack)
    assert code == 0, err
    # going back to the old version is a new proposal and approval, like any change
    assert propose(capsys, db_url, VN_PACK, why="Decision 9999 withdrawn")[0] == 0
    assert approve(capsys, db_url, "--rules", VN_PACK, by="carol")[0] == 0
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-02", "--production")
    assert code == 0, err


def test_an_approval_written_outside_rrr_engine_is_not_trusted(db_url, tmp_path, capsys):
    sources = gd.feed(tmp_path / "feed")
    assert propose(capsys, db_url, VN_PACK)[0] == 0
    gd.tamper(db_url, (
        "INSERT INTO rrr_pack_reviews (ruleset_sha256, review_no, action, ruleset_id, "
        "ruleset_label, actor, reason, at) VALUES (:sha, 2, 'approval', 'vn-sbv', '2025.10', "
        "'mallory', 'trust me', CURRENT_TIMESTAMP)", {"sha": SHA}))
    code, _, err = gd.nightly(capsys, db_url, sources, "--date", "2025-09-01", "--production")
    assert code == 2
    assert "its approval by mallory is not in the audit log (written outside rrr-engine)" in err
    code, out, _ = rrr(capsys, "audit", "verify", "--db", db_url)
    assert code == 1
    assert (f"MISMATCH rrr_pack_reviews: review {SHA[:12]} #2 (approval by mallory) has no audit "
            "entry") in out
