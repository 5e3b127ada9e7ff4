"""The Python evaluator of plain CEL expressions (``cel_fast``) answers exactly as the engine does, or not at all.

Each expression is built twice from the same transition: as the session builds it (with its Python form where the
expression is within the subset) and without the Python form (the engine alone). Both are evaluated on the same
contexts, and must give the same verdict or the same error.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rataura2.core.conditions import ConditionInput
from rataura2.core.conditions.cel_fast import compile_plain
from rataura2.core.conditions.expressions import CelCondition, CustomData, build_custom
from rataura2.core.context import SessionContext
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec

GRAPH = GraphSpec(1, "g", 1, {1: AgentSpec(1, "a"), 2: AgentSpec(2, "b")}, ())

PLAIN = [
    'context.turn_count > 3 && context.user_input.contains("vip")',
    "context.turn_count >= 2 || context.plan == 'gold'",
    "!(context.score < 1.5) && context.name.startsWith('Al')",
    '!context.flag || context.name.endsWith("ce")',
    'has(context.plan) && context.plan != "free"',
    "context.turn_count == 0",
    "context.flag == true",
    "(context.a > 1 || context.b > 1) && !(context.a == context.b)",
    "context.turn_count > 100000 && context.user_input.contains('vip')",
    "context.user_input.contains(context.name)",
    "context.score <= 2.0e1",
    "false && context.missing > 1",
    "true || context.missing > 1",
    "context.missing > 1 || true",
    "!context.flag",
    "context.turn_count",
    "context.name",
    "(context.flag)",
]
"""Expressions within the subset (each must compile to Python)."""

ENGINE_ONLY = [
    "context.turn_count + 1 > 3",
    "size(context.user_input) > 3",
    "context.tags.exists(t, t == 'vip')",
    "context.turn_count > 3 ? true : false",
    'event.type == "user_message"',
    "context.turn_count > -1",
    'context.name == "a\\"b"',
    "context.turn_count > 3u",
    "context.a < context.b < context.c",
    "context.plan == null",
    "context.name.matches('^A')",
]
"""Expressions outside it: the engine alone evaluates them."""

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["vip", "Alice", "gold", "free", "", "ce", "\ud800"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
FIELDS = ("turn_count", "user_input", "plan", "score", "name", "flag", "a", "b", "c", "tags", "missing")


def conditions(code: str) -> tuple[CelCondition, CelCondition]:
    """The condition as sessions build it, and the same without its Python form."""
    spec = TransitionSpec(1, 1, 2, "custom", {"condition_code": code})
    built = build_custom(CustomData.model_validate({"condition_code": code}), spec, GRAPH)
    return built, dataclasses.replace(built, plain=None)


def outcome(condition: CelCondition, context: SessionContext) -> Any:
    try:
        verdict = condition.evaluate(ConditionInput(None, context))
    except Exception as exc:  # the message says which expression and why: both paths must say the same
        message = str(exc)
        if ", not a bool" in message:  # the value shown: the engine's maps have no key order of their own
            message = message.split(" returned ")[0] + " returned a non-bool"
        return (type(exc).__name__, message)
    return None if verdict is None else verdict.reason


@pytest.mark.parametrize("code", PLAIN)
def test_plain_expressions_compile_to_python(code: str) -> None:
    assert conditions(code)[0].plain is not None


@pytest.mark.parametrize("code", ENGINE_ONLY)
def test_other_expressions_are_left_to_the_engine(code: str) -> None:
    assert conditions(code)[0].plain is None


def test_the_subset_parser_refuses_what_it_does_not_know() -> None:
    assert compile_plain("__ctx_a > 1") is not None
    for source in ("__ctx_a +", "(__ctx_a", "__ctx_a.contains(", "__ctx_a >", "other > 1", "0x10 > __ctx_a"):
        assert compile_plain(source) is None, source


@settings(max_examples=300, deadline=None)
@given(code=st.sampled_from(PLAIN), values=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=len(FIELDS)))
def test_python_and_engine_agree(code: str, values: dict[str, Any]) -> None:
    fast, engine = conditions(code)
    context = SessionContext(values)
    assert outcome(fast, context) == outcome(engine, context)


@pytest.mark.parametrize(
    ("code", "values", "expected"),
    [
        (
            'context.turn_count > 3 && context.user_input.contains("vip")',
            {"turn_count": 4, "user_input": "a vip"},
            True,
        ),
        ('context.turn_count > 3 && context.user_input.contains("vip")', {"turn_count": 4, "user_input": "no"}, False),
        ("context.score <= 2.0e1", {"score": 20.0}, True),
        ("context.turn_count == 0", {"turn_count": True}, False),  # a bool is no int, for CEL as for the engine
        ("context.missing > 1 || true", {}, True),  # a field not set: the engine decides (here, || true holds)
        ("context.missing > 1 && true", {}, None),  # and here it is false
    ],
)
def test_known_answers(code: str, values: dict[str, Any], expected: bool | None) -> None:
    fast, engine = conditions(code)
    context = SessionContext(values)
    want = None if not expected else f"expression {code!r} is true"
    assert outcome(fast, context) == outcome(engine, context) == want
