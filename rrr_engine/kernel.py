"""The matching kernel: a pack version compiled to a durable_rules ruleset, and decisions.

Each :class:`Kernel` owns one ``durable.engine.Host`` (never the process-global host of
``durable.lang``), so two engines with different packs live side by side in one process. A
version's rules become one ruleset given as JSON data; every rule's action is resolved by name
and only records that the rule fired. A decision fact is asserted (not posted: a posted event
is consumed by the first rule that matches, hiding a second match) and its state deleted at
once, since a ruleset holds at most 1,024 live contexts.

Facts carry no money: only the class, the category, status flags and attributes scaled to
integers, because durable_rules speaks JSON and compares floats inexactly. Decisions depend on
nothing else, so identical inputs are decided once and the answer is reused.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import durable.engine as durable

from .rules_model import When
from .rulesets import RulePack
from .periods import Month

__all__ = ["Decision", "Kernel", "SCALE"]

# Attributes are shares (0..1) compared at a millionth; finer bounds are refused at compile.
SCALE = Decimal(1_000_000)


@dataclass(frozen=True)
class Decision:
    """Rule names that fired for one fact, grouped by kind (each sorted)."""

    ratios: tuple[str, ...]
    exemptions: tuple[str, ...]
    reductions: tuple[str, ...]


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


def compile_version(pack: RulePack, version: Month) -> dict[str, Any]:
    """The ruleset (name → rules) for the rules in force at ``version``, as JSON data."""
    rules: dict[str, Any] = {}
    in_force = pack.in_force(version)

    def add(name: str, terms: list[dict[str, Any]]) -> None:
        # durable_rules needs at least one term; "cat exists" is true of every fact we assert
        terms = terms or [{"$ex": {"cat": 1}}]
        rules[name] = {"all": [{"m": terms[0] if len(terms) == 1 else {"$and": terms}}],
                       "run": name}

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
    # Every fact must match something: after a fact no rule matched (MessageNotHandledException)
    # durable_rules 2.0.28 segfaults in delete_state, e.g. on a category a pack leaves uncovered.
    add("match-all", [])
    return rules


class _Host(durable.Host):
    """A private durable_rules host whose actions are looked up by rule name."""

    def __init__(self, fired: list[str]) -> None:
        self._fired = fired
        super().__init__()

    def get_action(self, action_name: str):  # noqa: ANN201 - durable's callback protocol
        fired = self._fired
        return lambda c: fired.append(action_name)


class Kernel:
    """Decides which rules of a pack apply to an institution-category fact."""

    def __init__(self, pack: RulePack, *, reuse_decisions: bool = True) -> None:
        self.pack = pack
        self.reuse_decisions = reuse_decisions
        self._fired: list[str] = []
        self._host = _Host(self._fired)
        self._names: dict[Month, str] = {}
        self._cache: dict[tuple[Any, ...], Decision] = {}
        self._sids = itertools.count()
        self.facts_asserted = 0

    def _ruleset(self, version: Month) -> str:
        if version not in self._names:
            name = f"{self.pack.id}@{version}#{self.pack.sha256[:12]}"
            rules = compile_version(self.pack, version)
            if rules:
                # durable mutates what it is given: hand it a copy (measured, see notes)
                self._host.set_rulesets(copy.deepcopy({name: rules}))
            self._names[version] = name if rules else ""
        return self._names[version]

    def decide(self, version: Month, cls: str, category: str, statuses: frozenset[str],
               attributes: dict[str, Decimal]) -> Decision:
        """Rules that fire for one fact of ``version``; reused for identical inputs."""
        key = (version, cls, category, statuses, tuple(sorted(attributes.items())))
        if self.reuse_decisions and key in self._cache:
            return self._cache[key]
        decision = self._evaluate(version, cls, category, statuses, attributes)
        if self.reuse_decisions:
            self._cache[key] = decision
        return decision

    def _evaluate(self, version: Month, cls: str, category: str, statuses: frozenset[str],
                  attributes: dict[str, Decimal]) -> Decision:
        name = self._ruleset(version)
        self._fired.clear()
        if name:
            sid = str(next(self._sids))
            fact: dict[str, Any] = {"sid": sid, "cls": cls, "cat": category}
            fact.update({f"st_{s}": s in statuses for s in self.pack.statuses})
            fact.update({f"a_{k}": _scaled(v, k) for k, v in attributes.items()})
            try:
                self._host.assert_fact(name, fact)
            except durable.MessageNotHandledException:
                pass  # nothing matched: the caller turns that into a named error
            finally:
                self._host.delete_state(name, sid)
            self.facts_asserted += 1
        fired = sorted(self._fired)
        pick = lambda kind: tuple(f.split("|", 1)[1] for f in fired if f.startswith(kind + "|"))  # noqa: E731
        return Decision(pick("ratio"), pick("exemption"), pick("reduction"))
