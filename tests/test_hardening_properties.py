"""Property tests (issue 15): whatever the input, events, context updates, CEL expressions, regexes and rule sets
are accepted or refused with the one kind of error the API promises (a ``ValueError`` subclass naming what is
wrong), never another exception, a crash or a hang, and a refusal changes nothing."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from rataura2.core.conditions import validate_condition_data
from rataura2.core.conditions.base import ConditionInput
from rataura2.core.conditions.expressions import CelCondition, CustomData, build_custom, compile_cel
from rataura2.core.conditions.regex import compile_regex
from rataura2.core.context import OWNED_FIELDS, SessionContext
from rataura2.core.events import EventData
from rataura2.errors import CelEvaluationError, InvalidConditionError, InvalidEventError, InvalidRulesError
from rataura2.rules.editor import json_to_rules
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.limits import MAX_JSON_DEPTH, MAX_SAFE_INTEGER
from tests.builders import build_graph

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=12),  # surrogates and NULs included
)
keys = st.one_of(st.text(max_size=6), st.integers(-3, 3), st.just("\x00"), st.just("a\ud800"))
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


def _clean(value: Any, depth: int = 0) -> bool:
    """What the validation must accept: the JSON a database keeps exactly."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_SAFE_INTEGER - 1 <= value <= MAX_SAFE_INTEGER
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if depth >= MAX_JSON_DEPTH:
        return False
    if isinstance(value, list):
        return all(_clean(v, depth + 1) for v in value)
    return all(isinstance(k, str) and _clean(k) and _clean(v, depth + 1) for k, v in value.items())


@SETTINGS
@given(data=st.dictionaries(keys, json_like, max_size=4), timestamp=st.one_of(st.floats(), st.integers()))
def test_an_event_is_valid_exactly_when_its_data_is_clean(data: dict[Any, Any], timestamp: float) -> None:
    expected = _clean(data) and isinstance(timestamp, int | float) and 0 <= timestamp <= 253_402_300_799
    try:
        event = EventData(type="custom", timestamp=timestamp, data=data)
    except InvalidEventError as exc:
        assert not expected, exc
        assert exc.field.split(".")[0] in ("data", "timestamp")
        return
    assert expected
    assert json.loads(json.dumps(event.data)) == event.data == data  # kept exactly, every key


@pytest.fixture
def live(sqlite_db: Session) -> Any:
    graph = build_graph(
        sqlite_db, ["A", "B"], [("A", "B", "custom", {"condition_code": "has(context.go) && context.go == true"})]
    )
    return SessionManager(sqlite_db, durability="off").create_session("s", graph.conversation.id, timestamp=1.0)


field_names = st.one_of(st.sampled_from(sorted(OWNED_FIELDS)), st.text(max_size=8), st.just("go"))


@SETTINGS
@given(
    updates=st.dictionaries(field_names, json_like, max_size=3),
    scope=st.one_of(st.sampled_from(["session", "agent", "turn"]), st.lists(st.none(), max_size=1), st.integers()),
)
def test_a_context_update_is_applied_whole_or_refused_changing_nothing(
    live: Any, updates: dict[str, Any], scope: Any
) -> None:
    before = live.get_context()
    try:
        result = live.update_context(updates, scope=scope)
    except InvalidEventError:
        assert live.get_context() == before
    else:
        context = live.get_context()
        # a turn's values go with the turn, an agent's with the agent (go=true hands the session over to B)
        dropped = scope == "turn" or (scope == "agent" and result.transitioned)
        for key in updates:
            assert key not in OWNED_FIELDS
            assert context.get(key) == updates[key] or dropped
    # whatever happened, the session works: its counters are still numbers and an event goes through
    assert isinstance(live.get_context()["event_count"], int)
    live.process_event(EventData(type="user_message", timestamp=live.context.now, data={"message": "hi"}))


CEL_PIECES = [
    "context", "event", ".", "x", "y", "items", "user_input", "(", ")", "[", "]", "{", "}", ",", ":", "?", "!", "-",
    "+", "*", "/", "%", "==", "!=", "<", "<=", "&&", "||", " in ", "1", "2.5", "0x1F", "3u", "'a'", '"b"', "r'\\'",
    "b'x'", '"""t"""', "true", "null", "size", "has", "all", "exists", "map", "filter", "exists_one", "matches",
    "int", "string", "duration", "timestamp", " ", "//c\n", "'unterminated", "\\", "__ctx_x", "@",
]  # fmt: skip


@SETTINGS
@given(pieces=st.lists(st.sampled_from(CEL_PIECES), max_size=40), repeat=st.integers(1, 400))
def test_any_cel_text_compiles_or_is_refused_and_evaluates_or_fails_cleanly(pieces: list[str], repeat: int) -> None:
    source = "".join(pieces) * (repeat if len("".join(pieces)) * repeat < 50_000 else 1)
    try:
        compile_cel(source)
    except ValueError:
        return
    condition = build_custom(CustomData(condition_code=source), None, None)  # type: ignore[arg-type]
    assert isinstance(condition, CelCondition)
    context = SessionContext({"items": list(range(50)), "user_input": "hi", "x": 1})
    event = EventData(type="user_message", timestamp=1.0, data={"message": "hi"})
    try:
        verdict = condition.evaluate(ConditionInput(event, context))
    except CelEvaluationError:
        return
    assert verdict is None or verdict.reason


REGEX_PIECES = ["a", "b", "(", ")", "+", "*", "?", "|", "[", "]", "^", "$", "\\", "\\1", "{2,}", "(?=", ".", "\\d"]


@SETTINGS
@given(pieces=st.lists(st.sampled_from(REGEX_PIECES), max_size=20), text=st.text(alphabet="ab1 ", max_size=200))
def test_any_regex_compiles_as_re2_or_is_refused_and_matches_in_linear_time(pieces: list[str], text: str) -> None:
    pattern = "".join(pieces)
    try:
        validate_condition_data("user_input", {"pattern": pattern or "a", "match": "regex"}, label="t")
    except InvalidConditionError:
        with pytest.raises(ValueError):
            compile_regex(pattern or "a")
        return
    compile_regex(pattern or "a").search(text * 50)  # RE2: no backtracking, whatever the pattern


rule_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.sampled_from(["all", "any", "name"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=30,
)


@SETTINGS
@given(value=rule_json, cut=st.integers(0, 200), brackets=st.integers(0, 3000))
def test_any_rules_json_is_validated_or_refused(value: Any, cut: int, brackets: int) -> None:
    text = json.dumps(value)
    for candidate in (text, text[:cut], "[" * brackets + text, '{"a":' * brackets):
        try:
            rules = json_to_rules(candidate)
        except InvalidRulesError as exc:
            assert exc.problems
        else:
            assert isinstance(rules, list) and rules
