"""Flows that cannot run away: conditions that read state are evaluated on trigger events only, and no session makes
more than ``max_transitions_per_turn`` hand-overs between two user turns."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy.orm import Session

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.errors import InvalidConditionError
from rataura2.sessions.manager import SessionManager
from tests.builders import build_graph

_clock = itertools.count(1)
TRIAGE, BILLING = 1, 2
REFUND_RULES = (
    {
        "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": "refund"}]},
        "actions": [{"name": "transition_to_agent", "params": {"agent_id": BILLING}}],
    },
)
THANKS = 'context.user_input.contains("thanks")'
REFUND = 'context.user_input.contains("refund")'


def ev(kind: str, source: str = "user", /, **data: Any) -> EventData:
    return EventData(type=kind, timestamp=float(next(_clock)), data=data, source=source)


def livekit(name: str, **data: Any) -> EventData:
    return LivekitEventHandler.to_event(name, data, float(next(_clock)))


def bouncing(
    back_data: dict[str, Any] | None = None, rules_data: dict[str, Any] | None = None, **kwargs: Any
) -> AgentOrchestrator:
    """The support graph of issue 10: Triage -> Billing on a business rule (user_input contains "refund"),
    Billing -> Triage on a CEL expression (user_input contains "thanks")."""
    agents = {TRIAGE: AgentSpec(TRIAGE, "Triage"), BILLING: AgentSpec(BILLING, "Billing")}
    transitions = (
        TransitionSpec(1, TRIAGE, BILLING, "business_rules", rules_data or {}, rules=REFUND_RULES),
        TransitionSpec(2, BILLING, TRIAGE, "custom", {"condition_code": THANKS, **(back_data or {})}),
    )
    graph = CompiledGraph(GraphSpec(1, "Support", TRIAGE, agents, transitions))
    return AgentOrchestrator("support", graph, **kwargs)


def what_livekit_reports_after_a_turn() -> list[EventData]:
    """The session's own reactions to a user turn and a hand-over, as the LiveKit bridge reports them."""
    return [
        livekit("agent_state_changed", old_state="listening", new_state="thinking"),
        livekit("agent_handoff", old_agent="Triage", new_agent="Billing"),
        livekit("agent_state_changed", old_state="thinking", new_state="speaking"),
        livekit("conversation_item_added", message="I can help with your refund."),
        livekit("agent_state_changed", old_state="speaking", new_state="listening"),
        livekit("user_state_changed", old_state="speaking", new_state="listening"),
        livekit("user_input_transcribed", transcript="thanks, but I need a refund"),
        ev("transition", "api", to_agent="Triage", reason="an operator moved it"),
    ]


def test_the_bouncing_support_graph_hands_over_once_per_user_turn() -> None:
    orchestrator = bouncing()
    first = orchestrator.process_event(ev("user_message", message="thanks, but I need a refund"))
    assert first.transitioned and first.to_agent_id == BILLING
    assert "holds too" in first.reason and "Billing -> Triage (transition 2)" in first.reason
    for event in what_livekit_reports_after_a_turn()[:-1]:
        result = orchestrator.process_event(event)
        assert not result.transitioned, (event.type, result)
    assert orchestrator.get_current_agent().name == "Billing"
    assert len(orchestrator.get_context()["transitions"]) == 1


@pytest.mark.parametrize(
    "trigger",
    [
        ev("user_message", message="thanks"),
        ev("tool_result", "agent", tool_name="lookup", result="ok"),
        ev("agent_decision", "agent", decision_key="mood", value="calm"),
        ev("custom", "api", context_updates={"vip": True}),
        ev("user_joined", "livekit", participant_id="p2"),
        ev("user_left", "livekit", participant_id="p2"),
        ev("session_created", "session_manager"),
    ],
    ids=lambda e: e.type.value,
)
def test_state_conditions_are_evaluated_on_each_default_trigger(trigger: EventData) -> None:
    orchestrator = bouncing()
    orchestrator.process_event(ev("user_message", message="refund please, thanks"))
    assert orchestrator.get_current_agent().name == "Billing"
    result = orchestrator.process_event(trigger)
    assert result.transitioned and result.to_agent_id == TRIAGE


