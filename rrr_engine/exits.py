"""Exit codes: what the end of a command or a run means to the scheduler that started it.

The same codes are recorded in the run log (``rrr_runs.exit_code``) by the jobs and returned
by the command line (:mod:`rrr_engine.cli.main`), so they live below both. 64-78 follow
BSD's ``sysexits.h`` where a meaning matches.
"""

from __future__ import annotations

from rrr_engine.errors import RrrError, TemporaryFailure

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK",
           "EXIT_PARTIAL", "EXIT_SHORTFALL", "EXIT_TEMPFAIL", "exit_code", "partial_or",
           "run_outcome"]

EXIT_OK = 0

EXIT_FAILED = 1  # a check that ran and failed: rrr rules check/test, rrr audit verify

EXIT_BAD_INPUT = 2  # nothing could be computed, or the whole run's input is bad

EXIT_SHORTFALL = 3  # done, and a closed period has a shortfall

EXIT_PARTIAL = 4  # some institutions have an error entry, the others were computed (stored)

EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug

EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: unreachable, locked or timed out; may succeed later

EXIT_INTERRUPTED = 130  # 128 + SIGINT


def exit_code(exc: BaseException) -> int:
    """The exit code for a run that ended with ``exc``."""
    if isinstance(exc, TemporaryFailure):
        return EXIT_TEMPFAIL
    if isinstance(exc, RrrError):
        return EXIT_BAD_INPUT
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL


def run_outcome(exc: BaseException) -> str:
    """The run log's ``outcome`` for a run that ended with ``exc``."""
    return {EXIT_TEMPFAIL: "temporary_failure", EXIT_BAD_INPUT: "error",
            EXIT_INTERRUPTED: "interrupted"}.get(exit_code(exc), "internal_error")


def partial_or(done: int, *, computed: int, failed: int) -> int:
    """A batch's exit code: ``done`` when no institution failed, 4 when some did and others
    were computed, 2 when every institution failed (nothing could be computed)."""
    if not failed:
        return done
    return EXIT_PARTIAL if computed else EXIT_BAD_INPUT

