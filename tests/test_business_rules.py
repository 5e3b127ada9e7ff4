"""Business-rules transitions: the brief's snippet, every variable, each operator family, nesting, several rules,
context updates, every kind of invalid rule, storage, the compiled graph and the brief's controller."""

from __future__ import annotations

import io
import itertools
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from business_rules.engine import check_conditions_recursively, run_all
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from rataura2.core.conditions import ConditionInput
from rataura2.core.conditions.business_rules import BusinessRulesCondition
from rataura2.core.conditions.rules_validation import validate_rules
from rataura2.core.conditions.rules_vocabulary import (
    OPERATORS,
    VARIABLES,
    RuleScope,
    classify_user_input,
    context_from_dict,
)
from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.db.loader import load_graph
from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Transition
from rataura2.errors import InvalidConditionError, InvalidRulesError, UnknownAgentError, UnknownTransitionError
from rataura2.rules.repository import (
    ConversationVariables,
    TransitionActions,
    TransitionController,
    create_business_rules_transition,
    delete_business_rules_transition,
    get_business_rules_transition,
    update_business_rules_transition,
)
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import EventType
from tests.builders import build_graph

ROOT = Path(__file__).resolve().parent.parent
GENERAL, COMBAT, MARKET = 1, 2, 3
AGENTS = {GENERAL: AgentSpec(GENERAL, "General"), COMBAT: AgentSpec(COMBAT, "Combat", agent_type="combat")}
AGENTS[MARKET] = AgentSpec(MARKET, "Market", agent_type="market")
SCOPE = RuleScope({a.id: a.name for a in AGENTS.values()}, COMBAT, "EVE")
START = 1000.0


def leaf(name: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"name": name, "operator": operator, "value": value}


