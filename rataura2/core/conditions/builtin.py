"""The condition types of DESIGN.md: user_input, tool_result, agent_decision, event, livekit_event, custom, and
business_rules (whose machinery, in ``business_rules``, loads with the first rule set)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from rataura2.core.conditions.base import (
    Condition,
    ConditionData,
    ConditionInput,
    ConditionKind,
    StateConditionData,
    Verdict,
    register_condition,
)
from rataura2.core.conditions.expressions import CustomData, build_custom
from rataura2.core.conditions.regex import compile_regex, searcher
from rataura2.core.spec import GraphSpec, TransitionSpec
from rataura2.vocabulary.enums import ConditionType
from rataura2.vocabulary.events import LIVEKIT_EVENT_MAP, EventType

_MISSING = object()
_USER_MESSAGE, _TOOL_RESULT, _AGENT_DECISION = EventType.USER_MESSAGE, EventType.TOOL_RESULT, EventType.AGENT_DECISION
"""Enum members as plain names: reading them off the class costs a descriptor call on every evaluation."""


def _dig(value: Any, path: str | None) -> Any:
    """``value`` at a dotted ``path`` ("a.b.0.c"); ``_MISSING`` where there is nothing."""
    if not path:
        return value
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _subset(expected: Mapping[str, Any], actual: Any) -> bool:
    """``expected`` is contained in ``actual``: every key present with an equal (or, for dicts, subset) value."""
    if not isinstance(actual, Mapping):
        return False
    for key, want in expected.items():
        have = actual.get(key, _MISSING)
        if isinstance(want, Mapping):
            if not _subset(want, have):
                return False
        elif have != want:
            return False
    return True


# user_input ---------------------------------------------------------------------------------------------------
class UserInputData(ConditionData):
    pattern: str = Field(min_length=1)
    match: Literal["contains", "exact", "startswith", "regex"] = "contains"
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _regex_compiles(self) -> UserInputData:
        if self.match == "regex":
            compile_regex(self.pattern)
        return self


@dataclass(frozen=True, slots=True)
class UserInputCondition:
    triggers: ClassVar[frozenset[EventType]] = frozenset({_USER_MESSAGE})
    test: Callable[[str], bool]
    description: str

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        event = given.event
        if event is None or event.type is not _USER_MESSAGE:
            return None
        text = event.data.get("message")  # EventData.text, without the property call
        if not isinstance(text, str):
            text = ""
        if self.test(text):
            return Verdict(f"user said {text!r}, which {self.description}")
        return None


def _build_user_input(data: UserInputData, spec: TransitionSpec, graph: GraphSpec) -> UserInputCondition:
    description = f"{data.match} {data.pattern!r}"
    if data.match == "regex":
        test = searcher(compile_regex(data.pattern, case_sensitive=data.case_sensitive))
        return UserInputCondition(test, f"matches regex {data.pattern!r}")
    needle = data.pattern if data.case_sensitive else data.pattern.casefold()
    fold: Callable[[str], str] = (lambda t: t) if data.case_sensitive else str.casefold
    tests: dict[str, Callable[[str], bool]] = {
        "contains": lambda text: needle in fold(text),
        "exact": lambda text: fold(text.strip()) == needle,
        "startswith": lambda text: fold(text.lstrip()).startswith(needle),
    }
    return UserInputCondition(tests[data.match], description)


# tool_result --------------------------------------------------------------------------------------------------
def _contains(container: Any, item: Any) -> bool:
    try:
        return item in container
    except TypeError:
        return False


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(actual: Any, expected: Any) -> bool:
        try:
            return bool(op(actual, expected))
        except TypeError:
            return False

    return compare


COMPARISONS: Mapping[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "gt": _ordered(operator.gt),
    "gte": _ordered(operator.ge),
    "lt": _ordered(operator.lt),
    "lte": _ordered(operator.le),
    "contains": _contains,
    "not_contains": lambda actual, expected: not _contains(actual, expected),
    "in": lambda actual, expected: _contains(expected, actual),
    "exists": lambda actual, expected: True,
}


def _regex_comparison(rx: Any) -> Callable[[Any, Any], bool]:
    search = searcher(rx)

    def compare(actual: Any, _expected: Any) -> bool:
        return isinstance(actual, str) and search(actual)

    return compare


class ToolResultData(ConditionData):
    tool_id: int | None = None
    tool_name: str | None = None
    on_error: bool = False
    """Fire on the tool's failures (their error text is the result) instead of its successes."""
    result_key: str | None = None
    expected_value: Any = None
    operator: (
        Literal["eq", "neq", "gt", "gte", "lt", "lte", "contains", "not_contains", "in", "exists", "regex"] | None
    ) = None

    @model_validator(mode="after")
    def _operator_fits(self) -> ToolResultData:
        op = self.operator
        if op == "regex":
            if not isinstance(self.expected_value, str):
                raise ValueError("operator 'regex' needs expected_value to be a regex string")
            compile_regex(self.expected_value)
        if op == "in" and not isinstance(self.expected_value, list | str):
            raise ValueError("operator 'in' needs expected_value to be a list or a string")
        return self


