"""Helpers for the governance tests: an amended copy of the Vietnam pack, the nightly job
over tests/nightly_data.py's feed, and tampering with a database as a privileged user would
(dropping the audit log's append-only guards first)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nightly_data as nd
from clirun import VN_PACK, rrr
from sqlalchemy import create_engine, text

START, END = dt.date(2025, 9, 1), dt.date(2025, 11, 1)


def amended_pack(folder: Path, *, table: str = "d1158-2977-2025", classes: str = "[other_ci]",
                 category: str = "vnd_short", old: str = "0.03", new: str = "0.04") -> Path:
    """A copy of the Vietnam pack with one ratio cell changed (one row of one table)."""
    shutil.copytree(VN_PACK, folder)
    ratios = folder / "ratios.yaml"
    body = ratios.read_text(encoding="utf-8")
    at = body.index(f"id: {table}")
    row = body.index(f"classes: {classes}", at)
    cell = body.index(f'{category}: "{old}"', row)
    end = cell + len(f'{category}: "{old}"')
    ratios.write_text(body[:cell] + f'{category}: "{new}"' + body[end:], encoding="utf-8")
    return folder


def edit_file(pack: Path, name: str, old: str, new: str) -> None:
    path = pack / name
    body = path.read_text(encoding="utf-8")
    assert old in body, (name, old)
    path.write_text(body.replace(old, new, 1), encoding="utf-8")


def feed(folder: Path, override: dict | None = None) -> dict:
    return nd.write_feed(folder, START, END, override=override)


def nightly(capsys, db: str, sources: dict, *args: str, rules: Path = VN_PACK):
    return rrr(capsys, "nightly", "--db", db, "--rules", rules, "--institutions",
               sources["institutions"], "--balances", sources["balances"], "--fx-rates",
               sources["fx_rates"], "--holdings", sources["holdings"], "--no-reports", *args)


def backfill(capsys, db: str, sources: dict, *args: str, rules: Path = VN_PACK):
    """September 1 to November 1: requirements of October and November, October closed."""
    return nightly(capsys, db, sources, "--from", str(START), "--to", str(END), *args, rules=rules)


def tamper(url: str, *statements: str | tuple[str, dict]) -> None:
    """Run raw SQL (text, or text and bind parameters) as someone with full rights to the
    database: the append-only triggers of the audit log are dropped first, as a tamperer
    would have to."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP TRIGGER IF EXISTS rrr_audit_log_append_only ON "
                                  "rrr_audit_log"))
            else:
                conn.execute(text("DROP TRIGGER IF EXISTS rrr_audit_log_no_update"))
                conn.execute(text("DROP TRIGGER IF EXISTS rrr_audit_log_no_delete"))
            for sql in statements:
                sql, params = (sql, {}) if isinstance(sql, str) else sql
                conn.execute(text(sql), params)
    finally:
        engine.dispose()


def raw(url: str, sql: str, **params) -> list:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()
