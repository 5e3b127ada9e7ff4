"""Running a scenario in-process on the session core: the fast way, with no LiveKit and no database.

Each step's events are processed by an :class:`~rataura2.core.orchestrator.AgentOrchestrator` on the compiled graph,
exactly as a live session processes them, one second of event time apart; after a step its expectations are
checked and the run stops at the first step that fails, saying what differed and why.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.scenarios.check import ROUTE, Observed, check, explain
from rataura2.scenarios.events import step_events
from rataura2.scenarios.model import Scenario
from rataura2.scenarios.outcome import ScenarioOutcome, StepFailure
from rataura2.vocabulary.events import EventType

START = 1_764_000_000.0
"""Event time of a scenario's start (steps follow one second apart): fixed, so runs are reproducible."""


def observe(orchestrator: AgentOrchestrator, handovers_before: int, results: Sequence[TransitionResult]) -> Observed:
    context = orchestrator.get_context()
    agent = orchestrator.get_current_agent()
    return Observed(
        agent=agent.name,
        agent_id=agent.id,
        handovers=context["transitions"][handovers_before:],
        context=context,
        ended=orchestrator.ended,
        errors=tuple(e for r in results for e in r.errors),
    )


def fired_by(handovers: Sequence[Mapping[str, Any]]) -> set[int]:
    return {h["transition_id"] for h in handovers if isinstance(h.get("transition_id"), int)}


def run_scenario(graph: CompiledGraph, scenario: Scenario, *, file: str = "") -> ScenarioOutcome:
    clock = time.perf_counter()
    session_id = f"scenario:{scenario.name}"
    orchestrator = AgentOrchestrator(session_id, graph)
    fired: set[int] = set()

    def done(failure: StepFailure | None = None, error: str | None = None) -> ScenarioOutcome:
        took = time.perf_counter() - clock
        return ScenarioOutcome(file, scenario.name, failure, error, frozenset(fired), took, "core")

    created = EventData(type=EventType.SESSION_CREATED, timestamp=START, source="session_manager", id=session_id)
    try:
        orchestrator.process_event(created)
        if scenario.context:
            orchestrator.update_context(scenario.context, timestamp=START)
    except ValueError as exc:
        return done(error=f"initial context: {exc}")
    for index, step in enumerate(scenario.steps, start=1):
        start_agent = orchestrator.current_agent_id
        before = len(orchestrator.context.get("transitions"))
        agent_name = orchestrator.get_current_agent().name
        try:
            events = step_events(step, START + index, graph.spec, agent_name, f"{session_id}/step-{index}")
            results = [orchestrator.process_event(event) for event in events]
        except ValueError as exc:
            return done(error=f"step {index} ({step.describe()}): {exc}")
        observed = observe(orchestrator, before, results)
        fired |= fired_by(observed.handovers)
        problems = check(step.expect, observed)
        if problems:
            route = any(kind in ROUTE for kind, _ in problems)
            because = explain(graph, observed, start_agent, (e.type for e in events)) if route else ""
            return done(StepFailure(index, step.describe(), tuple(text for _, text in problems), because))
    return done()
