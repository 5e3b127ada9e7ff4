"""The pytest plugin: ``pytest`` collects ``*.scenario.yaml`` files, one test per scenario, and reports edge
coverage at the end. Installed with rataura2 (entry point ``pytest11``); ``-p no:rataura2`` turns it off.

Options: ``--rataura2-livekit`` runs the scenarios on a real text-mode LiveKit AgentSession; ``--rataura2-database-url``
is the database of scenario files that name a conversation without a seed or a document.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rataura2.scenarios.model import Scenario, ScenarioFile
from rataura2.scenarios.outcome import ScenarioOutcome
from rataura2.testing.sources import GraphSources
from rataura2.testing.suite import SuiteRun, is_scenario_file, read_file

_SUITE = pytest.StashKey[SuiteRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rataura2", "rataura2 scenario files (*.scenario.yaml)")
    group.addoption(
        "--rataura2-livekit",
        action="store_true",
        default=False,
        help="run scenario files on a real text-mode LiveKit AgentSession instead of the session core",
    )
    group.addoption(
        "--rataura2-database-url",
        default=None,
        help="database of the conversations that scenario files name without a seed or a document",
    )


def pytest_configure(config: pytest.Config) -> None:
    sources = GraphSources(config.getoption("--rataura2-database-url"))
    config.stash[_SUITE] = SuiteRun(sources, livekit=bool(config.getoption("--rataura2-livekit")))


def pytest_unconfigure(config: pytest.Config) -> None:
    suite = config.stash.get(_SUITE, None)
    if suite is not None:
        suite.sources.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFileCollector | None:
    if is_scenario_file(file_path):
        collector: ScenarioFileCollector = ScenarioFileCollector.from_parent(parent, path=file_path)
        return collector
    return None


class ScenarioFileCollector(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        file = read_file(self.path)
        for scenario in file.scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, file=file, scenario=scenario)


class ScenarioFailedError(Exception):
    def __init__(self, outcome: ScenarioOutcome) -> None:
        super().__init__(outcome.message())
        self.outcome = outcome


class ScenarioItem(pytest.Item):
    def __init__(self, *, file: ScenarioFile, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.scenario = scenario

    def runtest(self) -> None:
        suite = self.config.stash[_SUITE]
        outcome = suite.run(self.path, self.file, self.scenario)
        if not outcome.passed:
            raise ScenarioFailedError(outcome)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:  # pytest's own types for the fallback
        if isinstance(excinfo.value, ScenarioFailedError):
            outcome = excinfo.value.outcome
            return f"scenario {outcome.name!r} ({outcome.mode}) {outcome.status}:\n  {outcome.message()}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"scenario: {self.name}"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    suite = config.stash.get(_SUITE, None)
    if suite is None or not suite.outcomes:
        return
    terminalreporter.section("rataura2 scenario coverage")
    for coverage in suite.coverage():
        terminalreporter.write_line(coverage.text())
