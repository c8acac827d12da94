"""The one exception tree of rrr-engine.

Every error the engine raises on purpose derives from :class:`RrrError`, carries its context
as typed attributes that each class declares (``institution``, ``period`` and ``field`` on
every error; ``file``, ``line`` and ``problem`` on an :class:`InputError`; ``retry`` on a
:class:`TemporaryFailure`; ...), and renders as one line a compliance officer can act on.
Anything else a raiser knows (a host plugin's ``account_id``, say) is kept in ``context``.
The CLI prints that line and exits 2, or 75 for a :class:`TemporaryFailure` (retrying later
may succeed); anything else is a bug (70). The exit codes themselves live in
:mod:`rrr_engine.exits`.

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

from collections.abc import Sequence
from os import PathLike
from typing import Any

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

    message: str
    """The one line ``str(err)`` returns."""
    institution: str | None
    """The institution the error is about, if it is about one."""
    period: str | None
    """The maintenance period (or month, or business date) it is about, as text, if any."""
    field: str | None
    """The field, key, setting or option at fault (``settings.missing_days``, ``--by``)."""
    context: dict[str, object]
    """Every attribute above that is known (not ``None``) and any further keyword the raiser
    gave, by name: what logs and reports show beside the message."""

    def __init__(self, message: str, *, institution: str | None = None,
                 period: str | None = None, field: str | None = None,
                 **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.institution = institution
        self.period = period
        self.field = field
        given = {"institution": institution, "period": period, "field": field, **context}
        self.context = {key: value for key, value in given.items() if value is not None}

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

    problem: str
    """What is wrong, without the ``file:line: field:`` prefix of the message."""
    file: str | None
    """The file at fault, as the raiser named it (a path), if the input is a file."""
    line: int | None
    """The 1-based line of ``file`` at fault, if known."""

    def __init__(self, problem: str, *, file: str | PathLike[str] | None = None,
                 line: int | None = None, field: str | None = None,
                 institution: str | None = None, period: str | None = None,
                 **context: Any) -> None:
        super().__init__(_where(file, line, field) + problem, institution=institution,
                         period=period, field=field, file=file, line=line, problem=problem,
                         **context)
        self.problem = problem
        self.file = None if file is None else str(file)
        self.line = line


class RuleFileError(InputError):
    """A rule pack file that cannot be parsed or does not validate."""

    problems: tuple[object, ...]
    """When the pack reader refuses a pack: every problem it found (its ``Issue`` records, the
    first one being this error's message); otherwise empty. Kept out of ``context``: a list of
    problems is a report, not a log field."""

    def __init__(self, problem: str, *, problems: Sequence[object] = (),
                 **context: Any) -> None:
        super().__init__(problem, **context)
        self.problems = tuple(problems)


class MissingDataError(InputError):
    """Data the law needs is absent; the engine never substitutes zero for it."""

    currency: str | None
    """The currency whose data (an FX rate) is missing, if that is what is missing."""

    def __init__(self, problem: str, *, currency: str | None = None, **context: Any) -> None:
        super().__init__(problem, currency=currency, **context)
        self.currency = currency


class EvaluationError(RrrError):
    """The rules cannot produce a figure for an institution and month."""

    category: str | None
    """The reserve category (a column of the ratio tables) the rules cannot decide, if one."""
    rule: str | None
    """The id of the rule at issue (a reduction, say), if one."""

    def __init__(self, message: str, *, category: str | None = None, rule: str | None = None,
                 **context: Any) -> None:
        super().__init__(message, category=category, rule=rule, **context)
        self.category = category
        self.rule = rule


class NoRulesetInForce(EvaluationError):
    """The maintenance month is before the earliest version of the pack."""

    pack: str | None
    """The id of the pack that has no version in force."""

    def __init__(self, message: str, *, pack: str | None = None, **context: Any) -> None:
        super().__init__(message, pack=pack, **context)
        self.pack = pack


class NoRuleApplies(EvaluationError):
    """No ratio rule matches an institution, category and month."""


class AmbiguousRules(EvaluationError):
    """More than one ratio rule matches the same institution, category and month."""

    rules: tuple[str, ...]
    """The ids of every rule that matches."""

    def __init__(self, message: str, *, rules: Sequence[str] = (), **context: Any) -> None:
        super().__init__(message, rules=tuple(rules), **context)
        self.rules = tuple(rules)


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

    path: str | None
    """The file that could not be written."""

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None,
                 **context: Any) -> None:
        shown = None if path is None else str(path)
        super().__init__(message, path=shown, **context)
        self.path = shown


class GovernanceError(RrrError):
    """Maker-checker, audit-log or locked-period rules were broken."""


class ReviewRefused(GovernanceError):
    """A proposal, approval or rejection refused: unknown, already decided or changed version."""

    sha: str | None
    """The SHA-256 of the pack version (or the prefix given for it) under review."""

    def __init__(self, message: str, *, sha: str | None = None, **context: Any) -> None:
        super().__init__(message, sha=sha, **context)
        self.sha = sha


class SameReviewer(ReviewRefused):
    """The checker is the proposer; ``proposer`` and ``checker`` name them."""

    proposer: str
    """Who proposed the version, as recorded."""
    checker: str
    """Who tried to approve or reject it, as given."""

    def __init__(self, message: str, *, proposer: str, checker: str,
                 **context: Any) -> None:
        super().__init__(message, proposer=proposer, checker=checker,
                         **context)
        self.proposer = proposer
        self.checker = checker


class PackNotApproved(GovernanceError):
    """Production mode refuses a pack version that is not the latest approved one."""

    sha: str | None
    """The SHA-256 of the pack version that was refused."""
    state: str | None
    """Its approval state (``proposed``, ``rejected``, ``unreviewed``, ...)."""

    def __init__(self, message: str, *, sha: str | None = None, state: str | None = None,
                 **context: Any) -> None:
        super().__init__(message, sha=sha, state=state, **context)
        self.sha = sha
        self.state = state


class SubmissionRefused(GovernanceError):
    """A period has no stored results to submit, or its latest versions are submitted."""


class TemporaryFailure(RrrError):
    """Nothing is wrong with the input: something was unreachable, locked or too slow.

    ``str(err)`` is the problem followed by ``retry``, the hint saying what to do before
    running the same command again (which then completes what is missing).
    """

    problem: str
    """What was unreachable, locked or too slow."""
    retry: str
    """What to do before running the same command again (``retry later`` by default)."""

    def __init__(self, problem: str, *, retry: str = "retry later", **context: Any) -> None:
        super().__init__(f"{problem}; {retry}", problem=problem, retry=retry,
                         **context)
        self.problem = problem
        self.retry = retry


class SourceUnavailable(TemporaryFailure):
    """The host's data source (e.g. the core-banking database) cannot be reached or read."""


class DatabaseUnavailable(TemporaryFailure):
    """The results database cannot be reached, or refuses the login."""


class LockTimeout(TemporaryFailure):
    """Another run held the results database's write lock longer than the lock timeout."""
