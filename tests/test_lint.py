"""Lint: each kind of mistake in a graph made for it, and nothing in the demo."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec
from rataura2.lint import Finding, LintReport, Severity, lint_graph

T = tuple[int, int, str, dict[str, Any]] | tuple[int, int, str, dict[str, Any], dict[str, Any]]


def graph(
    names: list[str],
    transitions: list[T],
    *,
    tools: dict[str, list[str]] | None = None,
    instructions: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    initial: int = 1,
) -> GraphSpec:
    """Agents 1..n named ``names``; transitions (source, target, type, data[, extra TransitionSpec fields]) with ids
    1..m; ``tools`` maps an agent name to its tools' names."""
    tool_ids: dict[str, int] = {}
    for wanted in (tools or {}).values():
        for name in wanted:
            tool_ids.setdefault(name, len(tool_ids) + 1)
    agents = {
        i: AgentSpec(
            i,
            name,
            instructions=(instructions or {}).get(name, f"You are {name}."),
            tool_ids=tuple(tool_ids[t] for t in (tools or {}).get(name, [])),
        )
        for i, name in enumerate(names, start=1)
    }
    specs = tuple(
        TransitionSpec(n, t[0], t[1], t[2], t[3], **(t[4] if len(t) > 4 else {}))  # type: ignore[misc]
        for n, t in enumerate(transitions, start=1)
    )
    return GraphSpec(
        1,
        "test",
        initial,
        agents,
        specs,
        tools={i: ToolSpec(i, n, n) for n, i in tool_ids.items()},
        config=config or {},
    )


def codes(report: LintReport) -> list[tuple[str, tuple[int, ...]]]:
    return [(f.code, f.transition_ids or f.agent_ids) for f in report.findings]


