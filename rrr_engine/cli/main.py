"""The ``rrr`` command: a dispatcher over command modules, the one place errors print, and
the one table of exit codes.

Each module in :data:`COMMAND_MODULES` has ``register(subparsers)`` adding its subcommand with
``func`` set. Any :class:`~rrr_engine.errors.RrrError` becomes one line on stderr and exit 2
(75 for a :class:`~rrr_engine.errors.TemporaryFailure`); no traceback is shown for bad input.
An unexpected exception is a bug: one line saying so, exit 70, and the traceback only with
``RRR_DEBUG=1``. Every command's ``--help`` ends with the exit codes it can return
(:data:`EXIT_MEANINGS`, :data:`COMMAND_EXITS`). Logging is configured here and only here
(:mod:`rrr_engine.cli.logs`): ``--log-format text|json`` and ``--log-level`` are accepted before
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

from rrr_engine import __version__
from rrr_engine.cli import logs
from rrr_engine.cli.common import configured_secrets
from rrr_engine.errors import RrrError, TemporaryFailure
from rrr_engine.exits import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SHORTFALL,
    EXIT_TEMPFAIL,
    exit_code,
    partial_or,
    run_outcome,
)
from rrr_engine.redact import scrub, secrets_in

__all__ = ["COMMAND_EXITS", "COMMAND_MODULES", "EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERNAL",
           "EXIT_INTERRUPTED", "EXIT_MEANINGS", "EXIT_OK", "EXIT_PARTIAL", "EXIT_SHORTFALL",
           "EXIT_TEMPFAIL", "exit_code", "main", "partial_or", "run_outcome"]


EXIT_MEANINGS = {
    EXIT_OK: "done",
    EXIT_FAILED: "a check ran and failed",
    EXIT_BAD_INPUT: "bad input: nothing could be computed, or the whole run's input is bad "
                    "(one line on stderr names the file, line or field)",
    EXIT_SHORTFALL: "done, and a closed period has a shortfall",
    EXIT_PARTIAL: "partly failed: at least one institution has an error entry naming it, the "
                  "others were computed (and stored); takes precedence over 3",
    EXIT_TEMPFAIL: "temporary failure: a source or database unreachable, locked or timed out "
                   "(retry later)",
    EXIT_INTERNAL: "internal error, a bug (RRR_DEBUG=1 shows the traceback)",
    EXIT_INTERRUPTED: "interrupted",
}

_ALWAYS = (EXIT_BAD_INPUT, EXIT_TEMPFAIL, EXIT_INTERNAL, EXIT_INTERRUPTED)
# The codes each command can end with besides 0 and _ALWAYS; a command not named has no others.
COMMAND_EXITS: dict[str, tuple[int, ...]] = {
    "evaluate": (EXIT_PARTIAL,),
    "nightly": (EXIT_SHORTFALL, EXIT_PARTIAL),
    "reevaluate": (EXIT_PARTIAL,),
    "rules diff": (EXIT_PARTIAL,),
    "rules check": (EXIT_FAILED,),
    "rules test": (EXIT_FAILED,),
    "rules import": (EXIT_FAILED,),
    "rules propose": (EXIT_FAILED,),
    "audit verify": (EXIT_FAILED,),
}


def _exit_epilog(command: str) -> str:
    codes = sorted({EXIT_OK, *COMMAND_EXITS.get(command, ()), *_ALWAYS})
    return "exit status: " + "; ".join(f"{c} {EXIT_MEANINGS[c]}" for c in codes) + "."


def _add_exit_epilogs(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> None:
    """Append the exit codes to the help of every (sub)command below ``parser``."""
    for action in parser._actions:  # argparse has no public way to walk subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                here = (*path, name)
                if not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    sub.epilog = _exit_epilog(" ".join(here))
                _add_exit_epilogs(sub, here)

COMMAND_MODULES = (
    "rrr_engine.cli.evaluate",
    "rrr_engine.cli.rules",
    "rrr_engine.cli.nightly",
    "rrr_engine.cli.demo",
    "rrr_engine.cli.report",
    "rrr_engine.cli.periods",
    "rrr_engine.cli.reevaluate",
    "rrr_engine.cli.audit",
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
    _add_exit_epilogs(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # the command line as given, for run manifests (secrets masked there)
    args.console = console = logs.start(log_format=args.log_format, log_level=args.log_level,
                                        stream=sys.stderr,
                                        secrets=secrets_in(argv) + configured_secrets())
    try:
        return int(args.func(args) or EXIT_OK)
    except TemporaryFailure as exc:
        console.error(str(exc), label="temporary failure")
        return EXIT_TEMPFAIL
    except RrrError as exc:
        console.error(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        console.error("", label="interrupted")
        return EXIT_INTERRUPTED
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