@pytest.mark.parametrize(
    "event",
    [
        *what_livekit_reports_after_a_turn(),
        ev("agent_message", "agent", message="thanks"),
        ev("custom", "livekit.data_received", topic="x", text="thanks"),
        ev("agent_started", "livekit"),
        ev("agent_error", "livekit", message="timeout"),
    ],
    ids=lambda e: f"{e.type.value}:{e.source}",
)
def test_state_conditions_are_never_evaluated_on_the_sessions_own_reactions(event: EventData) -> None:
    orchestrator = bouncing()
    orchestrator.process_event(ev("user_message", message="refund please, thanks"))
    result = orchestrator.process_event(event)
    if event.type.value == "transition":  # a move by hand is carried out, and nothing fires after it
        assert result.to_agent_id == TRIAGE and len(result.hops) == 1
    else:
        assert not result.transitioned
        assert orchestrator.get_current_agent().name == "Billing"


def test_a_transition_names_its_own_trigger_types() -> None:
    orchestrator = bouncing({"triggers": ["AGENT_MESSAGE"]})
    orchestrator.process_event(ev("user_message", message="refund please, thanks"))
    assert not orchestrator.process_event(ev("user_message", message="thanks")).transitioned
    assert not orchestrator.process_event(ev("tool_result", "agent", tool_name="x", result=1)).transitioned
    moved = orchestrator.process_event(ev("agent_message", "agent", message="You're welcome."))
    assert moved.to_agent_id == TRIAGE


def test_context_update_trigger_is_the_apis_update_not_any_custom_event() -> None:
    orchestrator = bouncing({"triggers": ["context_update"]})
    orchestrator.process_event(ev("user_message", message="refund please, thanks"))
    assert not orchestrator.process_event(ev("custom", "livekit.data_received", text="x")).transitioned
    assert orchestrator.update_context(mood="calm").to_agent_id == TRIAGE


def test_rules_name_their_trigger_types_too() -> None:
    orchestrator = bouncing(rules_data={"triggers": ["user_joined"]})
    assert not orchestrator.process_event(ev("user_message", message="refund")).transitioned
    assert orchestrator.process_event(ev("user_joined", "livekit", participant_id="p")).to_agent_id == BILLING


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("custom", {"condition_code": "true", "triggers": ["teleported"]}, "'teleported' is not a trigger"),
        ("custom", {"condition_code": "true", "triggers": ["transition"]}, "a hand-over is never evaluated again"),
        ("custom", {"condition_code": "true", "triggers": []}, "non-empty list of event types"),
        ("custom", {"condition_code": "true", "triggers": "user_message"}, "non-empty list of event types"),
        ("business_rules", {"triggers": [3]}, "3 is not a trigger"),
        ("user_input", {"pattern": "x", "triggers": ["user_message"]}, "triggers"),
        ("event", {"event_type": "custom", "triggers": ["user_message"]}, "only apply with scope 'since_entered'"),
    ],
)
def test_bad_triggers_are_refused_when_saved(db: Session, kind: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidConditionError, match=message) as info:
        build_graph(db, ["A", "B"], [("A", "B", kind, data)])
    assert info.value.transition.startswith("new transition (A -> B")
    db.rollback()
    assert build_graph(db, ["A", "B"], [], name="still usable").conversation.id


def test_since_entered_is_a_state_condition_with_triggers() -> None:
    agents = {1: AgentSpec(1, "A"), 2: AgentSpec(2, "B")}
    seen = {"event_type": "custom", "event_data": {"flag": 1}, "scope": "since_entered"}
    graph = CompiledGraph(GraphSpec(1, "g", 1, agents, (TransitionSpec(1, 1, 2, "event", seen),)))
    orchestrator = AgentOrchestrator("s", graph)
    assert not orchestrator.process_event(ev("custom", "game", flag=1)).transitioned  # not a trigger
    assert not orchestrator.process_event(ev("agent_message", "agent", message="hm")).transitioned
    assert orchestrator.process_event(ev("user_message", message="so?")).to_agent_id == 2


