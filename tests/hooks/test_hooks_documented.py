"""Every hook specification is documented, typed and tested (after datasette's test_docs).

A hook's docstring is its documentation: it must describe every argument with ``:param:``
and say whether the hook is ``firstresult`` (matching the marker). Every hook must also have
a test named ``test_hook_<name>`` somewhere under tests/.
"""

import inspect
import re
from pathlib import Path

import pytest

from rrr_engine.hooks import spec as hookspecs

TESTS = Path(__file__).resolve().parents[1]
SPEC_ATTR = "rrr_engine_spec"  # where pluggy's HookspecMarker("rrr_engine") keeps its options

HOOKS = sorted(name for name, obj in vars(hookspecs).items()
               if callable(obj) and hasattr(obj, SPEC_ATTR))


def test_there_are_hooks_and_all_are_prefixed():
    assert {"rrr_institutions", "rrr_daily_balances", "rrr_publish_results"} <= set(HOOKS)
    assert [h for h in HOOKS if not h.startswith("rrr_")] == []
    unmarked = [n for n, o in vars(hookspecs).items() if n.startswith("rrr_") and n not in HOOKS]
    assert unmarked == [], "functions named like hooks but not marked as hookspecs"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_every_param(name):
    func = getattr(hookspecs, name)
    doc = inspect.getdoc(func) or ""
    assert doc, f"{name} has no docstring"
    missing = [p for p in inspect.signature(func).parameters if f":param {p}:" not in doc]
    assert missing == [], f"{name}: no :param: for {', '.join(missing)}"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_states_whether_it_is_firstresult(name):
    func = getattr(hookspecs, name)
    doc = inspect.getdoc(func) or ""
    first = getattr(func, SPEC_ATTR)["firstresult"]
    if first:
        assert "``firstresult``" in doc and "Not ``firstresult``" not in doc
    else:
        assert "Not ``firstresult``" in doc, f"{name} must say it is not firstresult"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_fully_typed(name):
    sig = inspect.signature(getattr(hookspecs, name))
    assert sig.return_annotation is not inspect.Signature.empty
    assert [p for p, v in sig.parameters.items() if v.annotation is inspect.Parameter.empty] == []


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_test(name):
    pattern = re.compile(rf"^\s*def test_hook_{re.escape(name)}\b", re.MULTILINE)
    found = [p for p in TESTS.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert found, f"no test named test_hook_{name} under tests/"
