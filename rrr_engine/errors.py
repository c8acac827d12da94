"""The one exception tree of rrr-engine.

Every error the engine raises on purpose derives from :class:`RrrError`, carries its context
(file, line, field, institution, period, rules) as attributes, and renders as one line a
compliance officer can act on. The CLI prints that line and exits 2, or 75 for a
:class:`TemporaryFailure` (retrying later may succeed); anything else is a bug (70). The exit
codes themselves live in :mod:`rrr_engine.cli.main`.

::

    RrrError
    ├── InputError                 bad data from a host: a file, a row, a field
    │   ├── RuleFileError          a rule pack file that does not parse or validate
    │   └── MissingDataError       a day of balances, an FX rate, a holding that is not there
    ├── EvaluationError            the rules cannot decide
    │   ├── NoRulesetInForce       the maintenance month precedes every version of the pack
    │   ├── NoRuleApplies          no ratio rule matches an institution-category-month
    │   ├── AmbiguousRules         two or more ratio rules match the same cell
    │   └── RatioBelowFloor        a proposed reduced ratio is below its legal floor
    ├── PluginError                a host plugin misbehaved or a hook is not implemented
    ├── StorageError               the results database refused or is inconsistent
    │   └── SnapshotConflict       a stored business date now reads differently at the source
    ├── ReportError                a report file could not be written
    ├── TemporaryFailure           unreachable, locked or timed out: retry later (exit 75)
    │   ├── SourceUnavailable      the host's source (a core-banking database) cannot be read
    │   ├── DatabaseUnavailable    the results database cannot be reached or refuses the login
    │   └── LockTimeout            another writer held the results database past the timeout
    └── GovernanceError            approval, audit-log or locked-period rules were broken
        ├── ReviewRefused          a proposal, approval or rejection the maker-checker refuses
        │   └── SameReviewer       the checker is the proposer (both named)
        ├── PackNotApproved        production mode: the pack version is not the approved one
        └── SubmissionRefused      nothing (more) to submit to the central bank for a period

A broken audit chain is not raised: ``rrr audit verify`` returns its findings as data.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousRules",
    "DatabaseUnavailable",
    "EvaluationError",
    "GovernanceError",
    "InputError",
    "LockTimeout",
    "MissingDataError",
    "NoRuleApplies",
    "NoRulesetInForce",
    "PackNotApproved",
    "PluginError",
    "RatioBelowFloor",
    "ReportError",
    "ReviewRefused",
    "RrrError",
    "RuleFileError",
    "SameReviewer",
    "SnapshotConflict",
    "SourceUnavailable",
    "StorageError",
    "SubmissionRefused",
    "TemporaryFailure",
]


class RrrError(Exception):
    """Base of every deliberate rrr-engine error; ``str(err)`` is the one-line message."""

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for key, value in context.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message


def _where(file: object = None, line: object = None, field: object = None) -> str:
    """``file:line: field: `` prefix, leaving out what is unknown."""
    parts = [str(p) for p in (file, line) if p not in (None, "")]
    head = ":".join(parts)
    if field not in (None, ""):
        head = f"{head}: {field}" if head else str(field)
    return f"{head}: " if head else ""


class InputError(RrrError):
    """Bad input: ``file:line: field: what is wrong (expected ...)``."""

    def __init__(self, problem: str, *, file: object = None, line: object = None,
                 field: object = None, **context: object) -> None:
        super().__init__(_where(file, line, field) + problem, file=file, line=line,
                         field=field, problem=problem, **context)


class RuleFileError(InputError):
    """A rule pack file that cannot be parsed or does not validate."""


class MissingDataError(InputError):
    """Data the law needs is absent; the engine never substitutes zero for it."""


class EvaluationError(RrrError):
    """The rules cannot produce a figure for an institution and month."""


class NoRulesetInForce(EvaluationError):
    """The maintenance month is before the earliest version of the pack."""


class NoRuleApplies(EvaluationError):
    """No ratio rule matches an institution, category and month."""


class AmbiguousRules(EvaluationError):
    """More than one ratio rule matches the same institution, category and month."""


class RatioBelowFloor(EvaluationError):
    """An institution's proposed reduced ratio is below the floor the law sets."""


class PluginError(RrrError):
    """A plugin failed or a required hook has no implementation."""


class StorageError(RrrError):
    """The results database cannot be read or written as expected."""


class SnapshotConflict(StorageError):
    """A date already snapshotted has different figures at the source (restate to replace)."""


class ReportError(RrrError):
    """A report file could not be written (directory, permissions, disk)."""


class GovernanceError(RrrError):
    """Maker-checker, audit-log or locked-period rules were broken."""


class ReviewRefused(GovernanceError):
    """A proposal, approval or rejection refused: unknown, already decided or changed version."""


class SameReviewer(ReviewRefused):
    """The checker is the proposer; ``proposer`` and ``checker`` name them."""


class PackNotApproved(GovernanceError):
    """Production mode refuses a pack version that is not the latest approved one."""


class SubmissionRefused(GovernanceError):
    """A period has no stored results to submit, or its latest versions are submitted."""


class TemporaryFailure(RrrError):
    """Nothing is wrong with the input: something was unreachable, locked or too slow.

    ``str(err)`` is the problem followed by ``retry``, the hint saying what to do before
    running the same command again (which then completes what is missing).
    """

    def __init__(self, problem: str, *, retry: str = "retry later", **context: object) -> None:
        super().__init__(f"{problem}; {retry}", problem=problem, retry=retry, **context)


class SourceUnavailable(TemporaryFailure):
    """The host's data source (e.g. the core-banking database) cannot be reached or read."""


class DatabaseUnavailable(TemporaryFailure):
    """The results database cannot be reached, or refuses the login."""


class LockTimeout(TemporaryFailure):
    """Another run held the results database's write lock longer than the lock timeout."""