def move(agent_id: Any, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [*extra, {"name": "transition_to_agent", "params": {"agent_id": agent_id}}]


def set_value(key: Any, value: Any) -> dict[str, Any]:
    return {"name": "set_context_value", "params": {"key": key, "value": value}}


def rule(conditions: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"conditions": conditions, "actions": actions}


def graph(rules: Sequence[dict[str, Any]], source: int = GENERAL) -> CompiledGraph:
    """General, Combat and Market; the rules decide ``source`` -> Combat (transition 1)."""
    spec = TransitionSpec(1, source, COMBAT, "business_rules", rules=tuple(rules))
    return CompiledGraph(GraphSpec(7, "EVE", GENERAL, AGENTS, (spec,)))


class Pilot:
    """Drives a session: each step is one event, one second after the last."""

    def __init__(self, rules: Sequence[dict[str, Any]], source: int = GENERAL) -> None:
        self.graph = graph(rules, source)
        self.session = AgentOrchestrator("s", self.graph)
        self.clock = START
        self.send(EventType.SESSION_CREATED, source="session_manager")

    def send(self, kind: EventType, source: str = "user", **data: Any) -> Any:
        self.clock += 1
        return self.session.process_event(EventData(type=kind, timestamp=self.clock, data=data, source=source))

    def step(self, action: str, *args: Any) -> None:
        if action == "say":
            self.send(EventType.USER_MESSAGE, message=args[0])
        elif action == "tool":
            self.send(EventType.TOOL_RESULT, "agent", tool_name=args[0], result=args[1])
        elif action == "join":
            self.send(EventType.USER_JOINED, "livekit", participant_id=args[0])
        elif action == "wait":
            self.clock += args[0]
        elif action == "go":
            self.session.execute_transition(args[0], timestamp=self.clock)
        elif action == "set":
            self.session.update_context(args[0], timestamp=self.clock)
        else:
            raise AssertionError(action)

    @property
    def agent(self) -> str:
        return self.session.get_current_agent().name


def verdict(rules: list[dict[str, Any]], context: dict[str, Any]) -> Any:
    condition = BusinessRulesCondition.from_rules(rules, COMBAT, SCOPE, None)
    return condition.evaluate(ConditionInput(None, context_from_dict(context)))


# the brief -------------------------------------------------------------------------------------------------------
def test_brief_snippet_moves_a_session_to_the_combat_agent(db: Session) -> None:
    general = Agent(name="General Agent", instructions="You are a general EVE Online guide.", agent_type="general")
    combat_agent = Agent(name="Combat Agent", instructions="You are a combat specialist.", agent_type="combat")
    conversation = Conversation(name="EVE", initial_agent=general, agents=[general, combat_agent])
    db.add(conversation)
    db.flush()
    transition = Transition(
        source_agent=general,
        target_agent=combat_agent,
        condition_type="event",
        condition_data={"event_type": "user_message"},
    )
    db.add(transition)
    db.commit()

    # --- the brief's snippet, as printed ---
    rules = [
        {
            "conditions": {
                "all": [
                    {
                        "name": "user_input",
                        "operator": "contains",
                        "value": "combat",
                    }
                ]
            },
            "actions": [
                {
                    "name": "transition_to_agent",
                    "params": {
                        "agent_id": combat_agent.id,
                    },
                }
            ],
        }
    ]

    create_business_rules_transition(db, transition.id, rules)
    # --- end of snippet ---

    assert transition.condition_type == "business_rules"
    assert get_business_rules_transition(db, transition.id) is not None
    orchestrator = SessionManager(db).create_session("example:123", conversation.id)
    orchestrator.process_event(
        EventData(type=EventType.USER_MESSAGE, timestamp=START, data={"message": "Hello"}, source="user")
    )
    assert orchestrator.get_current_agent().name == "General Agent"
    result = orchestrator.process_event(
        EventData(
            type=EventType.USER_MESSAGE,
            timestamp=START + 1,
            data={"message": "Hello, I'm interested in combat in EVE Online."},
            source="user",
        )
    )
    assert orchestrator.get_current_agent().name == "Combat Agent"
    assert result.transition_id == transition.id
    assert result.reason.startswith("rule 1: user_input contains 'combat' (user_input=\"Hello, I'm interested")


def test_the_vocabulary_classes_also_run_on_the_library_engine() -> None:
    rules = [rule({"all": [leaf("user_input", "contains", "combat")]}, move(COMBAT, set_value("topic", "pvp")))]
    actions = TransitionActions()
    assert run_all(rules, ConversationVariables({"user_input": "combat please"}), actions)
    assert (actions.next_agent_id, actions.context_updates) == (COMBAT, {"topic": "pvp"})


# every variable --------------------------------------------------------------------------------------------------
VARIABLE_CASES: list[tuple[dict[str, Any], list[tuple[Any, ...]], bool]] = [
    (leaf("user_input", "contains", "combat"), [("say", "I want combat")], True),
    (leaf("user_input", "contains", "combat"), [("say", "I want to mine")], False),
    (leaf("user_input_type", "contains", "question"), [("say", "Which ship should I fly?")], True),
    (leaf("user_input_type", "contains", "question"), [("say", "I fly a Rifter.")], False),
    (leaf("user_input_type", "contains", "command"), [("set", {"user_input_type": "command"}), ("say", "Hm.")], True),
    (leaf("current_agent_name", "equal_to", "General"), [("say", "hi")], True),
    (leaf("current_agent_name", "equal_to", "Market"), [("say", "hi")], False),
    (leaf("current_agent_type", "contains", "general"), [("say", "hi")], True),
    (leaf("current_agent_type", "does_not_contain", "general"), [("say", "hi")], False),
    (leaf("previous_agent_name", "equal_to", "Market"), [("go", "Market"), ("go", "General"), ("say", "hi")], True),
    (leaf("previous_agent_name", "equal_to", "Market"), [("say", "hi")], False),
    (leaf("conversation_turn_count", "greater_than_or_equal_to", 2), [("say", "a"), ("say", "b")], True),
    (leaf("conversation_turn_count", "greater_than_or_equal_to", 2), [("say", "a")], False),
    (leaf("turns_in_current_agent", "greater_than", 1), [("say", "a"), ("say", "b")], True),
    (leaf("turns_in_current_agent", "greater_than", 1), [("say", "a"), ("go", 3), ("go", 1), ("say", "b")], False),
    (leaf("is_first_turn", "is_false"), [("say", "a"), ("say", "b")], True),
    (leaf("is_first_turn", "is_false"), [("say", "a")], False),
    (leaf("seconds_in_current_agent", "greater_than", 30), [("wait", 40), ("say", "a")], True),
    (leaf("seconds_in_current_agent", "greater_than", 30), [("wait", 10), ("say", "a")], False),
    (leaf("last_event_type", "contains", "tool_result"), [("tool", "fit_ship", {"cost": 1})], True),
    (leaf("last_event_type", "contains", "tool_result"), [("say", "tool_result")], False),
    (leaf("last_tool_name", "equal_to", "fit_ship"), [("tool", "fit_ship", {"cost": 1})], True),
    (leaf("last_tool_name", "equal_to", "fit_ship"), [("tool", "price_check", {"cost": 1})], False),
    (leaf("last_tool_result", "contains", '"cost_isk": 3200000'), [("tool", "fit", {"cost_isk": 3200000})], True),
    (leaf("last_tool_result", "contains", "out of stock"), [("tool", "buy", "Sorry: out of stock")], True),
    (leaf("last_tool_result", "contains", "out of stock"), [("tool", "buy", "Bought.")], False),
    (leaf("participant_count", "greater_than_or_equal_to", 2), [("join", "a"), ("join", "b")], True),
    (leaf("participant_count", "greater_than_or_equal_to", 2), [("join", "a"), ("join", "a")], False),
]


@pytest.mark.parametrize(("condition", "steps", "fires"), VARIABLE_CASES)
def test_each_variable_moves_a_session(condition: dict[str, Any], steps: list[tuple[Any, ...]], fires: bool) -> None:
    pilot = Pilot([rule({"all": [condition]}, move(COMBAT))])
    for step in steps:
        pilot.step(*step)
    assert pilot.agent == ("Combat" if fires else "General")


def test_every_variable_has_a_case() -> None:
    assert {c[0]["name"] for c in VARIABLE_CASES} == set(VARIABLES)


def test_variable_values_as_the_session_built_them() -> None:
    pilot = Pilot([rule(leaf("user_input", "contains", "never said"), move(COMBAT))])
    for step in [("join", "p1"), ("say", "How do I fit a Rifter?"), ("tool", "fit_ship", {"cost_isk": 5})]:
        pilot.step(*step)
    pilot.step("go", "Market")
    pilot.step("wait", 11.5)
    pilot.step("say", "Show me prices")
    variables = ConversationVariables(pilot.session.context, None, pilot.graph.spec)
    assert variables.user_input() == "Show me prices"
    assert variables.user_input_type() == ["command"]
    assert (variables.current_agent_name(), variables.current_agent_type()) == ("Market", ["market"])
    assert variables.previous_agent_name() == "General"
    assert (variables.conversation_turn_count(), variables.turns_in_current_agent()) == (2, 1)
    assert variables.is_first_turn() is False
    assert float(variables.seconds_in_current_agent()) == 12.5
    assert variables.last_event_type() == ["user_message"]
    assert (variables.last_tool_name(), json.loads(variables.last_tool_result())) == ("fit_ship", {"cost_isk": 5})
    assert variables.participant_count() == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "unknown"),
        ("Where is Jita?", "question"),
        ("how do I dock", "question"),
        ("Show me my wallet", "command"),
        ("Let's go mining.", "command"),
        ("I like ships.", "statement"),
    ],
)
def test_user_input_type_guess(text: str, kind: str) -> None:
    assert classify_user_input(text) == kind


