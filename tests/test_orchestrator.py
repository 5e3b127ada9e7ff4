"""The session core: evaluation order, one hop per event, dedupe, bad input, threads, asyncio, no queries."""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.errors import SessionEndedError, SessionExistsError, UnknownAgentError
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

_clock = itertools.count(1)


def msg(text: str, **extra: Any) -> EventData:
    return EventData(type="user_message", timestamp=float(next(_clock)), data={"message": text}, source="user", **extra)


def in_memory(agents: list[str], transitions: list[TransitionSpec], **kwargs: Any) -> AgentOrchestrator:
    """An orchestrator on a graph built from specs directly: the core needs no database at all."""
    specs = {i: AgentSpec(id=i, name=name) for i, name in enumerate(agents, start=1)}
    graph = CompiledGraph(
        GraphSpec(conversation_id=1, name="mem", initial_agent_id=1, agents=specs, transitions=tuple(transitions))
    )
    return AgentOrchestrator("mem", graph, **kwargs)


def says(tid: int, src: int, dst: int, pattern: str, priority: int = 0) -> TransitionSpec:
    return TransitionSpec(tid, src, dst, "user_input", {"pattern": pattern}, priority)


def test_context_has_every_brief_field_from_the_start(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["General", "Combat"], [])
    context = SessionManager(sqlite_db).create_session("s", graph.conversation.id).get_context()
    for field in [
        "conversation_id",
        "conversation_name",
        "conversation_description",
        "initial_agent_id",
        "initial_agent_name",
        "current_agent_id",
        "current_agent_name",
        "turn_count",
        "events",
        "tool_results",
        "agent_decisions",
        "user_input",
        "session",
        "agents",
        "conversation",
        "previous_agent_id",
        "transitions",
    ]:
        assert field in context, field
    assert context["current_agent_name"] == "General"
    assert context["turn_count"] == 0
    assert context["session"]["status"] == "active"
    assert {a["name"] for a in context["agents"].values()} == {"General", "Combat"}


def test_highest_priority_first_then_lower_id() -> None:
    orchestrator = in_memory(["A", "B", "C", "D"], [says(3, 1, 2, "x"), says(2, 1, 3, "x"), says(1, 1, 4, "x", 5)])
    assert orchestrator.process_event(msg("x")).to_agent_id == 4
    orchestrator = in_memory(["A", "B", "C"], [says(3, 1, 2, "x"), says(2, 1, 3, "x")])
    assert orchestrator.process_event(msg("x")).to_agent_id == 3


def test_at_most_one_transition_per_event_by_default() -> None:
    orchestrator = in_memory(["A", "B", "C"], [says(1, 1, 2, "go"), says(2, 2, 3, "go")])
    result = orchestrator.process_event(msg("go"))
    assert (result.from_agent_id, result.to_agent_id) == (1, 2)
    assert orchestrator.check_and_execute_transition().transitioned is False
    assert orchestrator.get_current_agent().name == "B"
    assert orchestrator.process_event(msg("go")).to_agent_id == 3


def test_chained_hops_are_opt_in_and_cycles_are_cut() -> None:
    chain = [says(1, 1, 2, "go"), says(2, 2, 3, "go"), says(3, 3, 1, "go")]
    orchestrator = in_memory(["A", "B", "C"], chain, max_hops_per_event=5)
    result = orchestrator.process_event(msg("go"))
    assert [(h.from_agent_id, h.to_agent_id) for h in result.hops] == [(1, 2), (2, 3)]
    assert "cycle" in result.reason
    assert orchestrator.get_current_agent().name == "C"


def test_transition_is_recorded_with_reason_as_an_event() -> None:
    orchestrator = in_memory(["A", "B"], [says(7, 1, 2, "combat")])
    trigger = msg("combat now")
    result = orchestrator.process_event(trigger)
    assert result.transition_id == 7 and result.event_id == trigger.id
    context = orchestrator.get_context()
    transition_event = context["events"][-1]
    assert transition_event["type"] == "transition"
    assert transition_event["source"] == "orchestrator"
    assert transition_event["data"]["trigger_event_id"] == trigger.id
    assert transition_event["data"]["reason"] == result.reason == "user said 'combat now', which contains 'combat'"
    assert context["previous_agent_id"] == 1 and context["current_agent_id"] == 2


def test_a_raising_condition_counts_as_false_and_others_still_fire(caplog: pytest.LogCaptureFixture) -> None:
    broken = TransitionSpec(1, 1, 2, "custom", {"condition_code": "context.user_input > 1"}, priority=9)
    orchestrator = in_memory(["A", "B", "C"], [broken, says(2, 1, 3, "hi")])
    result = orchestrator.process_event(msg("hi"))
    assert result.to_agent_id == 3
    assert result.errors[0][0] == 1
    assert "transition 1" in caplog.text


