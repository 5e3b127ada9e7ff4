"""rataura2 itself: per-event cost in memory, graph compile time, session creation and idle-session memory."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass

from bench.measure import Latency, latencies
from bench.workloads import build_workload, event_stream
from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.vocabulary.events import EventType


@dataclass(frozen=True)
class EventCost:
    agents: int
    transitions_per_agent: int
    latency: Latency
    compile_ms: float
    transitions_fired: int


def event_cost(agents: int, transitions_per_agent: int, events: int) -> EventCost:
    workload = build_workload(agents, transitions_per_agent)
    start = time.perf_counter()
    graph = CompiledGraph(workload.spec)
    compile_ms = (time.perf_counter() - start) * 1e3
    orchestrator = AgentOrchestrator("bench", graph)
    stream = list(event_stream(events))
    latency = latencies(stream, orchestrator.process_event)
    return EventCost(agents, transitions_per_agent, latency, compile_ms, orchestrator.context.transition_count)


def _started(graph: CompiledGraph, session_id: str) -> AgentOrchestrator:
    orchestrator = AgentOrchestrator(session_id, graph)
    orchestrator.process_event(EventData(type=EventType.SESSION_CREATED, timestamp=1.0, id=f"{session_id}/created"))
    return orchestrator


def session_creation(sessions: int) -> Latency:
    """A new session on a warm (already compiled) graph, up to its SESSION_CREATED event."""
    graph = CompiledGraph(build_workload(5, 10).spec)
    return latencies((f"s{i}" for i in range(sessions)), lambda sid: _started(graph, sid))


def idle_session_bytes(sessions: int) -> float:
    """Bytes of Python memory per idle session (created, one event processed), measured with tracemalloc."""
    graph = CompiledGraph(build_workload(5, 10).spec)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    kept = [_started(graph, f"idle-{i}") for i in range(sessions)]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(kept) == sessions
    return grown / sessions