@dataclass(frozen=True, slots=True)
class ToolResultCondition:
    triggers: ClassVar[frozenset[EventType]] = frozenset({_TOOL_RESULT})
    tool_id: int | None
    tool_name: str | None
    result_key: str | None
    op_name: str
    compare: Callable[[Any, Any], bool]
    expected: Any
    on_error: bool = False

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        event = given.event
        if event is None or event.type is not _TOOL_RESULT:
            return None
        data = event.data
        if not (
            (self.tool_name is not None and data.get("tool_name") == self.tool_name)
            or (self.tool_id is not None and data.get("tool_id") == self.tool_id)
        ):
            return None
        if (data.get("is_error") is True) is not self.on_error:
            return None
        actual = _dig(data.get("result", _MISSING), self.result_key)
        if actual is _MISSING or not self.compare(actual, self.expected):
            return None
        where = f"result.{self.result_key}" if self.result_key else "result"
        shown = "" if self.op_name == "exists" else f" {self.op_name} {self.expected!r}"
        verb = "failed with" if self.on_error else "returned"
        return Verdict(f"tool {data.get('tool_name', self.tool_id)!r} {verb} {where}={actual!r}{shown}")


def _build_tool_result(data: ToolResultData, spec: TransitionSpec, graph: GraphSpec) -> ToolResultCondition:
    tool_id = data.tool_id if data.tool_id is not None else (None if data.tool_name else spec.tool_id)
    tool_name = data.tool_name
    known = ", ".join(sorted({t.name for t in graph.tools.values()})) or "none"
    if tool_id is not None:
        tool = graph.tools.get(tool_id)
        if tool is None:
            raise ValueError(
                f"tool_id {tool_id} is not a tool of this conversation's agents (their tools: {known}); "
                "give one of them the tool, or name one of theirs"
            )
        tool_name = tool_name or tool.name
    elif tool_name is not None and all(t.name != tool_name for t in graph.tools.values()):
        raise ValueError(
            f"no agent of this conversation has a tool named {tool_name!r} (their tools: {known}), so this "
            "transition could never fire; give an agent that tool, or name one of theirs"
        )
    if tool_id is None and tool_name is None:
        raise ValueError("a tool_result condition needs tool_id or tool_name (or the transition's tool)")
    op = data.operator or ("eq" if "expected_value" in data.model_fields_set else "exists")
    regex = op == "regex"
    compare = _regex_comparison(compile_regex(str(data.expected_value))) if regex else COMPARISONS[op]
    return ToolResultCondition(tool_id, tool_name, data.result_key, op, compare, data.expected_value, data.on_error)


# agent_decision -----------------------------------------------------------------------------------------------
class AgentDecisionData(ConditionData):
    decision_key: str = "transition_to"
    expected_value: Any = None


@dataclass(frozen=True, slots=True)
class AgentDecisionCondition:
    triggers: ClassVar[frozenset[EventType]] = frozenset({_AGENT_DECISION})
    decision_key: str
    accepted: tuple[Any, ...]

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        event = given.event
        if event is None or event.type is not _AGENT_DECISION:
            return None
        if event.data.get("decision_key", "transition_to") != self.decision_key:
            return None
        value = event.data.get("value")
        folded = value.casefold() if isinstance(value, str) else value
        if folded in self.accepted:
            return Verdict(f"agent decided {self.decision_key}={value!r}")
        return None


def _build_agent_decision(data: AgentDecisionData, spec: TransitionSpec, graph: GraphSpec) -> AgentDecisionCondition:
    target = graph.agents[spec.target_agent_id]
    accepted: list[Any] = [target.id, str(target.id), target.name.casefold()]
    if data.expected_value is not None:
        expected = data.expected_value
        accepted.append(expected.casefold() if isinstance(expected, str) else expected)
    return AgentDecisionCondition(data.decision_key, tuple(accepted))


# event and livekit_event --------------------------------------------------------------------------------------
class _ScopedEventData(StateConditionData):
    event_data: dict[str, Any] = Field(default_factory=dict)
    scope: Literal["event", "since_entered"] = "event"

    @model_validator(mode="after")
    def _triggers_need_state(self) -> _ScopedEventData:
        if self.triggers is not None and self.scope != "since_entered":
            raise ValueError(
                "triggers only apply with scope 'since_entered' (a condition on the current event is evaluated on "
                "that event's type); remove triggers or set scope to since_entered"
            )
        return self


class EventConditionData(_ScopedEventData):
    event_type: EventType

    @field_validator("event_type", mode="before")
    @classmethod
    def _parse_event_type(cls, value: Any) -> EventType:
        return EventType.parse(value)