# operator families -----------------------------------------------------------------------------------------------
CONTEXT = {
    "user_input": "Hello Combat pilot",
    "turn_count": 3,
    "current_agent_type": "combat",
    "agent_entered_at": 100.0,
    "events": [{"id": "e", "type": "user_message", "timestamp": 112.5, "source": "user", "data": {}}],
}
OPERATOR_CASES = [
    ("user_input", "equal_to", "Hello Combat pilot", True),
    ("user_input", "equal_to", "hello combat pilot", False),
    ("user_input", "equal_to_case_insensitive", "hello combat pilot", True),
    ("user_input", "starts_with", "Hello", True),
    ("user_input", "starts_with", "Combat", False),
    ("user_input", "ends_with", "pilot", True),
    ("user_input", "contains", "Combat", True),
    ("user_input", "contains", "combat", False),
    ("user_input", "contains_case_insensitive", "COMBAT", True),
    ("user_input", "not_contains", "mining", True),
    ("user_input", "not_contains", "Combat", False),
    ("user_input", "matches_regex", r"Comb\w+ p", True),
    ("user_input", "matches_regex", r"^pilot", False),
    ("user_input", "non_empty", None, True),
    ("last_tool_name", "non_empty", None, False),
    ("conversation_turn_count", "equal_to", 3, True),
    ("conversation_turn_count", "equal_to", 3.0000001, True),
    ("conversation_turn_count", "equal_to", 4, False),
    ("conversation_turn_count", "greater_than", 2, True),
    ("conversation_turn_count", "greater_than", 3, False),
    ("conversation_turn_count", "greater_than_or_equal_to", 3, True),
    ("conversation_turn_count", "less_than", 3.5, True),
    ("conversation_turn_count", "less_than", 3, False),
    ("conversation_turn_count", "less_than_or_equal_to", 3, True),
    ("seconds_in_current_agent", "greater_than", 12.25, True),
    ("seconds_in_current_agent", "equal_to", 12.5, True),
    ("is_first_turn", "is_true", None, False),
    ("is_first_turn", "is_false", None, True),
    ("current_agent_type", "contains", "combat", True),
    ("current_agent_type", "contains", "COMBAT", True),
    ("current_agent_type", "contains", "market", False),
    ("current_agent_type", "does_not_contain", "market", True),
    ("current_agent_type", "does_not_contain", "combat", False),
    ("user_input_type", "contains", "statement", True),
]


