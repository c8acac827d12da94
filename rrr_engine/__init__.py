"""rrr-engine: required reserves computed from declarative, dated, cited rule packs.

The public API is what :data:`__all__` lists, importable from here::

    from rrr_engine import Engine, load_pack, Institution, BalanceRow

Every other module is an implementation detail that may move. Names are resolved on first use
(PEP 562), so that ``import rrr_engine`` (and ``rrr --help``) does not load the rule kernel,
pydantic models and SQLAlchemy before a command needs them, and so that the subpackages can
import the vocabulary modules of this package without a circle through it.

The package is drawn in floors (README, "Where things are"); each imports only from those below:

    vocabulary (errors, models, periods, money, ...)  ->  rules, hooks  ->  core, defaults
    ->  engine  ->  store  ->  governance, authoring  ->  reports, jobs  ->  cli
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "AmbiguousRules": "rrr_engine.errors",
    "BalanceRow": "rrr_engine.models",
    "DatabaseUnavailable": "rrr_engine.errors",
    "EmptyDay": "rrr_engine.models",
    "Engine": "rrr_engine.engine",
    "EvaluationError": "rrr_engine.errors",
    "Event": "rrr_engine.models",
    "FxRate": "rrr_engine.models",
    "GovernanceError": "rrr_engine.errors",
    "HoldingRow": "rrr_engine.models",
    "InputError": "rrr_engine.errors",
    "Institution": "rrr_engine.models",
    "InstitutionResult": "rrr_engine.core.result",
    "LockTimeout": "rrr_engine.errors",
    "MissingDataError": "rrr_engine.errors",
    "NoRuleApplies": "rrr_engine.errors",
    "NoRulesetInForce": "rrr_engine.errors",
    "PackNotApproved": "rrr_engine.errors",
    "PluginError": "rrr_engine.errors",
    "RatioBelowFloor": "rrr_engine.errors",
    "ReportError": "rrr_engine.errors",
    "ReviewRefused": "rrr_engine.errors",
    "RrrError": "rrr_engine.errors",
    "RuleFileError": "rrr_engine.errors",
    "RulePack": "rrr_engine.rules.pack",
    "SameReviewer": "rrr_engine.errors",
    "SnapshotConflict": "rrr_engine.errors",
    "SourceUnavailable": "rrr_engine.errors",
    "StorageError": "rrr_engine.errors",
    "SubmissionRefused": "rrr_engine.errors",
    "TemporaryFailure": "rrr_engine.errors",
    "hookimpl": "rrr_engine.hooks.spec",
    "load_pack": "rrr_engine.rules.pack",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rrr_engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # what type checkers and IDEs see
    from rrr_engine.core.result import InstitutionResult
    from rrr_engine.engine import Engine
    from rrr_engine.errors import (
        AmbiguousRules,
        DatabaseUnavailable,
        EvaluationError,
        GovernanceError,
        InputError,
        LockTimeout,
        MissingDataError,
        NoRuleApplies,
        NoRulesetInForce,
        PackNotApproved,
        PluginError,
        RatioBelowFloor,
        ReportError,
        ReviewRefused,
        RrrError,
        RuleFileError,
        SameReviewer,
        SnapshotConflict,
        SourceUnavailable,
        StorageError,
        SubmissionRefused,
        TemporaryFailure,
    )
    from rrr_engine.hooks.spec import hookimpl
    from rrr_engine.models import BalanceRow, EmptyDay, Event, FxRate, HoldingRow, Institution
    from rrr_engine.rules.pack import RulePack, load_pack