def only(report: LintReport, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, codes(report)
    return found[0]


SAYS = "user_input"


def test_a_clean_graph_has_no_findings() -> None:
    report = lint_graph(graph(["A", "B"], [(1, 2, SAYS, {"pattern": "b"}), (2, 1, SAYS, {"pattern": "a"})]))
    assert report.findings == () and not report.failed(strict=True)


def test_unreachable_agent() -> None:
    report = lint_graph(
        graph(
            ["A", "B", "Orphan"],
            [(1, 2, SAYS, {"pattern": "b"}), (2, 1, SAYS, {"pattern": "a"}), (3, 1, SAYS, {"pattern": "x"})],
        )
    )
    finding = only(report, "unreachable_agent")
    assert finding.agent_ids == (3,) and "Orphan cannot be reached from the initial agent A" in finding.message
    assert finding.severity is Severity.WARNING and finding.hint


def test_dead_end_but_not_a_closing_agent_nor_a_lone_agent() -> None:
    report = lint_graph(
        graph(
            ["A", "Stuck", "Ruled"],
            [(1, 2, SAYS, {"pattern": "b"}), (1, 3, "custom", {"condition_code": "context.turn_count > 3"})],
        )
    )
    assert codes(report) == [("dead_end", (2,)), ("dead_end", (3,))]  # a state condition can hold on any event
    assert "Stuck has no way out" in report.findings[0].message
    closing = graph(
        ["A", "Farewell"],
        [
            (1, 2, "livekit_event", {"event_name": "participant_disconnected"}),
            (1, 2, "event", {"event_type": "user_left"}),
        ],
    )
    assert lint_graph(closing).findings == ()
    assert lint_graph(graph(["Alone"], [])).findings == ()


def flowing(item: Any, **extra: Any) -> Any:
    """``item`` (an AgentSpec or GraphSpec) with the flow-design fields ``extra`` (enter/exit actions, role
    instructions, conversation tools): set as they are when the spec has them, else on a subclass that does."""
    cls = type(item)
    names = {f.name for f in dataclasses.fields(cls)}
    if set(extra) <= names:
        return dataclasses.replace(item, **extra)
    flow = type(f"Flow{cls.__name__}", (cls,), {"__slots__": tuple(set(extra) - names)})
    made = flow(**{name: getattr(item, name) for name in names})
    for key, value in extra.items():
        object.__setattr__(made, key, value)
    return made


def test_enter_actions_end_the_conversation_hand_over_and_set_keys() -> None:
    spec = graph(
        ["A", "Goodbye", "Check", "Billing"],
        [
            (1, 2, SAYS, {"pattern": "bye"}),
            (1, 3, SAYS, {"pattern": "check"}),
            (4, 1, "custom", {"condition_code": "context.checked == true"}),
        ],
    )
    agents = dict(spec.agents)
    agents[2] = flowing(agents[2], on_enter=({"type": "say", "text": "Bye!"}, {"type": "end_conversation"}))
    agents[3] = flowing(
        agents[3],
        on_enter=(
            {"type": "set_context", "values": {"checked": True}},
            {"type": "handover", "agent": "Billing"},
        ),
    )
    spec = dataclasses.replace(spec, agents=agents)
    assert lint_graph(spec).findings == ()  # Billing is reached by Check's hand-over, which also sets "checked"


def test_actions_the_graph_cannot_run_are_errors() -> None:
    """Saving refuses them; rows written around the ORM (raw SQL, an old import) can still hold them."""
    spec = graph(["A", "B"], [(1, 2, SAYS, {"pattern": "b"})])
    agents = dict(spec.agents)
    agents[2] = flowing(agents[2], on_enter=({"type": "handover", "agent": "Nowhere"},))
    report = lint_graph(dataclasses.replace(spec, agents=agents))
    (error,) = report.errors
    assert (error.code, error.agent_ids) == ("invalid_flow", (2,))
    assert "on_enter[0]" in error.message and "Nowhere" in error.message


def test_templates_in_what_actions_say_and_in_the_role_instructions() -> None:
    spec = graph(["A", "B"], [(1, 2, SAYS, {"pattern": "b"}), (2, 1, SAYS, {"pattern": "a"})])
    agents = dict(spec.agents)
    agents[2] = flowing(agents[2], on_enter=({"type": "say", "text": "Welcome back {{ pilot }}"},))
    spec = flowing(dataclasses.replace(spec, agents=agents), role_instructions="You serve {{ corp }}. {% if x %}")
    report = lint_graph(spec)
    assert [(f.code, f.agent_ids) for f in report.findings] == [
        ("invalid_template", ()),
        ("unknown_template_value", (2,)),
    ]
    assert report.findings[0].message.startswith("the conversation's role instructions template does not parse")
    assert report.findings[1].message.startswith("B's on_enter[0].text template names 'pilot'")


def test_conversation_tools_are_every_agent_s() -> None:
    spec = graph(
        ["A", "B"],
        [(1, 2, "tool_result", {"tool_name": "lookup"}), (2, 1, SAYS, {"pattern": "a"})],
        tools={"B": ["lookup"]},
    )
    assert [f.code for f in lint_graph(spec).findings] == ["tool_not_offered"]
    assert lint_graph(flowing(spec, tool_ids=(1,))).findings == ()


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"pattern": "combat"}, {"pattern": "combat advice"}),
        ({"pattern": "Combat"}, {"pattern": "I want COMBAT", "match": "exact"}),
        ({"pattern": "help", "match": "startswith"}, {"pattern": "help me", "match": "startswith"}),
        ({"pattern": r"\bpvp\b", "match": "regex"}, {"pattern": r"\bpvp\b", "match": "regex"}),
    ],
)
def test_a_pattern_checked_first_that_always_matches_shadows_the_later_one(
    first: dict[str, Any], then: dict[str, Any]
) -> None:
    report = lint_graph(
        graph(
            ["A", "B", "C"],
            [
                (1, 2, SAYS, first, {"priority": 10}),
                (1, 3, SAYS, then),
                (2, 1, SAYS, {"pattern": "x"}),
                (3, 1, SAYS, {"pattern": "x"}),
            ],
        )
    )
    finding = report.findings[0]
    assert len(report.findings) == 1 and finding.transition_ids == (1, 2)
    assert finding.code in ("shadowed_transition", "conflicting_condition")
    assert "transition 2 (A -> C, user_input)" in finding.message


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"pattern": "combat advice"}, {"pattern": "combat"}),  # narrower first: fine
        ({"pattern": "combat", "case_sensitive": True}, {"pattern": "combat advice"}),  # case matters to the first
        ({"pattern": "combat", "match": "exact"}, {"pattern": "combat"}),
        ({"pattern": "comb.t", "match": "regex"}, {"pattern": "combat"}),  # regexes: not decided
    ],
)
def test_patterns_that_do_not_always_shadow_are_not_reported(first: dict[str, Any], then: dict[str, Any]) -> None:
    spec = graph(
        ["A", "B", "C"],
        [
            (1, 2, SAYS, first, {"priority": 10}),
            (1, 3, SAYS, then),
            (2, 1, SAYS, {"pattern": "x"}),
            (3, 1, SAYS, {"pattern": "x"}),
        ],
    )
    assert lint_graph(spec).findings == ()


