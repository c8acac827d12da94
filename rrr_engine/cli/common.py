"""What the commands share: the results database (``--db``, ``--lock-timeout``), the source
options, the default pack, the command line as the run log keeps it, and the exit codes.

Commands import this module, never each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from rrr_engine.bundled import bundled_pack
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
from rrr_engine.redact import mask_argv

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK",
           "EXIT_PARTIAL", "EXIT_SHORTFALL", "EXIT_TEMPFAIL", "add_db_argument",
           "add_lock_timeout_argument", "add_source_arguments", "date_argument", "db_url",
           "default_rules", "logged_command", "open_store", "partial_or", "source_options"]


def add_db_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None,
                   help="results database URL (default: sqlite:///out/rrr.sqlite, the nightly "
                        "job's default)")
    add_lock_timeout_argument(p)


def add_lock_timeout_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock-timeout", type=float, default=None, metavar="SECONDS",
                   help="how long to wait for another run writing the results database before "
                        "giving up with exit 75 (default: $RRR_LOCK_TIMEOUT or 60)")


def db_url(args: argparse.Namespace) -> str:
    from rrr_engine.store.database import default_url
    return args.db or default_url(Path("out"))


def open_store(args: argparse.Namespace, *, url: str | None = None, read_only: bool = False,
               create: bool = False) -> Any:
    """The results database of ``--db``: read-only for a reading command; created only when
    ``create`` (a command that starts a store); otherwise a missing one is refused."""
    from rrr_engine.store.database import Storage
    return Storage.open(url or db_url(args), read_only=read_only, create=create,
                        lock_timeout=getattr(args, "lock_timeout", None))



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