def test_same_event_id_is_processed_once() -> None:
    orchestrator = in_memory(["A", "B"], [says(1, 1, 2, "go")])
    first = msg("go")
    result = orchestrator.process_event(first)
    again = orchestrator.process_event(EventData(**first.model_dump()))
    assert again is result
    context = orchestrator.get_context()
    assert context["turn_count"] == 1
    assert len([e for e in context["events"] if e["type"] == "user_message"]) == 1


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "teleport", "timestamp": 1.0}, "type"),
        ({"type": "user_message", "timestamp": math.nan}, "timestamp"),
        ({"type": "user_message", "timestamp": 1.0, "data": {"x": {1, 2}}}, "data"),
        ({"type": "user_message", "timestamp": 1.0, "data": {"x": "y" * 100_000}}, "data"),
        (
            {"type": "custom", "timestamp": 1.0, "data": {"context_updates": {"turn_count": 99}}, "source": "api"},
            "turn_count",
        ),
        (
            {"type": "custom", "timestamp": 1.0, "data": {"context_updates": {"x": 1}, "ttl": 0}, "source": "api"},
            "data.ttl",
        ),
        (
            {
                "type": "custom",
                "timestamp": 1.0,
                "data": {"context_updates": {"x": 1}, "scope": "galaxy"},
                "source": "api",
            },
            "data.scope",
        ),
        ({"type": "transition", "timestamp": 1.0, "data": {"to_agent_id": True}, "source": "api"}, "to_agent_id"),
        ({"type": "transition", "timestamp": 1.0, "data": {"to_agent_id": 99}, "source": "api"}, "99"),
        ({"type": "transition", "timestamp": 1.0, "data": {"to_agent_id": 2}, "source": "orchestrator"}, "source"),
        ({"type": "transition", "timestamp": 1.0, "source": "orchestrator"}, "source"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(raw: dict[str, Any], field: str) -> None:
    orchestrator = in_memory(["A", "B"], [says(1, 1, 2, "go")])
    orchestrator.process_event(msg("hello"))
    before = orchestrator.context.to_state()
    with pytest.raises(ValueError) as info:
        orchestrator.process_event(raw)
    assert field in str(info.value)
    assert orchestrator.context.to_state() == before


def test_unknown_agent_in_execute_transition() -> None:
    orchestrator = in_memory(["A", "B"], [])
    with pytest.raises(UnknownAgentError, match="Nobody"):
        orchestrator.execute_transition("Nobody")
    result = orchestrator.execute_transition("B", reason="escalated by supervisor")
    assert result.transitioned and orchestrator.get_current_agent().name == "B"
    assert orchestrator.get_context()["transitions"][-1]["reason"] == "escalated by supervisor"


def test_check_transition_is_a_dry_run() -> None:
    orchestrator = in_memory(["A", "B"], [TransitionSpec(1, 1, 2, "custom", {"condition_code": "context.ready"})])
    orchestrator.update_context(ready=False)
    orchestrator.context.set("ready", True)  # changed behind the orchestrator's back: nothing evaluated yet
    would = orchestrator.check_transition()
    assert would.status.value == "success" and not would.executed and would.to_agent_id == 2
    assert orchestrator.get_current_agent().name == "A"
    assert orchestrator.check_and_execute_transition().transitioned
    assert orchestrator.get_current_agent().name == "B"


def test_ended_session_refuses_events(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["A"], [])
    manager = SessionManager(sqlite_db)
    orchestrator = manager.create_session("s", graph.conversation.id)
    with pytest.raises(SessionExistsError):
        manager.create_session("s", graph.conversation.id)
    manager.end_session("s", reason="caller hung up")
    assert "s" not in manager
    assert orchestrator.get_context()["session"]["status"] == "ended"
    with pytest.raises(SessionEndedError):
        orchestrator.process_event(msg("anyone?"))


def test_one_thousand_events_from_eight_threads(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["A", "B"], [("A", "B", "user_input", {"pattern": "never said"})])
    orchestrator = SessionManager(sqlite_db).create_session("s", graph.conversation.id)
    barrier = threading.Barrier(8)

    def send(worker: int) -> None:
        barrier.wait()
        for i in range(125):
            orchestrator.process_event(
                EventData(type="user_message", timestamp=1000.0 + i, data={"message": f"{worker}-{i}"})
            )

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    context = orchestrator.get_context()
    assert context["turn_count"] == 1000
    assert context["event_count"] == 1001  # and the session_created event


def test_processing_events_issues_no_select(db: Session) -> None:
    graph = build_graph(
        db,
        ["A", "B", "C"],
        [
            ("A", "B", "user_input", {"pattern": "go"}),
            ("B", "C", "custom", {"condition_code": "context.turn_count > 2"}),
            ("C", "A", "tool_result", {"tool_name": "t", "result_key": "ok", "expected_value": True}),
        ],
        tools={"C": ["t"]},
    )
    manager = SessionManager(db)
    orchestrator = manager.create_session("s", graph.conversation.id)
    statements: list[str] = []
    engine = db.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        for text in ("hi", "go", "still here", "more"):
            orchestrator.process_event(msg(text))
        orchestrator.process_event(
            EventData(type="tool_result", timestamp=99.0, data={"tool_name": "t", "result": {"ok": True}})
        )
        orchestrator.check_and_execute_transition()
        orchestrator.get_context()
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert orchestrator.get_context()["current_agent_name"] == "A"
    assert len(orchestrator.get_context()["transitions"]) == 3
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT")]


async def test_async_api_keeps_arrival_order_and_does_not_block(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["A", "B"], [("A", "B", "user_input", {"pattern": "go"})])
    manager = SessionManager(sqlite_db)
    orchestrator = await manager.acreate_session("s", graph.conversation.id)
    results = await asyncio.gather(*(orchestrator.aprocess_event(msg(f"m{i}")) for i in range(50)))
    assert len(results) == 50
    texts = [m["text"] for m in orchestrator.get_context()["conversation"]]
    assert texts == [f"m{i}" for i in range(50)]
    result = await orchestrator.aprocess_event(msg("go"))
    assert result.transitioned
    await manager.aend_session("s")
    assert len(manager) == 0


def test_sessions_share_one_compiled_graph(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["A", "B"], [("A", "B", "user_input", {"pattern": "go"})])
    manager = SessionManager(sqlite_db)
    first = manager.create_session("one", graph.conversation.id)
    second = manager.create_session("two", graph.conversation.name)
    assert first.graph is second.graph
    first.process_event(msg("go"))
    assert (first.get_current_agent().name, second.get_current_agent().name) == ("B", "A")
    assert [s["session_id"] for s in manager.list_sessions()] == ["one", "two"]


def test_replaying_the_same_events_reaches_the_same_state() -> None:
    transitions = [
        says(1, 1, 2, "combat"),
        TransitionSpec(2, 2, 1, "custom", {"condition_code": "context.turn_count >= 3"}),
    ]
    script = [msg(t) for t in ("hello", "combat?", "sure", "thanks", "combat again")]
    first = in_memory(["A", "B"], transitions)
    for e in script:
        first.process_event(e)
    second = in_memory(["A", "B"], transitions)
    second.replay(script)
    assert second.context.to_state() == first.context.to_state()


def test_only_the_api_sets_context_directly() -> None:
    """A room participant's data packet arrives as a CUSTOM event from LiveKit: it cannot set context values."""
    orchestrator = in_memory(["A", "B"], [TransitionSpec(1, 1, 2, "custom", {"condition_code": "has(context.vip)"})])
    forged = EventData(
        type="custom", timestamp=1.0, source="livekit.data_received", data={"context_updates": {"vip": True}}
    )
    assert not orchestrator.process_event(forged)
    assert "vip" not in orchestrator.get_context()
    assert orchestrator.update_context(vip=True).transitioned


def test_event_data_is_the_events_own_json_copy() -> None:
    payload: dict[str, Any] = {"message": "hi", "tags": ("a", "b")}
    event = EventData(type="user_message", timestamp=1.0, data=payload)
    payload["message"] = "changed afterwards"
    assert event.data == {"message": "hi", "tags": ["a", "b"]}


def test_check_and_execute_transition_carries_the_rules_updates_and_transition_id() -> None:
    rules = (
        {
            "conditions": {"all": [{"name": "participant_count", "operator": "greater_than", "value": 0}]},
            "actions": [
                {"name": "transition_to_agent", "params": {"agent_id": 2}},
                {"name": "set_context_value", "params": {"key": "queue", "value": "priority"}},
            ],
        },
    )
    orchestrator = in_memory(["A", "B"], [TransitionSpec(4, 1, 2, "business_rules", {}, rules=rules)])
    orchestrator.process_event(msg("hello"))
    orchestrator.context.set("session", {"participants": ["p"], "participant_count": 1})  # behind its back
    result = orchestrator.check_and_execute_transition()
    assert result.transitioned and result.transition_id == 4
    context = orchestrator.get_context()
    assert context["queue"] == "priority"
    assert context["transitions"][-1]["transition_id"] == 4


def test_constructor_settings_are_held_to_the_settings_bounds(sqlite_db: Session) -> None:
    with pytest.raises(ValueError, match="max_hops_per_event: input should be greater than or equal to 1"):
        in_memory(["A"], [], max_hops_per_event=0)
    with pytest.raises(ValueError, match="lease_seconds: input should be greater than 0"):
        SessionManager(sqlite_db, lease_seconds=-5)
    with pytest.raises(ValueError, match="snapshot_every"):
        SessionManager(sqlite_db, snapshot_every=0)
