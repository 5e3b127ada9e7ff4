"""Property-based tests (hypothesis, bounded to a few seconds) of the event path and of the validators of rules, CEL
expressions, regexes and triggers: whatever comes in is either refused with a ``ValueError`` subclass that names
what is wrong, with nothing changed, or accepted, and then it runs without surprises."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rataura2.core.conditions import ConditionInput, validate_condition_data
from rataura2.core.conditions.business_rules import BusinessRulesCondition, scope_of
from rataura2.core.conditions.rules_validation import validate_rules
from rataura2.core.conditions.rules_vocabulary import ACTIONS, OPERATORS, VARIABLES
from rataura2.core.context import SessionContext
from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.errors import CelEvaluationError, InvalidConditionError, InvalidEventError, InvalidRulesError
from rataura2.vocabulary.events import EventType

BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AGENTS = {1: AgentSpec(1, "Triage"), 2: AgentSpec(2, "Billing"), 3: AgentSpec(3, "FAQ")}
REFUND = (
    {
        "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": "refund"}]},
        "actions": [{"name": "transition_to_agent", "params": {"agent_id": 2}}],
    },
)
GRAPH = CompiledGraph(
    GraphSpec(
        1,
        "Support",
        1,
        AGENTS,
        (
            TransitionSpec(1, 1, 2, "business_rules", {}, rules=REFUND),
            TransitionSpec(2, 2, 1, "custom", {"condition_code": 'context.user_input.contains("thanks")'}),
            TransitionSpec(3, 1, 3, "user_input", {"pattern": r"\bfaq\b", "match": "regex"}),
            TransitionSpec(4, 3, 1, "event", {"event_type": "custom", "event_data": {"back": True}}),
            TransitionSpec(
                5, 2, 3, "custom", {"condition_code": "context.plan.tier == 'gold'", "triggers": ["custom"]}
            ),
        ),
    )
)

json_leaf = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
odd = st.sampled_from([float("nan"), float("inf"), {1, 2}, b"bytes", object()])
words = st.sampled_from(["thanks", "refund", "faq", "gold", "hello", "", "THANKS a lot, refund?"])


@st.composite
def raw_events(draw: st.DrawFn) -> dict[str, Any]:
    """Events as a client might send them: mostly well formed, sometimes not in one field or another."""
    kind = draw(
        st.sampled_from([t.value for t in EventType] + [t.name for t in EventType])
        | st.text(max_size=8)
        | st.integers()
    )
    data: Any = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "message": words | st.text(max_size=30),
                "tool_name": st.sampled_from(["lookup", "x"]),
                "result": json_value,
                "is_error": st.booleans(),
                "back": st.booleans(),
                "to_agent_id": st.sampled_from([1, 2, 3, 99, "FAQ", "Nobody", True]),
                "context_updates": st.dictionaries(
                    st.sampled_from(["plan", "vip", "turn_count", "current_agent_id", "hand_overs_this_turn", "x"]),
                    json_value | st.just({"tier": "gold"}),
                    max_size=3,
                )
                | json_value,
                "scope": st.sampled_from(["session", "agent", "turn", "forever", 3]),
                "ttl": st.sampled_from([None, 5, 0, -1, "soon", True]),
                "participant_id": st.text(max_size=5),
            },
        )
        | json_value
        | odd
    )
    event: dict[str, Any] = {
        "type": kind,
        "timestamp": draw(st.floats(0, 1e9) | st.integers(0, 10**9) | odd | st.booleans() | st.text(max_size=3)),
        "data": data,
        "source": draw(st.sampled_from(["user", "api", "agent", "livekit.x", "orchestrator", "", 7])),
    }
    if draw(st.booleans()):
        event["id"] = draw(st.text(max_size=6) | st.integers())
    if draw(st.integers(0, 20)) == 0:
        event["colour"] = "red"
    return event


@BOUNDED
@given(st.lists(raw_events(), min_size=1, max_size=12))
def test_the_event_path_refuses_with_a_named_field_and_changes_nothing_or_accepts(events: list[dict[str, Any]]) -> None:
    orchestrator = AgentOrchestrator("prop", GRAPH)
    orchestrator.process_event({"type": "session_created", "timestamp": 1.0, "source": "session_manager"})
    for raw in events:
        before = orchestrator.context.to_state(), orchestrator.current_agent_id, orchestrator.ended
        try:
            result = orchestrator.process_event(raw)
        except ValueError as exc:
            after = orchestrator.context.to_state(), orchestrator.current_agent_id, orchestrator.ended
            assert after == before, f"{raw!r} was refused ({exc}) but changed the session"
            if isinstance(exc, InvalidEventError):
                assert exc.field and exc.field.split(".")[0] in str(exc), exc
            else:
                assert str(exc), type(exc)
            continue
        context = orchestrator.get_context()
        assert context["hand_overs_this_turn"] <= orchestrator.max_transitions_per_turn
        assert orchestrator.current_agent_id in AGENTS
        assert context["current_agent_id"] == orchestrator.current_agent_id
        assert result.status.value in ("success", "no_transition", "error")
        if raw.get("type") in ("tool_result", "TOOL_RESULT") and isinstance(raw.get("data"), dict):
            failed = raw["data"].get("is_error") is True
            name = str(raw["data"].get("tool_name", ""))
            assert (name in context["tool_errors"]) or not failed


names = st.sampled_from(sorted(VARIABLES)) | st.text(max_size=6)
operators = st.sampled_from(sorted({op for ops in OPERATORS.values() for op in ops})) | st.text(max_size=6)
regexes = st.sampled_from(["(a+)+$", r"(\w)\1", "[", "ref(und|und)", r"(?=x)", "^$", "a{1000}"]) | st.text(
    string.printable, max_size=8
)
values = json_value | regexes | st.lists(st.sampled_from(["question", "command", "nope"]), max_size=2)


@st.composite
def leaves(draw: st.DrawFn) -> dict[str, Any]:
    leaf: dict[str, Any] = {"name": draw(names), "operator": draw(operators)}
    if draw(st.booleans()):
        leaf["value"] = draw(values)
    return leaf


conditions = st.recursive(
    leaves() | json_leaf,
    lambda inner: (
        st.fixed_dictionaries({"all": st.lists(inner, max_size=3)})
        | st.fixed_dictionaries({"any": st.lists(inner, max_size=3)})
    ),
    max_leaves=5,
)
actions = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(sorted(ACTIONS)) | st.text(max_size=5)},
        optional={
            "params": st.fixed_dictionaries(
                {},
                optional={
                    "agent_id": st.sampled_from([1, 2, 3, 99, "2", True]),
                    "key": st.sampled_from(["topic", "", "turn_count"]),
                    "value": json_value,
                    "message": st.text(max_size=5) | st.integers(),
                },
            )
        },
    ),
    max_size=3,
)
rule_sets = st.lists(st.fixed_dictionaries({"conditions": conditions, "actions": actions}), max_size=3) | json_value


@BOUNDED
@given(rule_sets, st.lists(words | st.text(max_size=40), min_size=1, max_size=4))
def test_rules_are_refused_naming_each_problem_or_run(rules: Any, said: list[str]) -> None:
    scope = scope_of(GRAPH.spec, 2)
    try:
        validate_rules(rules, scope)
    except InvalidRulesError as exc:
        assert isinstance(exc, ValueError) and exc.problems
        for problem in exc.problems:
            where = str(problem)
            assert where.startswith(("rule ", "rules")), where
        return
    condition = BusinessRulesCondition.from_rules(rules, 2, scope, GRAPH.spec)
    orchestrator = AgentOrchestrator("rules", GRAPH)
    for text in said:
        event = EventData(type="user_message", timestamp=2.0, data={"message": text})
        orchestrator.context.set("user_input", text)
        verdict = condition.evaluate(ConditionInput(event, orchestrator.context))  # never raises
        assert verdict is None or verdict.reason.startswith("rule ")


atoms = st.sampled_from(
    [
        "context.user_input",
        "context.turn_count",
        "context.plan",
        "context.plan.tier",
        "context['vip']",
        "event.data.message",
        "event.type",
        "has(context.vip)",
        "1",
        "2.5",
        "'gold'",
        "true",
        "[1, 2]",
        "{'a': 1}",
        "os.name",
        "foo(1)",
        "size(context.user_input)",
        'context.user_input.matches("(a+)+$")',
        'context.user_input.matches("(\\\\w)\\\\1")',
        "context.events.exists(e, e.type == 'custom')",
    ]
)
expressions = st.recursive(
    atoms,
    lambda inner: (
        st.tuples(inner, st.sampled_from([" == ", " && ", " || ", " > ", " + ", ".contains(", " in "]), inner).map(
            lambda t: f"{t[0]}{t[1]}{t[2]}{')' if t[1].endswith('(') else ''}"
        )
        | inner.map(lambda e: f"!({e})")
    ),
    max_leaves=4,
) | st.text(string.printable, max_size=15)


@BOUNDED
@given(expressions, words)
def test_cel_is_refused_naming_the_field_or_evaluates_to_a_verdict(code: str, said: str) -> None:
    data = {"condition_code": code}
    try:
        validate_condition_data("custom", data, label="transition 9 (A -> B, custom)")
    except InvalidConditionError as exc:
        assert isinstance(exc, ValueError)
        assert exc.transition == "transition 9 (A -> B, custom)" and "condition_code" in str(exc)
        return
    spec = GraphSpec(
        1, "g", 1, {1: AgentSpec(1, "A"), 2: AgentSpec(2, "B")}, (TransitionSpec(9, 1, 2, "custom", data),)
    )
    condition = CompiledGraph(spec).get_agent_transitions(1)[0].condition
    context = SessionContext({"user_input": said, "turn_count": 1, "plan": {"tier": "gold"}})
    event = EventData(type="user_message", timestamp=1.0, data={"message": said})
    try:
        verdict = condition.evaluate(ConditionInput(event, context))
    except CelEvaluationError:  # counts as false and is reported (a type mismatch, a non-bool result)
        return
    assert verdict is None or repr(code) in verdict.reason


@BOUNDED
@given(regexes, st.text(max_size=200) | st.just("a" * 30 + "!"))
def test_regexes_are_refused_naming_the_pattern_or_match_in_linear_time(pattern: str, text: str) -> None:
    for kind, data in (
        ("user_input", {"pattern": pattern, "match": "regex"}),
        ("tool_result", {"tool_name": "t", "operator": "regex", "expected_value": pattern}),
    ):
        try:
            validate_condition_data(kind, data, label="transition 1")
        except InvalidConditionError as exc:
            assert "RE2" in str(exc) or "pattern" in str(exc), exc
            continue
    rules = [
        {
            "conditions": {"name": "user_input", "operator": "matches_regex", "value": pattern},
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": 2}}],
        }
    ]
    try:
        validate_rules(rules)
    except InvalidRulesError as exc:
        assert exc.problems[0].rule == 1 and "matches_regex" in str(exc)
        return
    condition = BusinessRulesCondition.from_rules(rules, 2, scope_of(GRAPH.spec, 2), GRAPH.spec)
    context = SessionContext({"user_input": text})
    condition.evaluate(ConditionInput(None, context))


@BOUNDED
@given(
    st.lists(
        st.sampled_from([t.value for t in EventType] + ["context_update", "USER_LEFT"])
        | st.text(max_size=6)
        | st.integers(),
        max_size=4,
    )
    | json_value
)
def test_triggers_are_refused_naming_them_or_accepted(triggers: Any) -> None:
    data = {"condition_code": "true", "triggers": triggers}
    try:
        validate_condition_data("custom", data, label="t")
    except InvalidConditionError as exc:
        assert "triggers" in str(exc), exc
        return
    assert triggers is None or (isinstance(triggers, list) and triggers and "transition" not in triggers)
