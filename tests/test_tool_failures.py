"""Tool results carry success or failure: a failure fires no ``tool_result`` edge (unless it asks for failures) and
never replaces the tool's last good result."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from rataura2.core.events import EventData
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

_clock = itertools.count(1)


def result(ok: bool, value: Any, tool: str = "lookup") -> EventData:
    data = {"tool_name": tool, "result": value, **({} if ok else {"is_error": True})}
    return EventData(type="tool_result", timestamp=float(next(_clock)), data=data, source="agent")


def session(db: Session, *transitions: tuple[str, str, str, dict[str, Any]]) -> AgentOrchestrator:
    graph = build_graph(db, ["Desk", "Found", "Broken"], list(transitions), tools={"Desk": ["lookup"]})
    return SessionManager(db).create_session("s", graph.conversation.id)


def test_a_failed_call_fires_no_tool_result_edge_and_the_next_success_does(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, ("Desk", "Found", "tool_result", {"tool_name": "lookup"}))
    refused = "invalid arguments for lookup: arguments: 'order' is a required property"
    assert not orchestrator.process_event(result(False, refused)).transitioned
    context = orchestrator.get_context()
    assert context["tool_results"] == {} and context["tool_errors"] == {"lookup": refused}
    found = orchestrator.graph.get_agent("Found").id
    assert orchestrator.process_event(result(True, {"order": 7})).to_agent_id == found


def test_a_failure_never_overwrites_the_last_good_result(sqlite_db: Session) -> None:
    pending = {"tool_name": "lookup", "result_key": "status", "expected_value": 9}
    orchestrator = session(sqlite_db, ("Desk", "Found", "tool_result", pending))
    orchestrator.process_event(result(True, {"status": "pending"}))
    orchestrator.process_event(result(False, "lookup failed: timeout"))
    context = orchestrator.get_context()
    assert context["tool_results"]["lookup"] == {"status": "pending"}
    assert context["tool_errors"]["lookup"] == "lookup failed: timeout"
    assert context["last_tool_name"] == "lookup"


def test_on_error_fires_on_failures_only(sqlite_db: Session) -> None:
    orchestrator = session(
        sqlite_db,
        ("Desk", "Broken", "tool_result", {"tool_name": "lookup", "on_error": True}),
        ("Desk", "Found", "tool_result", {"tool_name": "lookup", "result_key": "order"}),
    )
    assert not orchestrator.process_event(result(True, {"nothing": 1})).transitioned
    moved = orchestrator.process_event(result(False, "lookup failed: timeout"))
    assert moved.to_agent_id == orchestrator.graph.get_agent("Broken").id
    assert "failed with result='lookup failed: timeout'" in moved.reason


def test_on_error_compares_the_error_text(sqlite_db: Session) -> None:
    orchestrator = session(
        sqlite_db,
        (
            "Desk",
            "Broken",
            "tool_result",
            {"tool_name": "lookup", "on_error": True, "operator": "regex", "expected_value": "timeout"},
        ),
    )
    assert not orchestrator.process_event(result(False, "invalid arguments for lookup")).transitioned
    assert orchestrator.process_event(result(False, "lookup failed: timeout")).transitioned


def test_rules_read_the_last_good_result(sqlite_db: Session) -> None:
    from rataura2.core.conditions.rules_vocabulary import ConversationVariables

    orchestrator = session(sqlite_db)
    orchestrator.process_event(result(True, {"order": 7}))
    orchestrator.process_event(result(False, "boom"))
    variables = ConversationVariables(orchestrator.context)
    assert variables.last_tool_name() == "lookup"
    assert variables.last_tool_result() == '{"order": 7}'
