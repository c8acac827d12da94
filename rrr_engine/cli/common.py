"""What the commands share: the results database (``--db``, ``--lock-timeout``), the output
format (``--format text|json|csv``), the source options, the default pack, the command line as
the run log keeps it, and the exit codes.

One ``--db`` default for every command that reads or writes the results database, looked up
in this order (:func:`db_setting`): ``--db``; the environment variable ``RRR_DB``; ``[db] url``
in ``rrr.toml`` of the working directory, else in ``$XDG_CONFIG_HOME/rrr/config.toml``
(``~/.config/rrr/config.toml``); else :data:`DEFAULT_DB`, the file ``rrr demo`` writes. A value
may be an ``env:NAME`` or ``file:PATH`` reference (:func:`rrr_engine.redact.resolve`), so a
password need not sit in a file; whatever it is, a URL is shown with its password masked.

Commands import this module, never each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rrr_engine.bundled import bundled_pack
from rrr_engine.errors import InputError
from rrr_engine.exits import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SHORTFALL,
    EXIT_TEMPFAIL,
    partial_or,
)
from rrr_engine.redact import mask_argv, mask_url

__all__ = ["CONFIG_NAME", "DB_ENV", "DEFAULT_DB", "EXIT_BAD_INPUT", "EXIT_FAILED",
           "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PARTIAL", "EXIT_SHORTFALL",
           "EXIT_TEMPFAIL", "FORMATS", "DbSetting", "add_db_argument", "add_format_argument",
           "add_lock_timeout_argument", "add_source_arguments", "config_files", "configured_db",
           "configured_secrets",
           "date_argument", "db_help", "db_setting", "db_url", "default_rules", "logged_command",
           "open_store", "output_format", "partial_or", "source_options"]

DB_ENV = "RRR_DB"
CONFIG_NAME = "rrr.toml"
# the file `rrr demo` writes with its default --out, so that every command finds the demo's data
DEFAULT_DB = "sqlite:///out/rrr.sqlite"
FORMATS = ("text", "json", "csv")


@dataclass(frozen=True)
class DbSetting:
    """A results database URL (possibly an ``env:``/``file:`` reference) and where it came from."""

    url: str
    source: str

    def shown(self) -> str:
        """``URL (from SOURCE)``, the password masked."""
        return f"{mask_url(self.url)} (from {self.source})"


def config_files() -> list[Path]:
    """The configuration files looked at, first found first: ``./rrr.toml``, then
    ``$XDG_CONFIG_HOME/rrr/config.toml`` (``~/.config`` when the variable is unset)."""
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path(CONFIG_NAME), Path(home) / "rrr" / "config.toml"]


def _config_db(path: Path) -> str | None:
    """``[db] url`` of one configuration file; None when the file has no ``[db]`` table."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    db = data.get("db")
    if db is None:
        return None
    if not isinstance(db, dict):
        raise InputError(f"{path}: db: expected a table, e.g. [db] url = \"sqlite:///rrr.sqlite\"")
    unknown = sorted(set(db) - {"url"})
    if unknown:  # a misspelt key would otherwise be ignored and another database used
        raise InputError(f"{path}: db.{unknown[0]}: unknown setting (expected: url)")
    url = db.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InputError(f"{path}: db.url: expected a database URL as a string, e.g. "
                         "\"postgresql://rrr@dbhost/rrr\" or \"env:RRR_DB_URL\"")
    return url.strip()


def configured_db() -> DbSetting | None:
    """The results database named by ``$RRR_DB`` or a configuration file, if any."""
    env = os.environ.get(DB_ENV, "").strip()
    if env:
        return DbSetting(env, f"${DB_ENV}")
    for path in config_files():
        if path.is_file():
            url = _config_db(path)
            if url is not None:
                return DbSetting(url, f"{path} [db] url")
    return None


def db_setting(args: argparse.Namespace) -> DbSetting:
    """The results database of a command: ``--db``, else :func:`configured_db`, else
    :data:`DEFAULT_DB`."""
    given = getattr(args, "db", None)
    if given:
        return DbSetting(given, "--db")
    return configured_db() or DbSetting(DEFAULT_DB, "the built-in default")


def db_help(what: str) -> str:
    try:
        now = db_setting(argparse.Namespace(db=None)).shown()
    except InputError as exc:  # the command itself reports it; help still prints
        now = f"unknown: {exc}"
    return (f"{what} (default: ${DB_ENV}, else [db] url in ./{CONFIG_NAME} or "
            f"$XDG_CONFIG_HOME/rrr/config.toml, else {DEFAULT_DB}, where rrr demo writes; "
            f"here and now: {now}; env:NAME and file:PATH read the URL from a variable or file)")


