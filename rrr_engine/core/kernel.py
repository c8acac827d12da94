"""The matching kernel: a pack version compiled to a durable_rules ruleset, and decisions.

Each :class:`Kernel` owns its rulesets in durable_rules' C core (``durable_rules_engine``) and
drives them itself, in the calling thread, with the calls ``durable.engine.Host`` makes. It
does not use ``Host``: every ``Host`` starts two self-rescheduling dispatcher timers in its
constructor, and a dispatcher that runs between a fact's assertion and the caller's own action
call takes the pending action, so the caller sees no rule fire, a wrong set, or error 307
(measured, 2.0.28). The kernel needs neither timers nor queued actions: the rules that fire for
a fact are read from the C core's answers for that fact's own state (``start_action_for_state``,
then ``complete_and_start_action`` until none is left), into a list local to the call. Two
kernels with different packs live side by side in one process.

A version's rules become one ruleset given as JSON data, one rule per ratio cell, exemption,
reduction and allowance, named after it. A decision fact is asserted (not posted: a posted
event is consumed by the first rule that matches, hiding a second match) and its state deleted
at once, since a ruleset holds at most 1,024 live contexts. Every ruleset also has a catch-all
rule, so every fact is handled: ``delete_state`` on a context whose only fact matched nothing
crashes the C core with a segmentation fault (measured, 2.0.28), and "no ratio rule applies" is
decided from the rules that fired instead.

Facts carry no money: only the class, the category, status flags and attributes scaled to
integers, because durable_rules speaks JSON and compares floats inexactly. Decisions depend on
nothing else, so identical inputs are decided once and the answer is reused. A version is a
month (monthly packs) or a day (calendar packs); the kernel only uses it as a key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import weakref
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

try:
    import durable_rules_engine as core
except ImportError as exc:  # only a durable-rules build that predates the fix below
    if "PyEval_CallObject" not in str(exc):
        raise
    from importlib.metadata import version

    raise ImportError(
        "durable-rules was compiled without a fix Python 3.13 needs (its C extension calls "
        "PyEval_CallObject, which 3.13 removed); rebuild it with: CPPFLAGS=-DPyEval_CallObject="
        "PyObject_CallObject pip install --force-reinstall --no-cache-dir --no-deps "
        f"durable-rules=={version('durable-rules')}") from exc

from rrr_engine.errors import EvaluationError
from rrr_engine.periods import Month
from rrr_engine.rules.model import When
from rrr_engine.rules.pack import RulePack

__all__ = ["Decision", "Kernel", "SCALE", "Version"]

Version = Month | dt.date

_EVERY_FACT = {"$ex": {"cat": 1}}
_SEEN = "seen|every fact"  # the catch-all rule (see the module docstring)

# Attributes are shares (0..1) compared at a millionth; finer bounds are refused at compile.
SCALE = Decimal(1_000_000)


@dataclass(frozen=True)
class Decision:
    """Rule names that fired for one fact, grouped by kind (each sorted)."""

    ratios: tuple[str, ...]
    exemptions: tuple[str, ...]
    reductions: tuple[str, ...]
    allowances: tuple[str, ...] = ()


def _scaled(value: Decimal, where: str) -> int:
    scaled = value * SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{where}: {value} is finer than a millionth")
    return int(scaled)


def compile_when(when: When, *, where: str) -> list[dict[str, Any]]:
    """A ``when:`` block as durable_rules JSON conditions (to be and-ed)."""
    terms: list[dict[str, Any]] = []

    def any_of(prop: str, names: tuple[str, ...]) -> None:
        options = [{prop: name} for name in names]
        terms.append(options[0] if len(options) == 1 else {"$or": options})

    if when.classes:
        any_of("cls", when.classes)
    if when.categories:
        any_of("cat", when.categories)
    if when.status:
        flags = [{f"st_{name}": True} for name in when.status]
        terms.append(flags[0] if len(flags) == 1 else {"$or": flags})
    for name in when.not_status or ():
        terms.append({f"st_{name}": False})
    for attr, cmp in (when.attributes or {}).items():
        for op in ("gte", "gt", "lte", "lt"):
            bound = getattr(cmp, op)
            if bound is not None:
                terms.append({f"${op}": {f"a_{attr}": _scaled(bound, f"{where}.{attr}.{op}")}})
    return terms


def compile_version(pack: RulePack, version: Version) -> dict[str, Any]:
    """The ruleset (name → rules) for the rules in force at ``version``, as JSON data."""
    rules: dict[str, Any] = {}
    in_force = pack.in_force(version)

    def add(name: str, terms: list[dict[str, Any]]) -> None:
        # durable_rules needs at least one term; "cat exists" is true of every fact we assert
        terms = terms or [_EVERY_FACT]
        rules[name] = {"all": [{"m": terms[0] if len(terms) == 1 else {"$and": terms}}]}

    add(_SEEN, [])
    for table in in_force["ratios"]:
        for r, row in enumerate(table.rows):
            for category in row.values:
                terms = compile_when(When(classes=row.classes, categories=(category,)),
                                     where=table.id)
                add(f"ratio|{table.id}|{r}|{category}", terms)
    for rule in in_force["exemptions"]:
        add(f"exemption|{rule.id}", compile_when(rule.when, where=rule.id))
    for rule in in_force["reductions"]:
        add(f"reduction|{rule.id}", compile_when(rule.when, where=rule.id))
    for rule in in_force["allowances"]:
        add(f"allowance|{rule.id}", compile_when(rule.when, where=rule.id))
    return rules


def _fired_rules(handle: int, fact: dict[str, Any]) -> list[str]:
    """Names of the rules that fire for ``fact`` (a fresh context), its context then deleted.

    Only this fact's own state is asked for actions, into a list that is this call's own, so
    no other thread or call can take a rule or add one. A fact the C core did not handle
    (answer 1; 2 "already observed" and 3 "deferred to a store" cannot happen to a fresh
    context without store callbacks) fired nothing, and its context is left alone:
    ``delete_state`` on it crashes the C core.
    """
    code, state = core.assert_fact(handle, json.dumps(fact, ensure_ascii=False))
    if code != 0:
        return []
    fired: list[str] = []
    try:
        started = core.start_action_for_state(handle, state)
        action = started[1] if started else None
        while action:
            fired.extend(json.loads(action))  # {rule name: the facts it matched}
            action = core.complete_and_start_action(handle, state)
    finally:
        core.delete_state(handle, fact["sid"])
    return fired


def _free(handles: dict[Version, tuple[str, int]]) -> None:
    for _, handle in handles.values():
        core.delete_ruleset(handle)


class Kernel:
    """Decides which rules of a pack apply to an institution-category fact."""

    def __init__(self, pack: RulePack, *, reuse_decisions: bool = True) -> None:
        self.pack = pack
        self.reuse_decisions = reuse_decisions
        self._handles: dict[Version, tuple[str, int]] = {}
        self._cache: dict[tuple[Any, ...], Decision] = {}
        self._sids = itertools.count()
        self.facts_asserted = 0
        # the C core keeps a ruleset until told (about 0.3 MB each, at most 131,071 in a
        # process): free them with the kernel; at exit the process goes anyway
        weakref.finalize(self, _free, self._handles).atexit = False

    def _ruleset(self, version: Version) -> tuple[str, int]:
        """The name and C-core handle of ``version``'s ruleset, compiled on first use."""
        if version not in self._handles:
            name = f"{self.pack.id}@{version}#{self.pack.sha256[:12]}"
            rules = json.dumps(compile_version(self.pack, version), ensure_ascii=False)
            self._handles[version] = (name, core.create_ruleset(name, rules))
        return self._handles[version]

    def decide(self, version: Version, cls: str, category: str, statuses: frozenset[str],
               attributes: dict[str, Decimal]) -> Decision:
        """Rules that fire for one fact of ``version``; reused for identical inputs."""
        key = (version, cls, category, statuses, tuple(sorted(attributes.items())))
        if self.reuse_decisions and key in self._cache:
            return self._cache[key]
        decision = self._evaluate(version, cls, category, statuses, attributes)
        if self.reuse_decisions:
            self._cache[key] = decision
        return decision

    def _evaluate(self, version: Version, cls: str, category: str, statuses: frozenset[str],
                  attributes: dict[str, Decimal]) -> Decision:
        name, handle = self._ruleset(version)
        fact: dict[str, Any] = {"sid": str(next(self._sids)), "cls": cls, "cat": category}
        fact.update({f"st_{s}": s in statuses for s in self.pack.statuses})
        fact.update({f"a_{k}": _scaled(v, k) for k, v in attributes.items()})
        fired = _fired_rules(handle, fact)
        self.facts_asserted += 1
        if _SEEN not in fired:
            raise EvaluationError(f"rule kernel did not handle the fact for {cls}/{category} "
                                  f"in {name}")
        fired.sort()

        def pick(kind: str) -> tuple[str, ...]:
            return tuple(f.split("|", 1)[1] for f in fired if f.startswith(kind + "|"))

        return Decision(pick("ratio"), pick("exemption"), pick("reduction"), pick("allowance"))