class LivekitEventConditionData(_ScopedEventData):
    event_name: str

    @field_validator("event_name")
    @classmethod
    def _known_name(cls, value: str) -> str:
        if value in LIVEKIT_EVENT_MAP:
            return value
        try:
            return EventType.parse(value).value
        except ValueError:
            raise ValueError(
                f"{value!r} is neither a LiveKit event ({', '.join(sorted(LIVEKIT_EVENT_MAP))}) nor an event type"
            ) from None


@dataclass(frozen=True, slots=True)
class EventCondition:
    event_type: EventType
    livekit_name: str | None
    event_data: Mapping[str, Any]
    since_entered: bool
    livekit_only: bool
    state_triggers: frozenset[str] = frozenset()
    """With ``since_entered``: the trigger events it is evaluated on."""

    @property
    def reads_state(self) -> bool:
        return self.since_entered

    @property
    def triggers(self) -> frozenset[str]:
        return self.state_triggers if self.since_entered else frozenset({self.event_type.value})

    def matches(self, event: Mapping[str, Any]) -> bool:
        if event["type"] != self.event_type._value_:  # not .value: a descriptor call per evaluation
            return False
        data = event.get("data") or {}
        if self.livekit_only:
            source = str(event.get("source", ""))
            if not source.startswith("livekit"):
                return False
            if self.livekit_name is not None and data.get("livekit_event") != self.livekit_name:
                return False
        return not self.event_data or _subset(self.event_data, data)

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        what = self.livekit_name or self.event_type._value_
        if self.since_entered:
            for past in reversed(given.context.events_since_entered()):
                if self.matches(past):
                    return Verdict(f"{what} event {past['id']} happened since entering this agent")
            return None
        event = given.event
        if event is not None and event.type is self.event_type and self.matches(event.summary_view):
            detail = f" with {dict(self.event_data)!r}" if self.event_data else ""
            return Verdict(f"{what} event from {event.source!r}{detail}")
        return None


def _build_event(data: EventConditionData, spec: TransitionSpec, graph: GraphSpec) -> EventCondition:
    return EventCondition(
        data.event_type, None, data.event_data, data.scope == "since_entered", False, data.trigger_names()
    )


def _build_livekit_event(data: LivekitEventConditionData, spec: TransitionSpec, graph: GraphSpec) -> EventCondition:
    if data.event_name in LIVEKIT_EVENT_MAP:
        return EventCondition(
            LIVEKIT_EVENT_MAP[data.event_name],
            data.event_name,
            data.event_data,
            data.scope == "since_entered",
            True,
            data.trigger_names(),
        )
    return EventCondition(
        EventType(data.event_name), None, data.event_data, data.scope == "since_entered", True, data.trigger_names()
    )


class BusinessRulesData(StateConditionData):
    """Only ``triggers``: a business_rules transition keeps its rules in BusinessRulesTransition, not in
    condition_data."""


def _build_business_rules(data: BusinessRulesData, spec: TransitionSpec, graph: GraphSpec) -> Condition:
    # the rules machinery (the business-rules library and its vocabulary tables) loads with the first rule set
    from rataura2.core.conditions.business_rules import build_business_rules

    return build_business_rules(data, spec, graph)


def _tool_words(t: TransitionSpec) -> str:
    data = t.condition_data
    tool = data.get("tool_name") or data.get("tool_id") or t.tool_id
    return f"tool {tool} {data.get('result_key') or 'result'} {data.get('operator') or ''}".rstrip()


def _event_words(prefix: str) -> Callable[[TransitionSpec], str]:
    return lambda t: f"{prefix} {t.condition_data.get('event_name', t.condition_data.get('event_type'))}"


def _says(t: TransitionSpec) -> str:
    # quoted as written: repr() would double every backslash of a regex
    return f"says '{t.condition_data.get('pattern')}'"


def _rules_words(t: TransitionSpec) -> str:
    return f"rules ({len(t.rules or ())})"


def _cel(t: TransitionSpec) -> str:
    code = str(t.condition_data.get("condition_code"))
    if len(code) <= 28:
        return f"cel: {code}"
    cut = code[:28].rsplit(" ", 1)[0] if " " in code[:28] else code[:28]  # a whole word, not part of one
    return f"cel: {cut} ..."


for _kind in (
    ConditionKind(ConditionType.USER_INPUT, UserInputData, _build_user_input, _says),
    ConditionKind(ConditionType.TOOL_RESULT, ToolResultData, _build_tool_result, _tool_words),
    ConditionKind(ConditionType.AGENT_DECISION, AgentDecisionData, _build_agent_decision, lambda t: "agent decides"),
    ConditionKind(ConditionType.EVENT, EventConditionData, _build_event, _event_words("event")),
    ConditionKind(
        ConditionType.LIVEKIT_EVENT, LivekitEventConditionData, _build_livekit_event, _event_words("livekit")
    ),
    ConditionKind(ConditionType.CUSTOM, CustomData, build_custom, _cel),
    ConditionKind(ConditionType.BUSINESS_RULES, BusinessRulesData, _build_business_rules, _rules_words),
):
    register_condition(_kind)
