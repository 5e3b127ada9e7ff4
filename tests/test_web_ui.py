"""What a rule editor is told matches what is accepted, and rules survive the trip through JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from rataura2.core.conditions.rules_vocabulary import ConversationVariables
from rataura2.core.spec import AgentSpec
from rataura2.db.models import AgentType
from rataura2.errors import InvalidRulesError
from rataura2.rules.editor import generate_ui_config, json_to_rules, rules_to_json
from rataura2.rules.repository import create_business_rules_transition
from rataura2.vocabulary.events import EventType
from tests.builders import build_graph

AGENTS = [AgentSpec(1, "General"), AgentSpec(2, "Combat")]


def _move(agent_id: int = 2) -> list[dict[str, Any]]:
    return [{"name": "transition_to_agent", "params": {"agent_id": agent_id}}]


def test_config_describes_variables_operators_and_actions() -> None:
    config = generate_ui_config()
    variables = {v["name"]: v for v in config["variables"]}
    assert set(variables) == {v["name"] for v in ConversationVariables.get_all_variables()}
    assert variables["user_input"]["field_type"] == "string"
    assert variables["conversation_turn_count"]["field_type"] == "numeric"
    assert variables["is_first_turn"]["field_type"] == "boolean"
    assert variables["current_agent_type"]["options"] == [t.value for t in AgentType]
    assert variables["last_event_type"]["options"] == [t.value for t in EventType]
    assert variables["seconds_in_current_agent"]["description"].startswith("Seconds, in event time")
    operators = {t: [o["name"] for o in ops] for t, ops in config["variable_type_operators"].items()}
    assert {"contains", "not_contains", "contains_case_insensitive", "matches_regex"} <= set(operators["string"])
    assert operators["select"] == ["contains", "does_not_contain"]
    assert operators["boolean"] == ["is_false", "is_true"]
    actions = {a["name"]: a for a in config["actions"]}
    assert set(actions) == {"transition_to_agent", "set_context_value", "log_transition"}
    assert [p["name"] for p in actions["set_context_value"]["params"]] == ["key", "value"]
    assert "options" not in actions["transition_to_agent"]["params"][0]
    json.dumps(config)  # an editor gets it as JSON


def test_config_lists_the_conversations_agents_for_transition_to_agent() -> None:
    (param,) = next(a for a in generate_ui_config(AGENTS)["actions"] if a["name"] == "transition_to_agent")["params"]
    assert param["options"] == [{"name": 1, "label": "General"}, {"name": 2, "label": "Combat"}]


def _value_for(input_type: str, options: list[str]) -> Any:
    return {"text": "x", "numeric": 1.5, "select": options[0] if options else "x", "none": None}[input_type]


def test_everything_the_config_offers_is_accepted() -> None:
    config = generate_ui_config(AGENTS)
    conditions = [
        {"name": v["name"], "operator": op["name"], "value": _value_for(op["input_type"], v["options"])}
        for v in config["variables"]
        for op in config["variable_type_operators"][v["field_type"]]
    ]
    samples = {"agent_id": 2, "key": "topic", "value": "market", "message": "hello"}
    actions = [
        {"name": a["name"], "params": {p["name"]: samples[p["name"]] for p in a["params"]}} for a in config["actions"]
    ]
    rules = [{"conditions": {"any": conditions}, "actions": actions}]
    assert json_to_rules(rules_to_json(rules), AGENTS, target_agent_id=2) == rules
    assert len(conditions) > 40


def test_json_to_rules_refuses_what_would_not_be_saved() -> None:
    with pytest.raises(InvalidRulesError, match="not valid JSON"):
        json_to_rules("[{")
    unknown = [{"conditions": {"name": "user_input", "operator": "foo", "value": "x"}, "actions": _move()}]
    with pytest.raises(InvalidRulesError, match="rule 1, condition: unknown operator 'foo'"):
        json_to_rules(json.dumps(unknown))
    outside = [{"conditions": {"name": "user_input", "operator": "contains", "value": "x"}, "actions": _move(7)}]
    assert json_to_rules(json.dumps(outside))[0]["actions"] == _move(7)  # no agents given: only the type checked
    with pytest.raises(InvalidRulesError, match="agent_id 7 is not an agent of conversation 'EVE'"):
        json_to_rules(json.dumps(outside), {1: "General", 2: "Combat"}, conversation="EVE")


def test_rules_to_json_of_a_stored_rule_set(sqlite_db: Session) -> None:
    built = build_graph(sqlite_db, ["General", "Combat"], [("General", "Combat", "event", {"event_type": "custom"})])
    rules = [{"conditions": {"all": [{"name": "is_first_turn", "operator": "is_true"}]}, "actions": _move(2)}]
    rules[0]["actions"][0]["params"]["agent_id"] = built.agents["Combat"].id
    stored = create_business_rules_transition(sqlite_db, built.conversation.agents[0].outgoing_transitions[0].id, rules)
    text = rules_to_json(stored)
    assert json.loads(text) == stored.rules
    assert json.loads(text)[0]["conditions"]["all"][0]["value"] is None  # normalised when saved
    assert json_to_rules(text, built.conversation.agents) == stored.rules
