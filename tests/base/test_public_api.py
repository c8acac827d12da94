"""The public API is what the package root exports: exactly the names below, sorted, each one
resolving to the object its module defines, loaded only when first used."""

import importlib
import importlib.metadata
import subprocess
import sys

import rrr_engine
from rrr_engine import errors

# Written out by hand: adding or removing a public name is a decision this list records.
PUBLIC = [
    "AmbiguousRules",
    "BalanceRow",
    "DatabaseUnavailable",
    "EmptyDay",
    "Engine",
    "EvaluationError",
    "Event",
    "FxRate",
    "GovernanceError",
    "HoldingRow",
    "InputError",
    "Institution",
    "InstitutionResult",
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
    "RulePack",
    "SameReviewer",
    "SnapshotConflict",
    "SourceUnavailable",
    "StorageError",
    "SubmissionRefused",
    "TemporaryFailure",
    "__version__",
    "hookimpl",
    "load_pack",
]


def test_the_package_root_exports_exactly_the_public_names():
    assert rrr_engine.__all__ == PUBLIC


def test_the_public_names_are_sorted():
    assert rrr_engine.__all__ == sorted(rrr_engine.__all__)


def test_every_public_name_resolves_to_the_object_its_module_defines():
    for name in PUBLIC:
        value = getattr(rrr_engine, name)
        if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
            home = importlib.import_module(value.__module__)
            assert getattr(home, name) is value, name
    # the hook marker is an instance: the one the hook specifications module makes
    from rrr_engine.hooks.spec import hookimpl
    assert rrr_engine.hookimpl is hookimpl


def test_every_error_of_the_exception_tree_is_public():
    assert set(errors.__all__) <= set(PUBLIC)
    assert all(issubclass(getattr(rrr_engine, name), rrr_engine.RrrError)
               for name in errors.__all__)


def test_the_version_is_the_installed_distribution_s():
    assert rrr_engine.__version__ == importlib.metadata.version("rrr-engine")


def test_an_unknown_name_is_an_attribute_error():
    try:
        rrr_engine.Engin  # noqa: B018 - the lookup is the test
    except AttributeError as exc:
        assert str(exc) == "module 'rrr_engine' has no attribute 'Engin'"
    else:
        raise AssertionError("rrr_engine.Engin resolved")


def test_engine_imports_from_the_root_and_only_when_asked_for():
    # a fresh interpreter: importing the package alone loads neither the engine nor the kernel
    code = ("import sys, rrr_engine\n"
            "before = {'rrr_engine.engine', 'rrr_engine.core.kernel'} & set(sys.modules)\n"
            "from rrr_engine import Engine\n"
            "from rrr_engine.engine import Engine as Defined\n"
            "print(sorted(before), Engine is Defined)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[] True\n"