def add_db_argument(p: argparse.ArgumentParser, *, what: str = "results database URL",
                    lock_timeout: bool = True) -> None:
    p.add_argument("--db", default=None, metavar="URL", help=db_help(what))
    if lock_timeout:
        add_lock_timeout_argument(p)


def add_format_argument(p: argparse.ArgumentParser, *, default: str = "text",
                        aliases: dict[str, str] | None = None) -> None:
    """``--format text|json|csv`` (:func:`rrr_engine.cli.render.emit` prints each). ``aliases``
    keeps an old spelling working, e.g. ``{"table": "text"}``."""
    choices = FORMATS + tuple(aliases or ())
    old = "; " + ", ".join(f"{a} is an old name for {b}" for a, b in (aliases or {}).items())
    p.add_argument("--format", choices=choices, default=default, metavar="{text,json,csv}",
                   help=f"how results are printed: text for a person, json, or csv (UTF-8 with "
                        f"a byte-order mark, for a spreadsheet) (default: {default}"
                        f"{old if aliases else ''})")
    if aliases:
        p.set_defaults(format_aliases=aliases)


def output_format(args: argparse.Namespace) -> str:
    """``--format`` as one of :data:`FORMATS`; an old spelling gets a note on stderr."""
    aliases: dict[str, str] = getattr(args, "format_aliases", None) or {}
    fmt: str = args.format
    if fmt in aliases:
        console = getattr(args, "console", None)
        if console is not None:
            console.note(f"--format {fmt} is an old name: use --format {aliases[fmt]}")
        fmt = aliases[fmt]
    return fmt


def add_lock_timeout_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock-timeout", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for another run writing the results database before "
                        "giving up with exit 75 (default: $RRR_LOCK_TIMEOUT or 60)")


def db_url(args: argparse.Namespace) -> str:
    """The URL :func:`db_setting` chose (an ``env:``/``file:`` reference is resolved by
    :meth:`~rrr_engine.store.database.Storage.open`)."""
    return db_setting(args).url


def open_store(args: argparse.Namespace, *, url: str | None = None, read_only: bool = False,
               create: bool = False) -> Any:
    """The results database of ``--db`` (or its default, :func:`db_setting`): read-only for a
    reading command; created only when ``create`` (a command that starts a store); otherwise
    a missing one is refused, and when ``--db`` was not given a note says where the URL came
    from."""
    from rrr_engine.errors import RrrError
    from rrr_engine.store.database import Storage

    setting = DbSetting(url, "the caller") if url else db_setting(args)
    try:
        return Storage.open(setting.url, read_only=read_only, create=create,
                            lock_timeout=getattr(args, "lock_timeout", None))
    except RrrError:
        console = getattr(args, "console", None)
        if console is not None and setting.source != "--db":
            console.note(f"--db not given: the results database is {setting.shown()}; "
                         f"rrr demo writes {DEFAULT_DB}")
        raise


def configured_secrets() -> list[str]:
    """The secrets of the URL ``$RRR_DB`` or a configuration file names, to scrub from every
    message (:func:`rrr_engine.redact.secrets_in`); none when there is no such URL."""
    from rrr_engine.redact import secrets_in

    try:
        found = configured_db()
    except InputError:
        return []  # the command that needs it reports the file
    return [] if found is None else secrets_in([found.url])


def default_rules() -> Path:
    """The bundled Vietnam pack (installed with the package, or the checkout's rulesets/)."""
    return bundled_pack()


def date_argument(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD") from None


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE, e.g. corebank_url=sqlite:///bank.db")
    return key.strip(), value.strip()


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """The source options shared by ``nightly`` and ``report``-like commands."""
    p.add_argument("--rules", type=Path, help="rule pack directory (default: the bundled vn-sbv)")
    p.add_argument("--institutions", help="institutions YAML or JSON (file plugin)")
    p.add_argument("--balances", help="balances CSV (file plugin)")
    p.add_argument("--fx-rates", help="FX rates CSV (file plugin)")
    p.add_argument("--holdings", help="central-bank holdings CSV (file plugin)")
    p.add_argument("--source", action="append", type=_pair, default=[], metavar="KEY=VALUE",
                   help="an option for host plugins, e.g. corebank_url=... (repeatable); a "
                        "value env:NAME or file:PATH is read from that variable or file")


def source_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = dict(args.source)
    for key in ("institutions", "balances", "fx_rates", "holdings"):
        if getattr(args, key):
            options[key] = getattr(args, key)
    return options


def logged_command(argv: list[str]) -> str:
    """The command line for the run log, secrets hidden (:func:`rrr_engine.redact.mask_argv`)."""
    return " ".join(["rrr", *mask_argv(argv)])