@pytest.mark.parametrize(("name", "operator", "value", "holds"), OPERATOR_CASES)
def test_operator_families(name: str, operator: str, value: Any, holds: bool) -> None:
    assert (verdict([rule(leaf(name, operator, value), move(COMBAT))], CONTEXT) is not None) is holds


def test_every_operator_of_every_family_has_a_case() -> None:
    covered = {(VARIABLES[name].type_name, op) for name, op, _value, _holds in OPERATOR_CASES}
    assert covered == {(t, op) for t, ops in OPERATORS.items() for op in ops}


def _samples(input_type: str, options: tuple[str, ...]) -> list[Any]:
    if input_type == "select":
        return [*options[:3], options[-1], options[-1].upper()]
    return {
        "text": ["", "Combat", "combat", "o", r"^H\w+", "pilot", "3"],
        "numeric": [0, 1, 2.5, 3, 12.5, 100],
        "none": [None],
    }[input_type]


def test_compiled_conditions_agree_with_the_library_engine() -> None:
    contexts = [
        CONTEXT,
        {},
        {"user_input": "", "turn_count": 1, "tool_results": {"fit": {"cost_isk": 3}}, "last_tool_name": "fit"},
        {"user_input": "What is 3 + 3?", "session": {"participant_count": 2}, "current_agent_type": "market"},
    ]
    checked = 0
    for name, variable in VARIABLES.items():
        for op in OPERATORS[variable.type_name].values():
            for value in _samples(op.input_type, variable.options):
                compiled = BusinessRulesCondition.from_rules(
                    [rule(leaf(name, op.name, value), move(COMBAT))], 2, SCOPE, None
                )
                for context in contexts:
                    variables = ConversationVariables(context)
                    ours = compiled.movers[0].condition.holds(variables, {})
                    assert ours == bool(check_conditions_recursively(leaf(name, op.name, value), variables)), (
                        name,
                        op.name,
                        value,
                        context,
                    )
                    checked += 1
    assert checked > 500


# nesting and several rules ---------------------------------------------------------------------------------------
NESTED = rule(
    {
        "all": [
            leaf("conversation_turn_count", "greater_than", 1),
            {
                "any": [
                    leaf("user_input", "contains", "x"),
                    {"all": [leaf("participant_count", "greater_than", 1), leaf("last_tool_name", "equal_to", "scan")]},
                ]
            },
        ]
    },
    move(COMBAT),
)


@pytest.mark.parametrize(("a", "b", "c", "d"), list(itertools.product([False, True], repeat=4)))
def test_nested_all_and_any(a: bool, b: bool, c: bool, d: bool) -> None:
    context = {
        "turn_count": 2 if a else 1,
        "user_input": "x" if b else "y",
        "session": {"participant_count": 2 if c else 1},
        "last_tool_name": "scan" if d else "fit",
    }
    found = verdict([NESTED], context)
    assert (found is not None) is (a and (b or (c and d)))
    if found is not None:  # the reason names the conditions that held, along the branch taken
        assert "conversation_turn_count greater_than 1" in found.reason
        assert ("user_input contains 'x'" in found.reason) is b
        assert ("last_tool_name equal_to 'scan'" in found.reason) is (not b)


SEVERAL = [
    rule(leaf("user_input", "contains", "combat"), move(COMBAT, set_value("topic", "combat"))),
    rule(leaf("user_input", "contains", "market"), move(MARKET, set_value("topic", "market"))),
    rule(
        leaf("conversation_turn_count", "greater_than", 1),
        [set_value("returning", True), {"name": "log_transition", "params": {"message": "seen before"}}],
    ),
    rule(leaf("user_input", "contains", "pvp"), move(COMBAT, set_value("topic", "pvp"))),
]


@pytest.mark.parametrize(
    ("said", "turns", "reason_starts", "updates"),
    [
        ("combat", 1, "rule 1: ", {"topic": "combat"}),
        ("pvp", 1, "rule 4: ", {"topic": "pvp"}),
        ("combat and pvp", 2, "rule 1: ", {"topic": "pvp", "returning": True}),
        ("market", 1, None, None),  # moves elsewhere: not this edge
        ("market and combat", 1, "rule 1: ", {"topic": "combat"}),  # rule 2's update does not come along
        ("hello", 2, None, None),  # rule 3 moves nowhere on its own
    ],
)
def test_several_rules_on_one_transition(said: str, turns: int, reason_starts: str | None, updates: Any) -> None:
    found = verdict(SEVERAL, {"user_input": said, "turn_count": turns})
    if reason_starts is None:
        assert found is None
        return
    assert found is not None
    assert found.reason.startswith(reason_starts)
    assert dict(found.context_updates) == updates
    assert ("rule 3: conversation_turn_count greater_than 1" in found.reason) is (turns > 1)
    assert ("log: seen before" in found.reason) is (turns > 1)


