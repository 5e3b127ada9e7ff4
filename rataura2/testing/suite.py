"""Scenario files: finding them, reading them, running every scenario (on the core, or on LiveKit), and edge
coverage per graph. What ``rataura2 test`` and the pytest plugin share."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rataura2.errors import InvalidScenarioError
from rataura2.scenarios.coverage import Coverage
from rataura2.scenarios.model import Scenario, ScenarioFile, parse_scenarios
from rataura2.scenarios.outcome import ScenarioOutcome
from rataura2.scenarios.runner import run_scenario
from rataura2.testing.sources import GraphSources, LoadedGraph

SUFFIXES = (".scenario.yaml", ".scenario.yml")


def is_scenario_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def discover(paths: Iterable[Path]) -> list[Path]:
    """The scenario files given: files as they are, folders searched for ``*.scenario.yaml``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and is_scenario_file(p)))
        elif path.is_file():
            found.append(path)
        else:
            raise InvalidScenarioError(str(path), "no such file or folder")
    return list(dict.fromkeys(found))


def read_file(path: Path) -> ScenarioFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidScenarioError(str(path), f"cannot read it: {exc}") from None
    return parse_scenarios(text, str(path))


@dataclass
class SuiteRun:
    """Runs scenarios and keeps their outcomes and the graphs they ran on (for coverage)."""

    sources: GraphSources
    livekit: bool = False
    outcomes: list[ScenarioOutcome] = field(default_factory=list)
    graphs: dict[str, LoadedGraph] = field(default_factory=dict)
    """By graph source key: the graphs scenarios ran on."""

    def run(self, path: Path, file: ScenarioFile, scenario: Scenario) -> ScenarioOutcome:
        where = str(path)
        try:
            loaded = self.sources.load(file.graph, path.parent, where=where, livekit=self.livekit)
        except ValueError as exc:
            outcome = ScenarioOutcome(where, scenario.name, error=str(exc), mode=self.mode)
        else:
            self.graphs.setdefault(file.graph.key, loaded)
            if self.livekit:
                from rataura2.testing.livekit_runner import run_scenario_livekit

                outcome = asyncio.run(run_scenario_livekit(loaded, scenario, file=where))
            else:
                outcome = run_scenario(loaded.graph, scenario, file=where)
            outcome = replace(outcome, graph=file.graph.key)
        self.outcomes.append(outcome)
        return outcome

    @property
    def mode(self) -> str:
        return "livekit" if self.livekit else "core"

    def run_files(self, paths: Iterable[Path]) -> list[ScenarioOutcome]:
        for path, file, scenario in cases(paths):
            self.run(path, file, scenario)
        return self.outcomes

    def coverage(self) -> list[Coverage]:
        return [
            Coverage.of(loaded.graph, (o for o in self.outcomes if o.graph == key))
            for key, loaded in self.graphs.items()
        ]


def cases(paths: Iterable[Path]) -> Iterator[tuple[Path, ScenarioFile, Scenario]]:
    for path in discover(paths):
        file = read_file(path)
        for scenario in file.scenarios:
            yield path, file, scenario
