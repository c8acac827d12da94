"""``rrr rules test``: a pack's scenarios run, with which rule each scenario exercises.

Each scenario of ``scenarios/*.yaml`` runs through
:func:`rrr_engine.authoring.scenarios.run_scenario`. A rule is *exercised* by a scenario whose
result it produced (the ratio table, exemption and reductions of a line; the allowances deducted;
the interest and daily-minimum rules when holdings are given) and a status by a scenario where an
institution holds it in the scenario's maintenance period (a month, or a calendar pack's period).
A scenario that expects an error produces no figures; the rules the matching kernel fired for it
are listed apart, as *reached by an expected error*, because they are checked less strictly. Rules
and statuses no scenario reaches are listed last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rrr_engine.authoring.explain import decide
from rrr_engine.authoring.scenarios import Scenario, load_scenarios, run_scenario
from rrr_engine.core.status import statuses_in
from rrr_engine.engine import Engine
from rrr_engine.errors import InputError, NoRulesetInForce, RrrError
from rrr_engine.rules.yamlsrc import load_document

__all__ = ["ScenarioRun", "TestReport", "run_pack_scenarios"]


@dataclass
class ScenarioRun:
    scenario: Scenario
    file: str
    differences: list[str]
    rules: set[str]
    reached: set[str]  # fired for a scenario that expects an error

    @property
    def passed(self) -> bool:
        return not self.differences

    @property
    def where(self) -> str:
        return f"{self.file}:{self.scenario.line}"


@dataclass
class TestReport:
    path: Path
    rules: dict[str, str]  # "section.id" -> file:line, every rule and status of the pack
    runs: list[ScenarioRun] = field(default_factory=list)

    @property
    def failed(self) -> list[ScenarioRun]:
        return [r for r in self.runs if not r.passed]

    def exercising(self, key: str) -> tuple[list[str], list[str]]:
        """(scenarios whose results it produced, scenarios it reached through an expected error)."""
        return ([r.scenario.name for r in self.runs if key in r.rules],
                [r.scenario.name for r in self.runs if key in r.reached and key not in r.rules])

    @property
    def unexercised(self) -> list[str]:
        return [k for k in self.rules if not any(self.exercising(k))]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "passed": len(self.runs) - len(self.failed),
            "failed": len(self.failed),
            "scenarios": [{"name": r.scenario.name, "where": r.where, "passed": r.passed,
                           "differences": r.differences, "rules": sorted(r.rules),
                           "reached_by_expected_error": sorted(r.reached - r.rules)}
                          for r in self.runs],
            "coverage": {k: {"where": w, "scenarios": self.exercising(k)[0],
                             "reached_by_expected_error": self.exercising(k)[1]}
                         for k, w in self.rules.items()},
            "unexercised": self.unexercised}

    def to_text(self) -> str:
        out = []
        for run in self.runs:
            out.append(f"{'PASS' if run.passed else 'FAIL'}  {run.scenario.name}  ({run.where})")
            out += [f"      {d}" for d in run.differences]
        out.append("")
        out.append("Coverage (rule or status → scenarios that exercise it):")
        for key, where in self.rules.items():
            full, reached = self.exercising(key)
            if not full and not reached:
                continue
            out.append(f"  {key} ({where}): {len(full)} scenario{'' if len(full) == 1 else 's'}"
                       + (f", {len(reached)} more reaching it only through an expected error"
                          if reached else ""))
            out += [f"      {name}" for name in full]
            out += [f"      (expected error) {name}" for name in reached]
        if self.unexercised:
            out.append("Not exercised by any scenario:")
            out += [f"  {k} ({self.rules[k]})" for k in self.unexercised]
        else:
            out.append("Every rule and status is exercised by a scenario.")
        n = len(self.runs)
        out.append(f"{n} scenario{'s' if n != 1 else ''}: {n - len(self.failed)} passed, "
                   f"{len(self.failed)} failed; {len(self.rules) - len(self.unexercised)} of "
                   f"{len(self.rules)} rules and statuses exercised")
        return "\n".join(out) + "\n"


_SECTIONS = ("ratios", "exemptions", "reductions", "allowances", "interest", "daily_minimum")


def _catalogue(engine: Engine) -> dict[str, str]:
    pack = engine.pack
    out = {}
    for section in _SECTIONS:
        for rule in getattr(pack, section):
            out[f"{section}.{rule.id}"] = f"{pack.files[section]}:{pack.lines[(section, rule.id)]}"
    if pack.statuses:
        doc = load_document(pack.files["statuses"])
        for name in pack.statuses:
            out[f"statuses.{name}"] = f"{doc.file}:{doc.line_of(('statuses', name))}"
    return out


def _keys(engine: Engine, names: set[str]) -> set[str]:
    """Rule ids as ``section.id`` keys (ids are unique across sections)."""
    pack = engine.pack
    sections = {r.id: s for s in _SECTIONS for r in getattr(pack, s)}
    return {f"{sections[n]}.{n}" for n in names if n in sections}


def _run(engine: Engine, sc: Scenario, file: str) -> ScenarioRun:
    outcome = run_scenario(engine, sc)
    pack = engine.pack
    rules = _keys(engine, outcome.rules)
    reached: set[str] = set()
    try:
        month, _ = engine.periods(sc.period)
    except InputError:  # an unknown period: the scenario's own outcome says whether expected
        return ScenarioRun(sc, file, outcome.differences, rules, reached)
    try:
        for inst in sc.institutions:
            rules |= {f"statuses.{s}"
                      for s in statuses_in(pack.statuses, inst, month, pack.periods)}
            if sc.expect_error:
                decided = decide(engine, inst, month)
                reached |= _keys(engine, {
                    name.split("|")[0] for d in decided.decisions.values()
                    for name in (*d.ratios, *d.exemptions, *d.reductions, *d.allowances)})
    except NoRulesetInForce:
        pass
    except RrrError as exc:  # e.g. an unknown class: the scenario itself reports it
        outcome.differences.append(f"cannot compute coverage: {exc}")
    if outcome.rules and sc.holdings is not None:
        rules |= {f"interest.{r.id}" for r in pack.in_force(month)["interest"]}
        rules |= {f"daily_minimum.{r.id}" for r in pack.in_force(month)["daily_minimum"]}
    return ScenarioRun(sc, file, outcome.differences, rules, reached)


def run_pack_scenarios(path: str | Path, *, select: str | None = None) -> TestReport:
    """Run every scenario of the pack at ``path`` (optionally those whose name has ``select``)."""
    path = Path(path)
    engine = Engine(path, entry_points=False)
    report = TestReport(path, _catalogue(engine))
    for file in sorted((path / "scenarios").glob("*.y*ml")):
        for sc in load_scenarios(file):
            if select and select not in sc.name:
                continue
            report.runs.append(_run(engine, sc, str(file)))
    return report