def test_context_updates_reach_the_session_with_the_hand_over() -> None:
    pilot = Pilot(SEVERAL)
    pilot.step("say", "hello")
    pilot.step("say", "hello again")  # rule 3 holds, but alone it moves nothing and sets nothing
    assert pilot.agent == "General"
    assert "returning" not in pilot.session.get_context()
    result = pilot.send(EventType.USER_MESSAGE, message="pvp please")
    assert result.transitioned and pilot.agent == "Combat"
    context = pilot.session.get_context()
    assert (context["topic"], context["returning"]) == ("pvp", True)
    assert pilot.session.context.get_entry("topic").metadata == {"source": "transition 1"}  # type: ignore[union-attr]
    assert context["transitions"][-1]["reason"] == result.reason


def test_a_rule_set_stays_true_and_fires_on_a_later_event() -> None:
    """Rules read the context, not just the event: a rule made true earlier fires on the first event after the
    session reaches the agent whose transition it decides."""
    pilot = Pilot([rule(leaf("participant_count", "greater_than", 1), move(COMBAT))], source=MARKET)
    pilot.step("join", "a")
    pilot.step("join", "b")
    assert pilot.agent == "General"  # the rules belong to Market, not evaluated on General
    pilot.step("go", "Market")
    pilot.step("say", "hi")
    assert pilot.agent == "Combat"


# invalid rules ---------------------------------------------------------------------------------------------------
OK_LEAF = leaf("user_input", "contains", "combat")
INVALID: list[tuple[Any, str]] = [
    ("not a list", "rules: must be a list of rules, got str"),
    ([], "rules: a rule set needs at least one rule"),
    (["x"], "rule 1: must be an object with conditions and actions"),
    ([{"conditions": {"all": [OK_LEAF]}}], "rule 1: has no 'actions'"),
    ([rule({"all": [OK_LEAF]}, move(COMBAT)) | {"priority": 1}], "rule 1: unknown key 'priority'"),
    ([rule({"all": []}, move(COMBAT))], "rule 1, conditions: 'all' must be a non-empty list"),
    ([rule({"any": [OK_LEAF], "all": [OK_LEAF]}, move(COMBAT))], "rule 1, conditions: 'all' must be the only key"),
    ([rule({"all": [{"name": "user_input", "value": "x"}]}, move(COMBAT))], "rule 1, condition 1: missing 'operator'"),
    ([rule({"all": [OK_LEAF | {"extra": 1}]}, move(COMBAT))], "unknown key(s) 'extra'"),
    ([rule({"all": [leaf("mood", "contains", "x")]}, move(COMBAT))], "rule 1, condition 1: unknown variable 'mood'"),
    ([rule({"all": [leaf("__init__", "contains", "x")]}, move(COMBAT))], "unknown variable '__init__'"),
    ([rule({"all": [leaf("_context", "contains", "x")]}, move(COMBAT))], "unknown variable '_context'"),
    (
        [rule(OK_LEAF, move(COMBAT)), rule({"all": [leaf("user_input", "foo", "x")]}, move(COMBAT))],
        "rule 2, condition 1: unknown operator 'foo' for string variable user_input",
    ),
    (
        [rule({"all": [leaf("user_input", "does_not_contain", "x")]}, move(COMBAT))],
        "unknown operator 'does_not_contain' for string variable user_input",
    ),
    (
        [rule({"all": [leaf("user_input", "_assert_valid_value_and_cast", "x")]}, move(COMBAT))],
        "unknown operator '_assert_valid_value_and_cast'",
    ),
    (
        [rule({"any": [OK_LEAF, {"all": [leaf("conversation_turn_count", "contains", 2)]}]}, move(COMBAT))],
        "rule 1, condition 2.1: unknown operator 'contains' for numeric variable conversation_turn_count",
    ),
    ([rule(leaf("user_input", "contains", 5), move(COMBAT))], "rule 1, condition: user_input contains needs a string"),
    ([rule(leaf("user_input", "contains"), move(COMBAT))], "needs a string value, got NoneType"),
    ([rule(leaf("user_input", "matches_regex", "(unclosed"), move(COMBAT))], "is not a valid regex"),
    ([rule(leaf("conversation_turn_count", "greater_than", "5"), move(COMBAT))], "needs a finite number value"),
    ([rule(leaf("conversation_turn_count", "greater_than", True), move(COMBAT))], "needs a finite number value"),
    ([rule(leaf("conversation_turn_count", "greater_than", float("nan")), move(COMBAT))], "finite number"),
    ([rule(leaf("current_agent_type", "contains", "wizard"), move(COMBAT))], "'wizard' is not one of the options"),
    ([rule(leaf("last_event_type", "contains", ["user_message"]), move(COMBAT))], "needs one option as value"),
    ([rule(OK_LEAF, [])], "rule 1, actions: must be a non-empty list of actions"),
    ([rule(OK_LEAF, [{"name": "launch_missiles"}, *move(COMBAT)])], "rule 1, action 1: unknown action 'launch_missi"),
    ([rule(OK_LEAF, [{"name": "__init__"}, *move(COMBAT)])], "rule 1, action 1: unknown action '__init__'"),
    ([rule(OK_LEAF, [{"name": "next_agent_id"}, *move(COMBAT)])], "unknown action 'next_agent_id'"),
    ([rule(OK_LEAF, [{"name": "transition_to_agent", "params": {"agent": 2}}])], "has no parameter 'agent'"),
    ([rule(OK_LEAF, [{"name": "transition_to_agent"}])], "transition_to_agent needs parameter 'agent_id'"),
    ([rule(OK_LEAF, [{"name": "transition_to_agent", "params": [2]}])], "params must be an object"),
    ([rule(OK_LEAF, move("Combat"))], "transition_to_agent agent_id must be an agent id (an integer), got str"),
    ([rule(OK_LEAF, move(99))], "agent_id 99 is not an agent of conversation 'EVE'; its agents: 1 (General), 2"),
    ([rule(OK_LEAF, move(COMBAT, set_value(5, "x")))], "set_context_value key must be a non-empty string"),
    ([rule(OK_LEAF, move(COMBAT, set_value("turn_count", 0)))], "'turn_count' is a context field the orchestrator"),
    ([rule(OK_LEAF, move(COMBAT, set_value("when", {1, 2})))], "set_context_value value must be a JSON value"),
    (
        [rule(OK_LEAF, move(COMBAT, {"name": "log_transition", "params": {"message": ["x"]}}))],
        "log_transition message must be a string",
    ),
    ([rule(OK_LEAF, [*move(COMBAT), *move(MARKET)])], "more than one transition_to_agent"),
    ([rule(OK_LEAF, move(MARKET))], "no rule moves the session to agent 2 (Combat) with transition_to_agent"),
    ([rule(OK_LEAF, [set_value("topic", "x")])], "no rule moves the session to agent 2"),
]


