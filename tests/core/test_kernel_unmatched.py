"""A fact that no rule of a version matches is an empty decision, never a crash.

durable_rules 2.0.28 segfaults in ``delete_state`` after a fact it could not handle; the
kernel adds a match-all rule so every fact is handled. The VN pack leaves VND uncovered
before 2018-06, so a 2015 VND category is such a fact.
"""

from decimal import Decimal

import pytest
from clirun import VN_PACK

from rrr_engine.core.kernel import Kernel
from rrr_engine.engine import Engine
from rrr_engine.errors import NoRuleApplies
from rrr_engine.models import BalanceRow, Institution
from rrr_engine.periods import Month
from rrr_engine.rules.pack import load_pack


def test_uncovered_category_decides_nothing_and_contexts_stay_flat():
    kernel = Kernel(load_pack(VN_PACK), reuse_decisions=False)
    for _ in range(1100):  # more than durable_rules' 1,024 live contexts
        decision = kernel.decide(Month(2011, 9), "other_ci", "vnd_short", frozenset(), {})
    assert (decision.ratios, decision.exemptions, decision.reductions) == ((), (), ())


def test_uncovered_category_with_a_base_is_a_named_error():
    engine = Engine(VN_PACK, entry_points=False)
    inst = Institution.model_validate({"id": "OLD", "class": "other_ci"})
    rows = [BalanceRow("OLD", day, "vnd_short", "VND", Decimal("1"))
            for day in Month(2015, 2).dates()]
    with pytest.raises(NoRuleApplies, match="category vnd_short, maintenance month 2015-03"):
        engine.evaluate("2015-03", institutions=[inst], balances=rows)
