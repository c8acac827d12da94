"""Each error of the one exception tree declares the attributes it carries and sets them."""

import inspect
from pathlib import Path

import pytest

from rrr_engine import errors
from rrr_engine.errors import (
    AmbiguousRules,
    InputError,
    LockTimeout,
    MissingDataError,
    RrrError,
    SameReviewer,
)

# the keyword arguments an error cannot be built without
_REQUIRED = {"SameReviewer": {"proposer": "alice", "checker": "ALICE"}}


def _declared(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ if issubclass(klass, RrrError)
            for name in inspect.get_annotations(klass)}


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_sets_each_attribute_it_declares(name):
    cls = getattr(errors, name)
    err = cls("what is wrong", **_REQUIRED.get(name, {}))
    assert {"message", "institution", "period", "field", "context"} <= _declared(cls)
    missing = [attr for attr in _declared(cls) if not hasattr(err, attr)]
    assert missing == []
    assert "what is wrong" in str(err) and "\n" not in str(err)


def test_an_input_error_names_file_line_and_field_before_the_problem():
    err = InputError("expected a date", file=Path("data/balances.csv"), line=7, field="date",
                     institution="VCB")
    assert str(err) == "data/balances.csv:7: date: expected a date"
    assert (err.file, err.line, err.field, err.problem) == ("data/balances.csv", 7, "date",
                                                            "expected a date")
    assert err.institution == "VCB" and err.period is None


def test_what_is_known_is_in_the_context_and_nothing_else():
    err = MissingDataError("no rate", field="fx_rates", currency="USD", period="2025-10")
    assert err.context == {"field": "fx_rates", "currency": "USD", "period": "2025-10",
                           "problem": "no rate"}
    assert err.currency == "USD"


def test_a_keyword_no_class_declares_stays_in_the_context():
    err = InputError("negative balance", field="balances.amount", account_id=11)
    assert err.context["account_id"] == 11
    assert not hasattr(err, "account_id")


def test_a_temporary_failure_says_how_to_retry():
    err = LockTimeout("the results database is locked", retry="retry in a minute")
    assert str(err) == "the results database is locked; retry in a minute"
    assert (err.problem, err.retry) == ("the results database is locked", "retry in a minute")


def test_the_rules_and_the_reviewers_are_attributes():
    assert AmbiguousRules("two rules", rules=["a", "b"], category="vnd_short").rules == ("a", "b")
    refused = SameReviewer("same person", sha="ab12", proposer="alice", checker="ALICE")
    assert (refused.sha, refused.proposer, refused.checker) == ("ab12", "alice", "ALICE")