@pytest.mark.parametrize(("rules", "message"), INVALID)
def test_each_kind_of_invalid_rule_is_a_clear_error(rules: Any, message: str) -> None:
    with pytest.raises(InvalidRulesError) as info:
        validate_rules(rules, SCOPE)
    assert message in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    rules = [rule(leaf("mood", "is", 1), move(99)), rule(leaf("user_input", "contains", 5), move(COMBAT))]
    with pytest.raises(InvalidRulesError) as info:
        validate_rules(rules, SCOPE)
    assert [(p.rule, p.part) for p in info.value.problems] == [(1, "condition"), (1, "action 1"), (2, "condition")]
    assert str(info.value).startswith("3 problems: rule 1, condition: unknown variable 'mood'")


def test_valid_rules_are_normalised() -> None:
    rules = [
        rule(
            {"all": [{"name": "is_first_turn", "operator": "is_true"}]},
            [{"name": "transition_to_agent", "params": {"agent_id": 2}}],
        )
    ]
    assert validate_rules(rules, SCOPE) == [
        {
            "conditions": {"all": [{"name": "is_first_turn", "operator": "is_true", "value": None}]},
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": 2}}],
        }
    ]


# storage ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def eve(db: Session) -> Iterator[tuple[Session, Any]]:
    built = build_graph(
        db,
        ["General", "Combat", "Market"],
        [
            ("General", "Combat", "event", {"event_type": "user_message"}, 10),
            ("General", "Market", "user_input", {"pattern": "isk"}, 5),
        ],
        name="EVE",
    )
    yield db, built


def _transitions(db: Session) -> list[Transition]:
    return list(db.scalars(select(Transition).order_by(Transition.id)))


