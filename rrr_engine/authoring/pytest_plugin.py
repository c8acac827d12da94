"""pytest plugin shipped with the package: collects a rule pack's YAML scenarios as tests.

Any ``scenarios/*.yaml`` inside a directory that holds a rule pack (a ``pack.yaml`` beside
``scenarios/``) becomes one test item per scenario, named after the scenario. A failing item
lists every difference between what the scenario expects and what the engine produced.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

_ENGINES: dict[Path, Any] = {}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "scenarios" \
            and (file_path.parent.parent / "pack.yaml").exists():
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        from rrr_engine.authoring.scenarios import load_scenarios
        for scenario in load_scenarios(self.path):
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioError(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        from rrr_engine.authoring.scenarios import run_scenario
        from rrr_engine.engine import Engine
        pack_dir = self.path.parent.parent
        # one engine per pack per session: the pack's rules are compiled once
        engine = _ENGINES.get(pack_dir) or _ENGINES.setdefault(
            pack_dir, Engine(pack_dir, entry_points=False))
        outcome = run_scenario(engine, self.scenario)
        if outcome.differences:
            raise ScenarioError("\n".join(outcome.differences))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScenarioError):
            return (f"scenario {self.scenario.name!r} ({self.path.name}:{self.scenario.line}):\n"
                    f"{excinfo.value}")
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line, f"scenario: {self.scenario.name}"
