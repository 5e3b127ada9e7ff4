"""The brief's usage snippet, as printed, against a graph built with the public models."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from rataura2.db.models import Agent, Conversation, Transition
from rataura2.livekit_agent.events import EventData, EventType
from rataura2.orchestration.orchestrator import SessionManager


def test_brief_usage_snippet_ends_on_combat_agent(db: Session) -> None:
    general = Agent(name="General Agent", instructions="You are a general EVE Online guide.", agent_type="general")
    combat = Agent(name="Combat Agent", instructions="You are a combat specialist.", agent_type="combat")
    market = Agent(name="Market Agent", instructions="You are a market specialist.", agent_type="market")
    conversation = Conversation(name="EVE", initial_agent=general, agents=[general, combat, market])
    db.add(conversation)
    db.flush()
    db.add_all(
        [
            Transition(
                source_agent=general,
                target_agent=combat,
                condition_type="user_input",
                condition_data={"pattern": "combat"},
                priority=10,
            ),
            Transition(
                source_agent=general,
                target_agent=market,
                condition_type="user_input",
                condition_data={"pattern": "market"},
                priority=10,
            ),
        ]
    )
    db.commit()

    # --- the brief's snippet, with a real database session in place of the bare Session() ---
    session_manager = SessionManager(db)
    session_id = "example:123"
    conversation_id = conversation.id
    orchestrator = session_manager.create_session(session_id, conversation_id)
    event = EventData(
        type=EventType.USER_MESSAGE,
        timestamp=time.time(),
        data={"message": "Hello, I'm interested in combat in EVE Online."},
        source="user",
    )
    orchestrator.process_event(event)
    after_check = orchestrator.check_and_execute_transition()
    current_agent = orchestrator.get_current_agent()
    # --- end of snippet ---

    assert current_agent.id == combat.id
    assert current_agent.name == "Combat Agent"
    assert after_check.status.value == "no_transition"
    assert not after_check.transitioned
    context = orchestrator.get_context()
    assert context["turn_count"] == 1
    assert context["user_input"] == "Hello, I'm interested in combat in EVE Online."
    assert [t["to_agent_name"] for t in context["transitions"]] == ["Combat Agent"]
    assert "contains 'combat'" in context["transitions"][0]["reason"]