def test_invalid_rules_store_nothing(eve: tuple[Session, Any]) -> None:
    db, built = eve
    first = _transitions(db)[0]
    bad = [rule(leaf("user_input", "contains", "combat"), move(built.agents["Combat"].id + 100))]
    with pytest.raises(InvalidRulesError, match="is not an agent of conversation 'EVE'"):
        create_business_rules_transition(db, first.id, bad)
    db.expire_all()
    assert db.scalars(select(BusinessRulesTransition)).all() == []
    assert _transitions(db)[0].condition_type == "event"

    good = [rule(leaf("user_input", "contains", "combat"), move(built.agents["Combat"].id))]
    create_business_rules_transition(db, first.id, good)
    with pytest.raises(InvalidRulesError, match="unknown operator 'foo'"):
        update_business_rules_transition(db, first.id, [rule(leaf("user_input", "foo", "x"), move(2))])
    db.expire_all()
    stored = get_business_rules_transition(db, first.id)
    assert stored is not None and stored.rules == good


def test_update_get_and_delete(eve: tuple[Session, Any]) -> None:
    db, built = eve
    combat, market = built.agents["Combat"].id, built.agents["Market"].id
    to_combat, to_market = _transitions(db)
    with pytest.raises(UnknownTransitionError):
        update_business_rules_transition(db, to_combat.id, [rule(OK_LEAF, move(combat))])
    with pytest.raises(UnknownTransitionError):
        create_business_rules_transition(db, 9999, [rule(OK_LEAF, move(combat))])
    assert get_business_rules_transition(db, to_combat.id) is None

    create_business_rules_transition(db, to_combat.id, [rule(OK_LEAF, move(combat))])
    again = [rule(leaf("user_input", "contains", "fight"), move(combat))]
    create_business_rules_transition(db, to_combat.id, again)  # creating again replaces
    updated = update_business_rules_transition(
        db, to_combat.id, [rule(leaf("user_input", "contains", "pew"), move(combat))]
    )
    assert db.scalars(select(BusinessRulesTransition)).all() == [updated]

    session = SessionManager(db).create_session("s", built.conversation.id, timestamp=START)
    session.process_event(EventData(type="user_message", timestamp=START, data={"message": "fight!"}))
    assert session.get_current_agent().name == "General"
    session.process_event(EventData(type="user_message", timestamp=START + 1, data={"message": "pew pew"}))
    assert session.get_current_agent().name == "Combat"

    create_business_rules_transition(db, to_market.id, [rule(OK_LEAF, move(market))])
    to_market.condition_type, to_market.condition_data = "user_input", {"pattern": "isk"}
    db.commit()
    general = built.agents["General"]
    assert len(general.outgoing_transitions) == 2
    assert delete_business_rules_transition(db, to_market.id)  # switched type: the transition stays
    assert to_market.business_rules is None
    assert delete_business_rules_transition(db, to_combat.id)  # a business_rules one goes with its rules
    assert not delete_business_rules_transition(db, to_combat.id)
    assert [t.id for t in general.outgoing_transitions] == [to_market.id]
    db.expire_all()
    assert [t.id for t in _transitions(db)] == [to_market.id]
    assert db.scalars(select(BusinessRulesTransition)).all() == []
    load_graph(db, built.conversation.id)  # still a valid graph


def test_rules_are_checked_against_every_conversation_holding_the_transition(db: Session) -> None:
    built = build_graph(db, ["General", "Combat", "Market"], [("General", "Combat", "event", {"event_type": "custom"})])
    general, combat, market = (built.agents[n] for n in ("General", "Combat", "Market"))
    db.add(Conversation(name="Combat only", initial_agent=general, agents=[general, combat]))
    db.commit()
    (transition,) = _transitions(db)
    two_rules = [rule(OK_LEAF, move(combat.id)), rule(leaf("user_input", "contains", "isk"), move(market.id))]
    with pytest.raises(InvalidRulesError, match=f"agent_id {market.id} is not an agent of conversation 'Combat only'"):
        create_business_rules_transition(db, transition.id, two_rules)
    create_business_rules_transition(db, transition.id, two_rules[:1])


def test_an_agent_in_no_conversation_must_exist(db: Session) -> None:
    a, b = Agent(name="A"), Agent(name="B")
    db.add_all([a, b])
    db.flush()
    transition = Transition(
        source_agent=a, target_agent=b, condition_type="event", condition_data={"event_type": "custom"}
    )
    db.add(transition)
    db.commit()
    with pytest.raises(InvalidRulesError, match="agent_id 999: there is no such agent"):
        create_business_rules_transition(db, transition.id, [rule(OK_LEAF, move(999))])
    create_business_rules_transition(db, transition.id, [rule(OK_LEAF, move(b.id))])


# the compiled graph ----------------------------------------------------------------------------------------------
def test_a_business_rules_transition_without_rules_is_refused_at_load(sqlite_db: Session) -> None:
    built = build_graph(sqlite_db, ["A", "B"], [("A", "B", "business_rules", {})])
    with pytest.raises(InvalidConditionError, match="needs a rule set"):
        load_graph(sqlite_db, built.conversation.id)


