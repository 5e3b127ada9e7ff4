"""Hostile definitions (issue 15, cases 1 and 10): refused at save with an error naming the transition, or bounded
at evaluation, never a crash, a stall or a RecursionError; the process and the session go on."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from sqlalchemy.orm import Session

from rataura2.core.conditions.expressions import compile_cel
from rataura2.core.events import EventData
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.models import Transition
from rataura2.errors import InvalidConditionError, InvalidRulesError, RatauraError
from rataura2.rules.editor import json_to_rules
from rataura2.rules.repository import create_business_rules_transition
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.limits import CEL_MAX_STEPS, RULES_MAX_DEPTH
from tests.builders import build_graph

_clock = itertools.count(1)


def _nested(depth: int) -> str:
    code = "x0 > 0"
    for level in range(depth, 0, -1):
        code = f"context.items.exists(x{level}, {code.replace('x0', f'x{level}')})"
    return code


HOSTILE_CEL = {
    "a chain of 15,000 additions (segfaulted on first evaluation)": "1 + " * 15000 + "1 == 2",
    "a chain of 30,000 additions (segfaulted while saving)": "1 + " * 30000,
    "100,000 open brackets (a pyo3 PanicException)": "(" * 100000,
    "300 nested brackets": "(" * 300 + "true" + ")" * 300,
    "6 nested comprehensions (7 s per event)": _nested(6),
    "5 comprehensions in a row": " && ".join(["context.items.all(x, x > 0)"] * 5),
    "a binding of context": "context.items.all(context, context > 0)",
    "an unterminated string": 'context.user_input == "abc',
    "an unknown variable named in a string's .map(name, (case 10)": 'name == ".map(name, 1)"',
    "an unknown variable, a raw string with a backslash": r'r"\" == name',
}


def _save(db: Session, kind: str, data: dict[str, Any]) -> Transition:
    graph = build_graph(db, ["A", "B"], [])
    row = Transition(
        source_agent=graph.agents["A"], target_agent=graph.agents["B"], condition_type=kind, condition_data=data
    )
    db.add(row)
    return row


@pytest.mark.parametrize("code", HOSTILE_CEL.values(), ids=HOSTILE_CEL.keys())
def test_a_hostile_cel_expression_is_refused_when_saved(sqlite_db: Session, code: str) -> None:
    _save(sqlite_db, "custom", {"condition_code": code})
    with pytest.raises(InvalidConditionError) as info:
        sqlite_db.commit()
    assert "A -> B" in info.value.transition
    assert "CEL expression" in str(info.value)
    sqlite_db.rollback()
    assert sqlite_db.query(Transition).count() == 0


@pytest.mark.parametrize("code", HOSTILE_CEL.values(), ids=HOSTILE_CEL.keys())
def test_compiling_a_hostile_expression_raises_a_value_error_only(code: str) -> None:
    with pytest.raises(ValueError):  # never a BaseException (pyo3's PanicException), never a dead process
        compile_cel(code)


def test_case_10_a_comprehension_variable_really_bound_is_accepted() -> None:
    program, shape = compile_cel('context.items.map(name, name + 1).exists(n, n == 2) && "x.map(y, 1)" != ""')
    assert shape.bound == {"name", "n"}
    assert program is not None


def _live(db: Session, code: str) -> AgentOrchestrator:
    graph = build_graph(db, ["A", "B"], [("A", "B", "custom", {"condition_code": code})])
    return SessionManager(db).create_session("s", graph.conversation.id, timestamp=1.0)


ACCEPTED_BUT_COSTLY = {
    "nested comprehensions over 3,000 items": "context.items.exists(x, context.items.exists(y, x + y < 0))",
    "a map over 5,000 items (the engine copies its result each step)": "context.items.map(x, x * 2).size() < 0",
    "a filter over 5,000 items": "context.items.filter(x, x >= 0).size() < 0",
    "concatenations of a large list": "size(context.items + context.items + context.items + context.items) < 0",
    "a body re-reading a large list at each step": "!context.items.all(x, x in context.items)",
}


@pytest.mark.parametrize("code", ACCEPTED_BUT_COSTLY.values(), ids=ACCEPTED_BUT_COSTLY.keys())
def test_an_accepted_expression_is_bounded_at_evaluation(sqlite_db: Session, code: str) -> None:
    orchestrator = _live(sqlite_db, code)
    items = list(range(5000))
    started = time.perf_counter()
    result = orchestrator.update_context(items=items, timestamp=2.0)
    elapsed = time.perf_counter() - started
    print(f"{code}: {elapsed * 1000:.1f} ms")
    assert result.status.value == "error"
    assert "stopped at its cost limit" in result.reason  # stopped by the counter, after a bounded amount of work
    assert elapsed < 2.0  # a loose bound on a shared machine; unbounded, each of these takes seconds to minutes
    # the session goes on: the next event is processed, the expression is simply false on this context
    orchestrator.update_context(items=[1, 2, 3], timestamp=3.0)
    assert orchestrator.get_current_agent().name == "A"
    assert orchestrator.get_context()["items"] == [1, 2, 3]


def test_the_step_counter_lets_a_normal_comprehension_run_and_fire(sqlite_db: Session) -> None:
    orchestrator = _live(sqlite_db, "context.items.exists(x, context.items.exists(y, x + y == 30))")
    orchestrator.update_context(items=list(range(16)), timestamp=2.0)  # 256 steps: well within the limit
    assert orchestrator.get_current_agent().name == "B"
    assert CEL_MAX_STEPS >= 1000


def test_comprehensions_over_the_event_history_still_work(sqlite_db: Session) -> None:
    orchestrator = _live(sqlite_db, 'context.events.exists(e, e.type == "custom" && e.data.kind == "alarm")')
    for n in range(80):
        orchestrator.process_event(EventData(type="user_message", timestamp=10.0 + n, data={"message": f"m{n}"}))
    assert orchestrator.get_current_agent().name == "A"
    orchestrator.process_event(EventData(type="custom", timestamp=100.0, data={"kind": "alarm"}, source="game"))
    assert orchestrator.get_current_agent().name == "B"


# business rules ---------------------------------------------------------------------------------------------------
def _rule(conditions: Any, **params: Any) -> list[dict[str, Any]]:
    return [{"conditions": conditions, "actions": [{"name": "log_transition", "params": {"message": "m"}}]}]


def _deep_all(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"name": "user_input", "operator": "contains", "value": "x"}
    for _ in range(depth):
        node = {"all": [node]}
    return node


HOSTILE_RULES = {
    "250 nested all (every create_session raised RecursionError)": _rule(_deep_all(250)),
    "5,000 nested all (RecursionError at save)": _rule(_deep_all(5000)),
    "a comparison with 10**5000 (a bare ValueError)": _rule(
        {"name": "conversation_turn_count", "operator": "equal_to", "value": 10**5000}
    ),
    "a context value of 10**5000": [
        {
            "conditions": {"name": "user_input", "operator": "contains", "value": "x"},
            "actions": [{"name": "set_context_value", "params": {"key": "k", "value": 10**5000}}],
        }
    ],
    "5,000 rules": _rule({"name": "user_input", "operator": "contains", "value": "x"}) * 5000,
    "3,000 conditions": _rule({"any": [{"name": "user_input", "operator": "contains", "value": "x"}] * 3000}),
}


@pytest.mark.parametrize("rules", HOSTILE_RULES.values(), ids=HOSTILE_RULES.keys())
def test_hostile_rules_are_refused_when_saved(sqlite_db: Session, rules: list[dict[str, Any]]) -> None:
    transition = _save(sqlite_db, "user_input", {"pattern": "x"})
    sqlite_db.commit()
    with pytest.raises(InvalidRulesError) as info:
        create_business_rules_transition(sqlite_db, transition.id, rules)
    assert isinstance(info.value, ValueError) and info.value.problems
    assert sqlite_db.get(Transition, transition.id).condition_type == "user_input"  # nothing changed


def test_rules_at_the_depth_limit_are_accepted(sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["A", "B"], [("A", "B", "user_input", {"pattern": "zzz"})])
    transition = sqlite_db.query(Transition).one()
    b = graph.agents["B"].id
    rules = [
        {
            "conditions": _deep_all(RULES_MAX_DEPTH - 1),
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": b}}],
        }
    ]
    create_business_rules_transition(sqlite_db, transition.id, rules)
    orchestrator = SessionManager(sqlite_db).create_session("s", graph.conversation.id, timestamp=1.0)
    orchestrator.process_event(EventData(type="user_message", timestamp=2.0, data={"message": "x"}))
    assert orchestrator.get_current_agent().name == "B"


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, '{"a": ' * 50_000, "[" * 10 + '"' + "[" * 100 + '"' + "]" * 10, "x" * 2_000_000],
    ids=["100,000 brackets", "50,000 objects", "brackets in a string", "2 MB of text"],
)
def test_json_to_rules_never_recurses_without_bound(text: str) -> None:
    with pytest.raises(InvalidRulesError) as info:
        json_to_rules(text)
    assert isinstance(info.value, RatauraError)


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("kind", "data", "priority", "message"),
    [
        (
            "tool_result",
            {"tool_name": "t", "expected_value": 10**5000},
            0,
            "condition_data.expected_value is an integer",
        ),
        ("event", {"event_type": "custom", "event_data": {"a": float("inf")}}, 0, "must be a finite number"),
        (
            "event",
            {
                "event_type": "custom",
                "event_data": {"d": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            },
            0,
            "nested deeper",
        ),
        ("user_input", {"pattern": "x"}, 10**20, "priority must be a 32-bit integer"),
    ],
    ids=["10**5000", "infinity", "nesting", "priority"],
)
def test_numbers_and_nesting_in_condition_data_are_checked_at_save(
    sqlite_db: Session, kind: str, data: dict[str, Any], priority: int, message: str
) -> None:
    row = _save(sqlite_db, kind, data)
    row.priority = priority
    with pytest.raises(InvalidConditionError, match=message) as info:
        sqlite_db.commit()
    assert "A -> B" in info.value.transition
    sqlite_db.rollback()
