"""Edge coverage: which transitions of a graph the scenarios made fire, and which none did."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import TransitionSpec
from rataura2.scenarios.outcome import ScenarioOutcome
from rataura2.scenarios.words import transition_words


@dataclass(frozen=True, slots=True)
class Coverage:
    graph: CompiledGraph
    fired: frozenset[int]

    @classmethod
    def of(cls, graph: CompiledGraph, outcomes: Iterable[ScenarioOutcome]) -> Coverage:
        return cls(graph, frozenset(i for o in outcomes for i in o.fired))

    @property
    def transitions(self) -> tuple[TransitionSpec, ...]:
        return tuple(sorted(self.graph.spec.transitions, key=lambda t: t.id))

    @property
    def uncovered(self) -> tuple[TransitionSpec, ...]:
        return tuple(t for t in self.transitions if t.id not in self.fired)

    @property
    def ratio(self) -> float:
        total = len(self.transitions)
        return 1.0 if not total else (total - len(self.uncovered)) / total

    def describe(self, t: TransitionSpec) -> str:
        return transition_words(self.graph, t)

    def text(self) -> str:
        total = len(self.transitions)
        lines = [
            f"{self.graph.spec.name}: {total - len(self.uncovered)} of {total} transitions exercised ({self.ratio:.0%})"
        ]
        lines += [f"  not exercised: {self.describe(t)}" for t in self.uncovered]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        return {
            "conversation": self.graph.spec.name,
            "transitions": len(self.transitions),
            "exercised": sorted(self.fired & {t.id for t in self.transitions}),
            "not_exercised": [{"id": t.id, "description": self.describe(t)} for t in self.uncovered],
        }
