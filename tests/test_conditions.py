"""Each condition type fires where it should and stays silent where it should not."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy.orm import Session

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.errors import InvalidConditionError
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

_clock = itertools.count(1)


def ev(kind: str, source: str = "user", /, **data: Any) -> EventData:
    return EventData(type=kind, timestamp=float(next(_clock)), data=data, source=source)


def session(db: Session, kind: str, data: dict[str, Any], *, tools: list[str] | None = None) -> AgentOrchestrator:
    graph = build_graph(db, ["A", "B"], [("A", "B", kind, data)], tools={"A": tools or []})
    return SessionManager(db).create_session("s", graph.conversation.id)


def at(orchestrator: AgentOrchestrator) -> str:
    return orchestrator.get_current_agent().name


@pytest.mark.parametrize(
    ("data", "text", "fires"),
    [
        ({"pattern": "combat"}, "Tell me about COMBAT ships", True),
        ({"pattern": "combat"}, "tell me about mining", False),
        ({"pattern": "combat", "case_sensitive": True}, "COMBAT", False),
        ({"pattern": "yes", "match": "exact"}, "  Yes ", True),
        ({"pattern": "yes", "match": "exact"}, "yes please", False),
        ({"pattern": "fit", "match": "startswith"}, "Fit my Rifter", True),
        ({"pattern": "fit", "match": "startswith"}, "please fit it", False),
        ({"pattern": r"\bpvp\b", "match": "regex"}, "I like PvP fights", True),
        ({"pattern": r"\bpvp\b", "match": "regex"}, "pvpers", False),
    ],
)
def test_user_input(sqlite_db: Session, data: dict[str, Any], text: str, fires: bool) -> None:
    orchestrator = session(sqlite_db, "user_input", data)
    result = orchestrator.process_event(ev("user_message", message=text))
    assert result.transitioned is fires
    assert at(orchestrator) == ("B" if fires else "A")


def test_user_input_never_fires_on_a_stale_message(sqlite_db: Session) -> None:
    """The last user input says 'combat', but the event being processed is something else."""
    graph = build_graph(
        sqlite_db,
        ["A", "B", "C"],
        [("A", "B", "agent_decision", {"expected_value": "go"}), ("B", "C", "user_input", {"pattern": "combat"})],
    )
    orchestrator = SessionManager(sqlite_db).create_session("s", graph.conversation.id)
    orchestrator.process_event(ev("user_message", message="combat please"))
    orchestrator.process_event(ev("agent_decision", "agent", decision_key="transition_to", value="go"))
    assert at(orchestrator) == "B"
    for event in (ev("agent_message", "agent", message="combat!"), ev("custom", "x")):
        orchestrator.process_event(event)
        assert orchestrator.check_and_execute_transition().transitioned is False
    assert at(orchestrator) == "B"
    orchestrator.process_event(ev("user_message", message="more combat"))
    assert at(orchestrator) == "C"


@pytest.mark.parametrize(
    ("data", "event_data", "fires"),
    [
        (
            {"tool_name": "scan", "result_key": "site.kind", "expected_value": "wormhole"},
            {"tool_name": "scan", "result": {"site": {"kind": "wormhole"}}},
            True,
        ),
        (
            {"tool_name": "scan", "result_key": "site.kind", "expected_value": "wormhole"},
            {"tool_name": "scan", "result": {"site": {"kind": "relic"}}},
            False,
        ),
        (
            {"tool_name": "scan", "result_key": "site.kind", "expected_value": "wormhole"},
            {"tool_name": "price", "result": {"site": {"kind": "wormhole"}}},
            False,
        ),
        (
            {"tool_name": "scan", "result_key": "site.kind", "expected_value": "wormhole"},
            {"tool_name": "scan", "result": {"other": 1}},
            False,
        ),
        (
            {"tool_name": "price", "result_key": "isk", "operator": "gt", "expected_value": 100},
            {"tool_name": "price", "result": {"isk": 101}},
            True,
        ),
        (
            {"tool_name": "price", "result_key": "isk", "operator": "gt", "expected_value": 100},
            {"tool_name": "price", "result": {"isk": "lots"}},
            False,
        ),
        (
            {"tool_name": "price", "result_key": "isk", "operator": "lte", "expected_value": 100},
            {"tool_name": "price", "result": {"isk": 100}},
            True,
        ),
        (
            {"tool_name": "price", "operator": "neq", "expected_value": "error"},
            {"tool_name": "price", "result": "ok"},
            True,
        ),
        (
            {"tool_name": "tags", "operator": "contains", "expected_value": "pvp"},
            {"tool_name": "tags", "result": ["pve", "pvp"]},
            True,
        ),
        (
            {"tool_name": "tags", "operator": "not_contains", "expected_value": "pvp"},
            {"tool_name": "tags", "result": ["pve", "pvp"]},
            False,
        ),
        (
            {"tool_name": "region", "operator": "in", "expected_value": ["Jita", "Amarr"]},
            {"tool_name": "region", "result": "Amarr"},
            True,
        ),
        (
            {"tool_name": "lookup", "result_key": "items.1", "operator": "exists"},
            {"tool_name": "lookup", "result": {"items": [1, 2]}},
            True,
        ),
        (
            {"tool_name": "lookup", "result_key": "items.5", "operator": "exists"},
            {"tool_name": "lookup", "result": {"items": [1, 2]}},
            False,
        ),
        (
            {"tool_name": "status", "operator": "regex", "expected_value": "^err(or)?"},
            {"tool_name": "status", "result": "error: timeout"},
            True,
        ),
    ],
)
def test_tool_result(sqlite_db: Session, data: dict[str, Any], event_data: dict[str, Any], fires: bool) -> None:
    orchestrator = session(sqlite_db, "tool_result", data)
    result = orchestrator.process_event(ev("tool_result", "agent", **event_data))
    assert result.transitioned is fires


def test_tool_result_by_tool_id_and_by_the_transitions_tool(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["A", "B"], [], tools={"A": ["scan"]})
    from rataura2.db.models import Transition

    scan = graph.tools["scan"]
    sqlite_db.add(
        Transition(
            source_agent=graph.agents["A"],
            target_agent=graph.agents["B"],
            condition_type="tool_result",
            tool=scan,
            condition_data={"result_key": "found"},
        )
    )
    sqlite_db.commit()
    orchestrator = SessionManager(sqlite_db).create_session("s", graph.conversation.id)
    assert not orchestrator.process_event(ev("tool_result", "agent", tool_name="other", result={"found": 1}))
    assert orchestrator.process_event(ev("tool_result", "agent", tool_name="scan", result={"found": 1}))


def test_tool_result_ignores_tool_calls(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, "tool_result", {"tool_name": "scan"})
    assert not orchestrator.process_event(ev("tool_called", "agent", tool_name="scan", arguments={}))
    assert at(orchestrator) == "A"


@pytest.mark.parametrize(
    ("data", "value", "key", "fires"),
    [
        ({"expected_value": "escalate"}, "escalate", "transition_to", True),
        ({"expected_value": "escalate"}, "stay", "transition_to", False),
        ({}, "B", "transition_to", True),
        ({}, "b", "transition_to", True),
        ({}, "C", "transition_to", False),
        ({"decision_key": "route"}, "B", "route", True),
        ({"decision_key": "route"}, "B", "transition_to", False),
    ],
)
def test_agent_decision(sqlite_db: Session, data: dict[str, Any], value: str, key: str, fires: bool) -> None:
    orchestrator = session(sqlite_db, "agent_decision", data)
    result = orchestrator.process_event(ev("agent_decision", "agent", decision_key=key, value=value))
    assert result.transitioned is fires


def test_agent_decision_by_target_id(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, "agent_decision", {})
    target = orchestrator.graph.get_agent("B").id
    assert orchestrator.process_event(ev("agent_decision", "agent", decision_key="transition_to", value=target))


@pytest.mark.parametrize(
    ("data", "event", "fires"),
    [
        ({"event_type": "USER_LEFT"}, ("user_left", {"participant_id": "p"}), True),
        ({"event_type": "user_left"}, ("user_joined", {"participant_id": "p"}), False),
        (
            {"event_type": "custom", "event_data": {"kind": "scan", "meta": {"ok": True}}},
            ("custom", {"kind": "scan", "meta": {"ok": True, "extra": 1}, "n": 2}),
            True,
        ),
        ({"event_type": "custom", "event_data": {"kind": "scan"}}, ("custom", {"kind": "probe"}), False),
    ],
)
def test_event(sqlite_db: Session, data: dict[str, Any], event: tuple[str, dict[str, Any]], fires: bool) -> None:
    orchestrator = session(sqlite_db, "event", data)
    assert orchestrator.process_event(ev(event[0], "game", **event[1])).transitioned is fires


def test_event_since_entered_looks_back_only_to_the_agents_entry(sqlite_db: Session) -> None:
    graph = build_graph(
        sqlite_db,
        ["A", "B", "C"],
        [
            ("A", "B", "user_input", {"pattern": "go"}),
            ("B", "C", "event", {"event_type": "custom", "event_data": {"flag": 1}, "scope": "since_entered"}),
        ],
    )
    orchestrator = SessionManager(sqlite_db).create_session("s", graph.conversation.id)
    orchestrator.process_event(ev("custom", "x", flag=1))  # before entering B: must not count
    orchestrator.process_event(ev("user_message", message="go"))
    orchestrator.process_event(ev("agent_message", "agent", message="in B"))
    assert at(orchestrator) == "B"
    orchestrator.process_event(ev("custom", "x", flag=1))
    assert at(orchestrator) == "C"


def test_livekit_event_only_from_livekit(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, "livekit_event", {"event_name": "participant_disconnected"})
    assert not orchestrator.process_event(ev("user_left", "crm", participant_id="p"))
    assert not orchestrator.process_event(
        LivekitEventHandler.to_event("participant_connected", {"participant_id": "p"}, 99.0)
    )
    assert orchestrator.process_event(
        LivekitEventHandler.to_event("participant_disconnected", {"participant_id": "p"}, 100.0)
    )


def test_livekit_event_by_event_type_and_data(sqlite_db: Session) -> None:
    orchestrator = session(
        sqlite_db, "livekit_event", {"event_name": "agent_state_changed", "event_data": {"new_state": "speaking"}}
    )
    assert not orchestrator.process_event(
        LivekitEventHandler.to_event("agent_state_changed", {"new_state": "thinking"}, 1.0)
    )
    assert orchestrator.process_event(
        LivekitEventHandler.to_event("agent_state_changed", {"new_state": "speaking"}, 2.0)
    )


@pytest.mark.parametrize(
    ("code", "fires"),
    [
        ('context.turn_count >= 2 && context.user_input.contains("refund")', True),
        ('context.turn_count >= 3 && context.user_input.contains("refund")', False),
        ('event.type == "user_message" && event.data.message.startsWith("I want")', True),
        ("has(context.vip) && context.vip", False),
        ("size(context.events) > 2", True),
    ],
)
def test_custom_cel(sqlite_db: Session, code: str, fires: bool) -> None:
    orchestrator = session(sqlite_db, "custom", {"condition_code": code})
    orchestrator.process_event(ev("user_message", message="hello"))
    orchestrator.process_event(ev("user_message", message="I want a refund"))
    assert (at(orchestrator) == "B") is fires


def test_custom_cel_reads_values_set_by_update_context(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, "custom", {"condition_code": "has(context.vip) && context.vip == true"})
    orchestrator.process_event(ev("user_message", message="hi"))
    assert at(orchestrator) == "A"
    result = orchestrator.update_context({"vip": True})
    assert result.transitioned
    assert at(orchestrator) == "B"
    assert orchestrator.check_and_execute_transition().transitioned is False


def test_custom_cel_that_errors_counts_as_false_and_is_reported(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, "custom", {"condition_code": "context.missing_field > 3"})
    result = orchestrator.process_event(ev("user_message", message="hi"))
    assert result.status.value == "error"
    assert result.errors and "context.missing_field" in result.errors[0][1]
    assert at(orchestrator) == "A"
    assert orchestrator.process_event(ev("user_message", message="again")).status.value == "error"


def test_custom_cel_non_boolean_is_an_error_not_a_match(sqlite_db: Session) -> None:
    orchestrator = session(sqlite_db, "custom", {"condition_code": "context.turn_count"})
    result = orchestrator.process_event(ev("user_message", message="hi"))
    assert result.status.value == "error"
    assert "not a bool" in result.reason


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("no_such_type", {}, "unknown condition type 'no_such_type'"),
        ("user_input", {}, "pattern"),
        ("user_input", {"pattern": "(", "match": "regex"}, "not a valid (RE2) regex"),
        ("user_input", {"pattern": "x", "match": "fuzzy"}, "match"),
        ("user_input", {"pattern": "x", "colour": "red"}, "colour"),
        ("tool_result", {"tool_name": "t", "operator": "regex", "expected_value": "[a"}, "not a valid (RE2) regex"),
        ("tool_result", {"tool_name": "t", "operator": "approximately"}, "operator"),
        ("tool_result", {"result_key": "ok"}, "needs tool_id or tool_name"),
        ("event", {"event_type": "no_such_event"}, "unknown event type"),
        ("livekit_event", {"event_name": "teleported"}, "teleported"),
        ("custom", {"condition_code": "context.x >"}, "does not parse"),
        ("custom", {"condition_code": "os.name == 'posix'"}, "unknown variable(s) os"),
        ("custom", {"condition_code": "os.system('ls') == 0"}, "unknown function(s) system"),
        ("custom", {"condition_code": "__import__('os')"}, "unknown function(s) __import__"),
    ],
)
def test_invalid_condition_is_refused_when_saved(
    sqlite_db: Session, kind: str, data: dict[str, Any], message: str
) -> None:
    from rataura2.db.models import Transition

    graph = build_graph(sqlite_db, ["A", "B"], [])
    sqlite_db.add(
        Transition(
            source_agent=graph.agents["A"], target_agent=graph.agents["B"], condition_type=kind, condition_data=data
        )
    )
    with pytest.raises(InvalidConditionError) as info:
        sqlite_db.commit()
    assert message in str(info.value)
    assert "A -> B" in info.value.transition
    sqlite_db.rollback()
    assert sqlite_db.query(Transition).count() == 0


def test_cel_reads_of_context_fields_become_plain_variables_outside_string_literals() -> None:
    from rataura2.core.conditions.expressions import flatten_context_reads

    source, fields, tested = flatten_context_reads(
        'has(context.vip) && context.vip && context.user_input.contains("context.secret") && event.type == "x"'
    ) or ("", (), ())
    assert fields == ("vip", "user_input")
    assert tested == ("vip",)
    assert '"context.secret"' in source and "context.vip" not in source
    assert flatten_context_reads("size(context) > 3") is None
    assert flatten_context_reads("has(context.tool_results.scan)") == (
        "has(__ctx_tool_results.scan)",
        ("tool_results",),
        (),
    )


def test_cel_string_literal_mentioning_context_does_not_change_the_result(sqlite_db: Session) -> None:
    code = 'context.user_input == "context.user_input"'
    orchestrator = session(sqlite_db, "custom", {"condition_code": code})
    orchestrator.process_event(ev("user_message", message="something"))
    assert at(orchestrator) == "A"
    orchestrator.process_event(ev("user_message", message="context.user_input"))
    assert at(orchestrator) == "B"


def test_regexes_run_in_linear_time_and_refuse_backtracking_features(sqlite_db: Session) -> None:
    """A designer's regex cannot stall the session: RE2 matches a classic catastrophic pattern at once."""
    orchestrator = session(sqlite_db, "user_input", {"pattern": "^(a+)+$", "match": "regex"})
    assert not orchestrator.process_event(ev("user_message", message="a" * 5000 + "b"))
    with pytest.raises(InvalidConditionError, match="RE2"):
        from rataura2.core.conditions import validate_condition_data

        validate_condition_data("user_input", {"pattern": r"(a)\1", "match": "regex"}, label="t")


def test_cel_comprehension_macros_over_the_history(sqlite_db: Session) -> None:
    code = 'context.events.exists(e, e.type == "custom" && e.data.kind == "alarm")'
    orchestrator = session(sqlite_db, "custom", {"condition_code": code})
    orchestrator.process_event(ev("user_message", message="hi"))
    assert at(orchestrator) == "A"
    orchestrator.process_event(ev("custom", "game", kind="alarm"))
    assert at(orchestrator) == "B"