def test_shadowing_by_tool_thresholds_event_data_and_an_expression_that_is_always_true() -> None:
    fit = {"tool_name": "fit", "result_key": "cost"}
    spec = graph(
        ["A", "B", "C"],
        [
            (1, 2, "tool_result", {**fit, "operator": "gte", "expected_value": 1_000_000}, {"priority": 5}),
            (1, 3, "tool_result", {**fit, "operator": "gt", "expected_value": 2_000_000}),
            (1, 3, "tool_result", {**fit, "operator": "lt", "expected_value": 10}),  # not implied: fine
            (1, 2, "event", {"event_type": "custom", "event_data": {"kind": "scan"}}, {"priority": 5}),
            (1, 3, "event", {"event_type": "custom", "event_data": {"kind": "scan", "site": "wormhole"}}),
            (2, 1, "custom", {"condition_code": "true"}, {"priority": 9}),
            (2, 3, SAYS, {"pattern": "anything"}),
            (3, 1, SAYS, {"pattern": "x"}),
        ],
        tools={"A": ["fit"]},
    )
    found = {f.transition_ids: f.code for f in lint_graph(spec).findings}
    assert found == {(1, 2): "shadowed_transition", (4, 5): "shadowed_transition", (6, 7): "shadowed_transition"}


def test_duplicate_and_conflicting_conditions() -> None:
    spec = graph(
        ["A", "B", "C"],
        [
            (1, 2, SAYS, {"pattern": "trade"}),
            (1, 2, SAYS, {"pattern": "Trade", "match": "contains"}),
            (1, 3, "agent_decision", {"expected_value": "shop"}, {"description": "d"}),
            (1, 2, "agent_decision", {"expected_value": "shop"}, {"description": "d"}),
            (2, 1, SAYS, {"pattern": "x"}),
            (3, 1, SAYS, {"pattern": "x"}),
        ],
    )
    report = lint_graph(spec)
    assert codes(report) == [("duplicate_condition", (1, 2))]  # decisions name their own targets: no conflict
    conflicting = graph(
        ["A", "B", "C"],
        [
            (1, 2, SAYS, {"pattern": "trade"}),
            (1, 3, SAYS, {"pattern": "TRADE"}),
            (2, 1, SAYS, {"pattern": "x"}),
            (3, 1, SAYS, {"pattern": "x"}),
        ],
    )
    finding = only(lint_graph(conflicting), "conflicting_condition")
    assert "always goes to B, never to C" in finding.message


def test_unknown_tools_are_errors() -> None:
    spec = graph(
        ["A", "B"],
        [
            (1, 2, "tool_result", {"tool_name": "fit_shp", "operator": "exists"}),
            (1, 2, "tool_result", {"tool_id": 42}),
            (2, 1, SAYS, {"pattern": "x"}),
        ],
        tools={"A": ["fit_ship"]},
    )
    report = lint_graph(spec)
    assert codes(report) == [("unknown_tool", (1,)), ("unknown_tool", (2,))]
    assert all(f.severity is Severity.ERROR for f in report.findings) and report.failed()
    assert "'fit_shp'" in report.findings[0].message and "fit_ship" in report.findings[0].hint


def test_a_tool_the_source_agent_does_not_have() -> None:
    spec = graph(
        ["A", "B"],
        [(1, 2, "tool_result", {"tool_name": "price"}), (2, 1, SAYS, {"pattern": "x"})],
        tools={"B": ["price"]},
    )
    assert codes(lint_graph(spec)) == [("tool_not_offered", (1,))]


def test_missing_and_invalid_rule_sets_and_broken_conditions_are_errors() -> None:
    bad_rules = [{"conditions": {"all": [{"name": "nope", "operator": "equal_to", "value": 1}]}, "actions": []}]
    spec = graph(
        ["A", "B"],
        [
            (1, 2, "business_rules", {}),
            (1, 2, "business_rules", {}, {"rules": tuple(bad_rules)}),
            (1, 2, SAYS, {"pattern": "(", "match": "regex"}),
            (2, 1, SAYS, {"pattern": "x"}),
        ],
    )
    report = lint_graph(spec)
    assert codes(report) == [("invalid_condition", (3,)), ("invalid_rules", (2,)), ("missing_rules", (1,))]
    assert "nope" in report.findings[1].message and "RE2" in report.findings[0].message


def test_no_initial_agent_and_edges_leaving_the_conversation() -> None:
    spec = graph(["A", "B"], [(1, 2, SAYS, {"pattern": "b"}), (2, 9, SAYS, {"pattern": "x"})], initial=7)
    assert [f.code for f in lint_graph(spec).errors] == ["no_initial_agent", "outside_agent"]


