"""The ``rrr`` command: a dispatcher over command modules, and the one place errors print.

Each module in :data:`COMMAND_MODULES` has ``register(subparsers)`` adding its subcommand with
``func`` set. Any :class:`~rrr_engine.errors.RrrError` becomes one line on stderr and exit 2;
no traceback is shown for bad input. An unexpected exception is a bug: one line saying so,
exit 70, and the traceback only with ``RRR_DEBUG=1``. Logging is configured here and only here
(:mod:`rrr_engine.logs`): ``--log-format text|json`` and ``--log-level`` are accepted before
or after the command name; the command gets its stderr as ``args.console``. No message shows a
secret the command line carries (:mod:`rrr_engine.redact`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from . import __version__, logs
from .errors import RrrError
from .redact import scrub, secrets_in

__all__ = ["COMMAND_MODULES", "EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_OK",
           "EXIT_SHORTFALL", "main"]

EXIT_OK = 0
EXIT_FAILED = 1  # a check that ran and failed: rrr rules check/test, rrr audit verify
EXIT_BAD_INPUT = 2
EXIT_SHORTFALL = 3  # rrr nightly: done, and a closed month has a shortfall
EXIT_INTERNAL = 70

COMMAND_MODULES = (
    "rrr_engine.cmd_evaluate",
    "rrr_engine.cmd_rules",
    "rrr_engine.cmd_nightly",
    "rrr_engine.cmd_demo",
    "rrr_engine.cmd_report",
    "rrr_engine.cmd_periods",
    "rrr_engine.cmd_reevaluate",
    "rrr_engine.cmd_audit",
)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors already; make its message one line too."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"rrr: error: {message} (see '{self.prog} --help')\n")


def _log_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--log-format", choices=logs.FORMATS, default=default,
                        help="log lines on stderr as text or JSON objects (default: text when "
                             "stderr is not a terminal, none on a terminal)")
    parser.add_argument("--log-level", choices=logs.LEVELS, default=default,
                        help="the lowest level logged (default: info)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rrr", description="Required reserves from declarative rule packs.")
    parser.add_argument("--version", action="version", version=f"rrr-engine {__version__}")
    _log_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for command in sub.choices.values():  # after the command name too, where cron lines put it
        _log_options(command, argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # the command line as given, for run manifests (secrets masked there)
    args.console = console = logs.start(log_format=args.log_format, log_level=args.log_level,
                                        stream=sys.stderr, secrets=secrets_in(argv))
    try:
        return int(args.func(args) or EXIT_OK)
    except RrrError as exc:
        console.error(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        console.error("", label="interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback by default
        if os.environ.get("RRR_DEBUG"):
            traceback.print_exc()
        console.error(f"{exc.__class__.__name__}: {scrub(str(exc), console.secrets)} "
                      "(a bug: re-run with RRR_DEBUG=1 for the traceback)", label="internal error")
        return EXIT_INTERNAL
    finally:
        console.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
