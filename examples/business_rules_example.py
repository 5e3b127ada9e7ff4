"""Business-rules transitions, end to end, on a real SQLite database.

Designers write transition rules as data (the ``business-rules`` JSON format); this script stores some, shows that
a bad rule set is refused with every problem named, runs sessions that the rules move between agents (with the
context values the rules set), asks the brief's ``TransitionController`` directly, and prints what a rule editor
is told. Run it from the repository root:

    .venv/bin/python examples/business_rules_example.py [path/to/database.db]
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path

from rataura2.db.models import Agent, Conversation, Transition
from rataura2.db.session import init_db
from rataura2.errors import InvalidRulesError
from rataura2.livekit_agent.events import EventData, EventType
from rataura2.orchestration.orchestrator import SessionManager
from rataura2.transitions.business_rules_adapter import (
    TransitionController,
    create_business_rules_transition,
    get_business_rules_transition,
)
from rataura2.transitions.web_ui import generate_ui_config, json_to_rules, rules_to_json


def main(database: Path) -> None:
    sessions = init_db(f"sqlite:///{database}")  # creates or upgrades the schema
    with sessions() as db:
        general = Agent(name="General Agent", instructions="You are a general EVE Online guide.")
        combat_agent = Agent(name="Combat Agent", instructions="You are a combat specialist.", agent_type="combat")
        market = Agent(name="Market Agent", instructions="You are a market specialist.", agent_type="market")
        conversation = Conversation(
            name=f"EVE rules example {uuid.uuid4().hex[:6]}",
            initial_agent=general,
            agents=[general, combat_agent, market],
        )
        db.add(conversation)
        db.flush()
        transition = Transition(
            source_agent=general,
            target_agent=combat_agent,
            condition_type="event",
            condition_data={"event_type": "user_message"},
            priority=10,
        )
        db.add(transition)
        db.commit()

        # The brief's snippet, as printed.
        rules = [
            {
                "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": "combat"}]},
                "actions": [{"name": "transition_to_agent", "params": {"agent_id": combat_agent.id}}],
            }
        ]
        create_business_rules_transition(db, transition.id, rules)
        print(f"transition {transition.id} is now {transition.condition_type!r}, decided by 1 rule")

        # Several rules on one transition: nested any/all, a context value, a note for the log.
        market_rules = [
            {
                "conditions": {
                    "all": [
                        {"name": "last_event_type", "operator": "contains", "value": "user_message"},
                        {
                            "any": [
                                {"name": "user_input", "operator": "contains_case_insensitive", "value": "price"},
                                {"name": "user_input", "operator": "contains_case_insensitive", "value": "market"},
                            ]
                        },
                    ]
                },
                "actions": [
                    {"name": "set_context_value", "params": {"key": "topic", "value": "market"}},
                    {"name": "log_transition", "params": {"message": "price question"}},
                    {"name": "transition_to_agent", "params": {"agent_id": market.id}},
                ],
            },
            {
                "conditions": {"name": "conversation_turn_count", "operator": "greater_than", "value": 1},
                "actions": [{"name": "set_context_value", "params": {"key": "returning_pilot", "value": True}}],
            },
        ]
        to_market = Transition(source_agent=general, target_agent=market, condition_type="business_rules", priority=5)
        db.add(to_market)
        db.flush()  # an id for the rules: a business_rules transition is committed together with its rules
        create_business_rules_transition(db, to_market.id, market_rules)

        # A bad rule set is refused, every problem named, and nothing is stored.
        bad = [
            {
                "conditions": {"all": [{"name": "user_input", "operator": "foo", "value": "x"}]},
                "actions": [{"name": "transition_to_agent", "params": {"agent_id": 9999}}],
            }
        ]
        try:
            create_business_rules_transition(db, to_market.id, bad)
        except InvalidRulesError as exc:
            print(f"refused: {exc}")
        stored = get_business_rules_transition(db, to_market.id)
        print(f"transition {to_market.id} still has {len(stored.rules) if stored else 0} rules")

        # Sessions: the compiled rules move them, and the rules' context values come along.
        manager = SessionManager(db)
        for session_id, messages in {
            "pilot-1": ["Hello, I'm interested in combat in EVE Online."],
            "pilot-2": ["Hi there.", "What are PLEX prices today?"],
        }.items():
            orchestrator = manager.create_session(session_id, conversation.id)
            for text in messages:
                event = EventData(type=EventType.USER_MESSAGE, timestamp=1.0, data={"message": text}, source="user")
                result = orchestrator.process_event(event)
                outcome = f"-> {orchestrator.get_current_agent().name}: {result.reason}" if result else "(stays)"
                print(f"{session_id} says {text!r} {outcome}")
            context = orchestrator.get_context()
            print(f"{session_id} context: topic={context.get('topic')!r}, returning={context.get('returning_pilot')}")

        # The brief's controller, on a plain context dict.
        controller = TransitionController(db)
        decision = controller.check_transitions(general.id, {"user_input": "Any tips for combat?", "turn_count": 1})
        print(f"controller: {decision}")
        print(f"controller, nothing holds: {controller.check_transitions(general.id, {'user_input': 'Hello'})}")

        # What a rule editor gets, and the rules as it would load and save them.
        config = generate_ui_config(conversation.agents)
        print("variables:", ", ".join(f"{v['name']} ({v['field_type']})" for v in config["variables"]))
        print("string operators:", ", ".join(o["name"] for o in config["variable_type_operators"]["string"]))
        text = rules_to_json(stored) if stored else "[]"
        print(
            f"round trip through JSON: {json_to_rules(text, conversation.agents) == stored.rules if stored else None}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "business_rules_example.db")