def test_cel_reading_keys_nothing_sets() -> None:
    rules = (
        {
            "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": "vip"}]},
            "actions": [
                {"name": "set_context_value", "params": {"key": "tier", "value": "gold"}},
                {"name": "transition_to_agent", "params": {"agent_id": 3}},
            ],
        },
    )
    spec = graph(
        ["A", "B", "C"],
        [
            (1, 2, "custom", {"condition_code": "context.vip == true && context.turn_count > 1"}),
            (1, 3, "custom", {"condition_code": 'has(context.vip) && context.vip && context.tier == "gold"'}),
            (1, 3, "business_rules", {}, {"rules": rules}),
            (2, 1, "custom", {"condition_code": "context.loyalty > 3"}),
            (3, 1, SAYS, {"pattern": "x"}),
        ],
    )
    report = lint_graph(spec).without(["bouncing_cycle"])
    assert codes(report) == [("unset_context_key", (1,)), ("unset_context_key", (4,))]
    assert "context.vip" in report.findings[0].message and "has(context.vip)" in report.findings[0].hint
    declared = GraphSpec(
        **{
            **{f: getattr(spec, f) for f in GraphSpec.__dataclass_fields__},
            "config": {"context_keys": ["vip", "loyalty"]},
        }
    )
    assert lint_graph(declared).without(["bouncing_cycle"]).findings == ()


def test_cel_reading_the_whole_context() -> None:
    spec = graph(
        ["A", "B"],
        [
            (1, 2, "custom", {"condition_code": '"vip" in context && context.vip == true'}),
            (1, 2, "custom", {"condition_code": "has(context.vip) && context.vip == true", "triggers": ["custom"]}),
            (2, 1, SAYS, {"pattern": "x"}),
        ],
        config={"context_keys": ["vip"]},
    )
    report = lint_graph(spec).without(["bouncing_cycle", "duplicate_condition"])
    assert codes(report) == [("whole_context_read", (1,))]
    assert "takes in every value and the whole history" in report.findings[0].message
    assert "context.vip, has(context.vip)" in report.findings[0].hint


def test_templates_naming_values_nothing_sets_and_broken_templates() -> None:
    spec = graph(
        ["A", "B", "C"],
        [
            (1, 2, SAYS, {"pattern": "b"}),
            (1, 3, SAYS, {"pattern": "c"}),
            (2, 1, SAYS, {"pattern": "x"}),
            (3, 1, SAYS, {"pattern": "x"}),
        ],
        instructions={
            "A": "Greet {{ pilot_name }}; they said {{ user_input }} after {{ context.turn_count }} turns.",
            "B": "{% if corp %}Member of {{ corp }}.{% endif %} Ship: {{ context.ship | default('none') }}",
            "C": "Hello {{ name",
        },
    )
    report = lint_graph(spec)
    assert codes(report) == [("invalid_template", (3,)), ("unknown_template_value", (1,))]
    assert "'pilot_name'" in report.findings[1].message


def test_state_conditions_that_can_bounce() -> None:
    spec = graph(
        ["A", "B", "C"],
        [
            (1, 2, "custom", {"condition_code": "context.turn_count > 1"}),
            (2, 1, "custom", {"condition_code": "context.turn_count > 2"}),
            (2, 3, SAYS, {"pattern": "c"}),
            (3, 2, "custom", {"condition_code": "context.turn_count > 0"}),
        ],
    )
    finding = only(lint_graph(spec), "bouncing_cycle")
    assert finding.transition_ids == (1, 2) and "A -> B -> A" in finding.message


def test_decisions_without_description() -> None:
    spec = graph(
        ["A", "B"],
        [(1, 2, "agent_decision", {}), (2, 1, "agent_decision", {}, {"description": "Back to the start."})],
    )
    finding = only(lint_graph(spec), "undescribed_decision")
    assert finding.transition_ids == (1,) and "hand over to B" in finding.message


def test_tool_names_repeated_and_edges_to_agents_in_no_conversation_with_their_source() -> None:
    spec = graph(["A", "B"], [(1, 2, SAYS, {"pattern": "b"}), (2, 1, SAYS, {"pattern": "a"})])
    tools = {1: ToolSpec(1, "fit", "fit"), 2: ToolSpec(2, "fit", "fit_v2")}
    agents = {1: AgentSpec(1, "A", tool_ids=(1,)), 2: AgentSpec(2, "B", tool_ids=(2,))}
    twice = GraphSpec(1, "test", 1, agents, spec.transitions, tools=tools)
    stray = (TransitionSpec(9, 2, 77, SAYS, {"pattern": "x"}), "Elsewhere")
    report = lint_graph(twice, strays=[stray])
    assert codes(report) == [("duplicate_tool_name", ()), ("outside_agent", (9,))]
    assert "2 tools named 'fit'" in report.findings[0].message
    assert "it leads to Elsewhere, which is not an agent of conversation 'test'" in report.findings[1].message
    assert report.findings[1].hint.startswith("add Elsewhere to the conversation's agents")
