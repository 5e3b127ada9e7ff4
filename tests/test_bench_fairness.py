"""The benchmark compares like with like: every contender routes the same interleaved sessions' events to the same
agents as rataura2 does through ``SessionManager``."""

from __future__ import annotations

from pathlib import Path

from bench.peers import langgraph_router, rules_from_database, transitions_machine
from bench.sessions import event_path
from bench.workloads import build_workload, interleaved


def test_every_contender_takes_the_same_path(tmp_path: Path) -> None:
    workload = build_workload(5, 10)
    sessions, per_session = 6, 100
    stream = interleaved(sessions, per_session)
    ours = event_path(f"sqlite:///{tmp_path / 'ours.db'}", workload, "fairness", sessions, per_session, rounds=1)
    assert ours.transitions_fired >= 8
    assert len(set(ours.route)) >= 3  # the sessions travel the graph

    for make in (langgraph_router, transitions_machine):
        step = make(workload, sessions)
        assert [step(s, e) for s, e in stream] == ours.route, make.__name__
    db_step, close = rules_from_database(workload, sessions, f"sqlite:///{tmp_path / 'rules.db'}")
    try:
        assert [db_step(s, e) for s, e in stream] == ours.route
    finally:
        close()
