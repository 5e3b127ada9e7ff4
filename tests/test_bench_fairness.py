"""The benchmark compares like with like: every contender routes the same events to the same agents."""

from __future__ import annotations

from bench.peers import langgraph_router, rules_from_database, transitions_machine
from bench.workloads import build_workload, event_stream
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator


def test_every_contender_takes_the_same_path() -> None:
    workload = build_workload(5, 10)
    events = list(event_stream(400))
    ours = AgentOrchestrator("bench", CompiledGraph(workload.spec))
    path = []
    for event in events:
        ours.process_event(event)
        path.append(ours.current_agent_id)
    assert ours.context.transition_count >= 5

    for make in (langgraph_router, transitions_machine):
        step = make(workload)
        assert [step(e) for e in events] == path, make.__name__
    db_step, close = rules_from_database(workload)
    try:
        assert [db_step(e) for e in events] == path
    finally:
        close()
