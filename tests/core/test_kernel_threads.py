"""The kernel decides in the calling thread alone: no background thread, no lost or stray rule.

durable_rules' own ``Host`` starts two dispatcher timer threads that take any pending action of
its rulesets; a kernel built on it could lose a fired rule to them (the caller then saw no rule
fire, or durable_rules error 307) whenever the interpreter switched threads between asserting a
fact and collecting its actions. A tiny switch interval makes such switches constant: against a
kernel built on ``Host``, the first test failed in 10 of 10 runs (a lost rule, a different
decision, or a segmentation fault).
"""

import itertools
import sys
import threading
from decimal import Decimal

import pytest
from clirun import VN_PACK

from rrr_engine.core.kernel import Decision, Kernel
from rrr_engine.engine import Engine
from rrr_engine.models import BalanceRow, Institution
from rrr_engine.periods import Month
from rrr_engine.rules.pack import load_pack

# 2018-06 and 2025-10 open the two ratio tables for VND; 2011-09 has only FX tables.
MONTHS = (Month(2011, 9), Month(2018, 6), Month(2025, 10))
STATUS_SETS = (frozenset(), frozenset({"special_control"}), frozenset({"winding_up"}),
               frozenset({"support_role", "mandatory_transferee"}))
BANK = Institution(id="B1", **{"class": "other_ci"})
SEPTEMBER = [BalanceRow("B1", day, "vnd_short", "VND", Decimal("1000"))
             for day in Month(2025, 9).dates()]
KERNELS = 12
RUNS = 3


def distinct_facts(pack):
    """Facts that differ in every field a rule reads. The agricultural-lending share makes
    each one distinct, so no decision is reused and every call goes through durable_rules:
    n * 389 mod 1000 thousandths are distinct for n < 1000 (389 is prime to 1000) and spread
    over 0..0.999, across both reduction bands (0.40 and 0.70)."""
    combos = list(itertools.product(MONTHS, pack.header.classes, pack.header.categories,
                                    STATUS_SETS))
    assert len(combos) < 1000
    return [(month, cls, cat, statuses, {"agri_lending_share": Decimal(n * 389 % 1000) / 1000})
            for n, (month, cls, cat, statuses) in enumerate(combos)]


def agri_reductions(share):
    """reductions.yaml: c14-agri-70 from a 70% share, c14-agri-40 from 40% below 70%."""
    return ("c14-agri-70",) if share >= Decimal("0.70") else (
        ("c14-agri-40",) if share >= Decimal("0.40") else ())


@pytest.fixture
def constant_thread_switching():
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_many_kernels_decide_every_fact_identically_under_constant_thread_switching(
        constant_thread_switching):
    pack = load_pack(VN_PACK)
    facts = distinct_facts(pack)
    kernels = [Kernel(pack, reuse_decisions=False) for _ in range(KERNELS)]
    reference = [kernels[0].decide(*fact) for fact in facts]
    # the comparison means something only if the facts exercise every kind of rule
    assert all(any(getattr(d, kind) for d in reference)
               for kind in ("ratios", "exemptions", "reductions"))
    assert any(not d.ratios and not d.exemptions for d in reference)  # VND before 2018-06
    # and the reference is the pack's answer: 2025-10 VND facts of two classes, read off
    # ratios.yaml (rows 1 and 2 of d1158-2977-2025) and reductions.yaml
    for (month, cls, cat, statuses, attrs), got in zip(facts, reference, strict=True):
        if month == Month(2025, 10) and cat.startswith("vnd_") and not statuses:
            row = {"agribank": 1, "other_ci": 2}.get(cls)
            if row:
                assert got == Decision(ratios=(f"d1158-2977-2025|{row}|{cat}",), exemptions=(),
                                       reductions=agri_reductions(attrs["agri_lending_share"]))
    for run in range(RUNS):
        for k, kernel in enumerate(kernels):
            decided = [kernel.decide(*fact) for fact in facts]
            mismatched = [(fact[:4], want, got)
                          for fact, want, got in zip(facts, reference, decided, strict=True)
                          if want != got]
            assert not mismatched, f"run {run}, kernel {k}: {mismatched[:3]}"
    assert all(k.facts_asserted == (RUNS + (k is kernels[0])) * len(facts) for k in kernels)


def test_building_and_using_engines_starts_no_thread():
    before = set(threading.enumerate())
    engines = [Engine(VN_PACK, entry_points=False) for _ in range(3)]
    for engine in engines:
        for month in MONTHS:
            engine.kernel.decide(month, "other_ci", "vnd_short", frozenset(), {})
        engine.evaluate("2025-10", institutions=[BANK], balances=SEPTEMBER)
    started = [t.name for t in threading.enumerate() if t not in before]
    assert started == [], f"threads started by the engines: {started}"