def test_bad_rules_that_reached_the_database_are_refused_at_load(sqlite_db: Session) -> None:
    built = build_graph(sqlite_db, ["A", "B"], [("A", "B", "business_rules", {})])
    (transition,) = _transitions(sqlite_db)
    sqlite_db.add(BusinessRulesTransition(transition=transition, rules=[rule(leaf("user_input", "foo", "x"), [])]))
    sqlite_db.commit()
    with pytest.raises(InvalidConditionError) as info:
        load_graph(sqlite_db, built.conversation.id)
    assert info.value.transition.startswith(f"transition {transition.id} (")
    assert "rule 1, condition: unknown operator 'foo'" in str(info.value)


def test_rules_are_never_read_from_the_database_per_event(db: Session) -> None:
    built = build_graph(db, ["General", "Combat"], [("General", "Combat", "event", {"event_type": "custom"})])
    (transition,) = _transitions(db)
    rules = [
        rule({"all": [leaf("conversation_turn_count", "greater_than", 2), OK_LEAF]}, move(built.agents["Combat"].id))
    ]
    create_business_rules_transition(db, transition.id, rules)
    session = SessionManager(db, durability="off").create_session("s", built.conversation.id, timestamp=START)
    statements: list[str] = []
    engine = db.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for n, text in enumerate(["hi", "hello", "combat now"]):
            session.process_event(EventData(type="user_message", timestamp=START + n, data={"message": text}))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert session.get_current_agent().name == "Combat"
    assert statements == []


# the brief's controller ------------------------------------------------------------------------------------------
def test_transition_controller_on_a_context_dict(db: Session) -> None:
    built = build_graph(
        db,
        ["General", "Combat", "Market"],
        [
            ("General", "Combat", "event", {"event_type": "custom"}, 1),
            ("General", "Market", "event", {"event_type": "custom"}, 5),
            ("General", "Market", "user_input", {"pattern": "combat"}, 50),
        ],
    )
    to_combat, to_market, _ = _transitions(db)
    combat, market, general = (built.agents[n].id for n in ("Combat", "Market", "General"))
    create_business_rules_transition(db, to_combat.id, [rule(OK_LEAF, move(combat, set_value("topic", "pvp")))])
    create_business_rules_transition(db, to_market.id, [rule(leaf("user_input", "contains", "isk"), move(market))])
    controller = TransitionController(db)

    assert controller.check_transitions(general, {"user_input": "I want combat"}) == {
        "next_agent_id": combat,
        "context_updates": {"topic": "pvp"},
        "transition_id": to_combat.id,
        "reason": "rule 1: user_input contains 'combat' (user_input='I want combat'), sets topic='pvp'",
    }
    both = controller.check_transitions(general, {"user_input": "combat for isk"})
    assert both is not None and both["next_agent_id"] == market  # priority 5 before 1; user_input edges ignored
    assert controller.check_transitions(general, {"user_input": "hello"}) is None
    assert controller.check_transitions(combat, {"user_input": "combat"}) is None
    with pytest.raises(UnknownAgentError):
        controller.check_transitions(999, {})

    session = SessionManager(db).create_session("s", built.conversation.id, timestamp=START)
    session.update_context({"user_input": "isk please"}, timestamp=START)  # a live session's context works too
    decision = controller.check_transitions(general, session.get_context())
    assert decision is not None and decision["next_agent_id"] == market


# the demo and the example ----------------------------------------------------------------------------------------
def test_demo_session_takes_the_business_rules_transition(tmp_path: Path) -> None:
    from rich.console import Console

    from rataura2.demo.run import run_demo

    turns = run_demo(f"sqlite:///{tmp_path / 'demo.db'}", console=Console(file=io.StringIO()))
    path = ["General", *(t.agent for t in turns if t.result.transitioned)]
    assert path == [
        "General",
        "Combat",
        "Market",
        "Industry",
        "General",
        "Market",
        "Industry",
        "General",
        "Exploration",
        "Support",
        "Farewell",
    ]
    (by_rules,) = [t.result for t in turns if t.result.reason.startswith("rule 1:")]
    assert "user_input contains_case_insensitive 'market'" in by_rules.reason
    assert "sets topic='market'" in by_rules.reason


def test_example_script_runs(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "business_rules_example.py"), str(tmp_path / "example.db")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "transition 1 is now 'business_rules'" in out
    assert "refused: 2 problems: rule 1, condition 1: unknown operator 'foo'" in out
    assert "-> Combat Agent: rule 1: user_input contains 'combat'" in out
    assert "pilot-2 context: topic='market', returning=True" in out
    assert "controller: {'next_agent_id': 2" in out
    assert "round trip through JSON: True" in out