# the guard ---------------------------------------------------------------------------------------------------------
def test_past_max_transitions_per_turn_the_hand_over_is_refused_and_recorded() -> None:
    """A designer who makes the state condition fire on the agent's own state changes re-creates the bounce: the
    guard stops it after three hand-overs, says why, and the session stays usable."""
    orchestrator = bouncing({"triggers": ["agent_state_changed"]}, rules_data={"triggers": ["agent_state_changed"]})
    assert not orchestrator.process_event(ev("user_message", message="thanks, but I need a refund")).transitioned
    results = [
        orchestrator.process_event(livekit("agent_state_changed", old_state="x", new_state="y")) for _ in range(6)
    ]
    context = orchestrator.get_context()
    assert len(context["transitions"]) == 3
    assert context["hand_overs_this_turn"] == 3
    assert [r.to_agent_id for r in results[:3]] == [BILLING, TRIAGE, BILLING]
    refused = results[3]
    assert refused.status.value == "error" and not refused.hops
    assert "Triage -> Billing -> Triage -> Billing -> Triage" in refused.reason
    assert "max_transitions_per_turn=3" in refused.reason
    assert refused.errors[0][0] == 2
    errors = [e for e in context["events"] if e["type"] == "agent_error"]
    assert len(errors) == 3 and all(e["source"] == "orchestrator" for e in errors)
    assert errors[0]["data"]["error_type"] == "max_transitions_per_turn"
    assert errors[0]["data"]["transition_id"] == 2
    assert context["last_error"]["message"] == refused.reason.removeprefix("transition 2: ")
    assert orchestrator.get_current_agent().name == "Billing"
    # the user's next turn starts a new count
    orchestrator.process_event(ev("user_message", message="thanks"))
    assert orchestrator.get_context()["hand_overs_this_turn"] == 0
    moved = orchestrator.process_event(livekit("agent_state_changed", old_state="x", new_state="y"))
    assert moved.to_agent_id == TRIAGE
    assert orchestrator.get_context()["hand_overs_this_turn"] == 1


def test_the_guard_counts_chained_hops_and_moves_by_hand() -> None:
    agents = {i: AgentSpec(i, name) for i, name in enumerate("ABCDE", start=1)}
    chain = tuple(TransitionSpec(i, i, i + 1, "user_input", {"pattern": "go"}) for i in range(1, 5))
    graph = CompiledGraph(GraphSpec(1, "chain", 1, agents, chain))
    orchestrator = AgentOrchestrator("s", graph, max_hops_per_event=10, max_transitions_per_turn=2)
    result = orchestrator.process_event(ev("user_message", message="go"))
    assert [h.to_agent_id for h in result.hops] == [2, 3]
    assert result.errors and "A -> B -> C -> D" in result.errors[0][1]
    orchestrator.execute_transition("A")  # by hand: carried out, and counted
    assert orchestrator.get_context()["hand_overs_this_turn"] == 3
    assert orchestrator.process_event(ev("tool_result", "x", tool_name="t", result=1)).status.value == "no_transition"


def test_max_transitions_per_turn_is_checked() -> None:
    with pytest.raises(ValueError, match="max_transitions_per_turn"):
        bouncing(max_transitions_per_turn=0)
    assert bouncing().max_transitions_per_turn == 3


def test_a_refused_hand_over_replays_exactly(db: Session) -> None:
    graph = build_graph(
        db,
        ["Triage", "Billing"],
        [
            ("Triage", "Billing", "custom", {"condition_code": REFUND, "triggers": ["custom"]}),
            ("Billing", "Triage", "custom", {"condition_code": THANKS, "triggers": ["custom"]}),
        ],
    )
    manager = SessionManager(db, max_transitions_per_turn=2)
    orchestrator = manager.create_session("bounce", graph.conversation.id, timestamp=1.0)
    orchestrator.process_event(ev("user_message", message="thanks, refund"))
    for n in range(5):
        orchestrator.process_event(ev("custom", "game", n=n))
    before = orchestrator.get_context()
    assert len(before["transitions"]) == 2
    manager.close()
    again = SessionManager(db, max_transitions_per_turn=2).resume_session("bounce")
    assert again.get_context() == before
