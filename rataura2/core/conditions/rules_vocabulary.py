"""What business rules may say: the variables they read, the operators they compare with, the actions they take.

Rules are the ``business-rules`` library's JSON format, and the field types and operators are the library's own,
so a rule means here exactly what it means to the library's ``run_all``. The library looks every name up with
``getattr`` and checks nothing up front, so nothing here is reached by name from a rule directly: the tables at the
bottom (:data:`VARIABLES`, :data:`OPERATORS`, :data:`ACTIONS`), built once from the decorators' metadata, are the
whitelist that validation, compilation and the rule editor's configuration all read.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from business_rules.actions import BaseActions, rule_action
from business_rules.fields import FIELD_SELECT, FIELD_TEXT
from business_rules.operators import BooleanType, NumericType, SelectType, StringType, type_operator
from business_rules.variables import BaseVariables, rule_variable

from rataura2.core.context import OWNED_FIELDS, RESERVED_FIELDS, SessionContext
from rataura2.vocabulary.enums import AgentType
from rataura2.vocabulary.events import EventType

if TYPE_CHECKING:
    from rataura2.core.events import EventData
    from rataura2.core.spec import GraphSpec

_F = TypeVar("_F", bound=Callable[..., Any])


# field types ---------------------------------------------------------------------------------------------------
def _operator(input_type: str, label: str) -> Callable[[_F], _F]:
    decorate: Callable[[_F], _F] = type_operator(input_type, label=label)
    return decorate


class TextType(StringType):  # type: ignore[misc]
    """The library's string type (same name, same operators) plus the negation and the case-insensitive match
    that designers need and the library lacks."""

    name = "string"

    @_operator(FIELD_TEXT, "Does Not Contain")
    def not_contains(self, other_string: str) -> bool:
        return other_string not in self.value

    @_operator(FIELD_TEXT, "Contains (case insensitive)")
    def contains_case_insensitive(self, other_string: str) -> bool:
        return other_string.casefold() in self.value.casefold()


# variables -----------------------------------------------------------------------------------------------------
def _variable(field_type: type[Any], label: str, options: Sequence[str] = ()) -> Callable[[_F], _F]:
    decorate: Callable[[_F], _F] = rule_variable(field_type, label=label, options=list(options))
    return decorate


USER_INPUT_TYPES = ("question", "command", "statement", "unknown")
_QUESTION_WORDS = frozenset(
    {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "can", "could", "would", "should"}
    | {"will", "do", "does", "did", "is", "are", "was", "were", "may"}
)
_COMMAND_WORDS = frozenset(
    {"please", "show", "tell", "give", "find", "get", "take", "send", "help", "stop", "start", "switch", "go"}
    | {"open", "close", "cancel", "list", "check", "buy", "sell", "fit", "let's", "lets"}
)
_WORD = re.compile(r"[a-z']+")


def classify_user_input(text: str) -> str:
    """A cheap guess at what an utterance is: a question (ends with "?" or opens with a question word), a command
    (opens with an imperative), a statement, or unknown (nothing said)."""
    words = _WORD.findall(text.casefold())
    if not words:
        return "unknown"
    if text.rstrip().endswith("?") or words[0] in _QUESTION_WORDS:
        return "question"
    return "command" if words[0] in _COMMAND_WORDS else "statement"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def context_from_dict(values: Mapping[str, Any]) -> SessionContext:
    """A :class:`SessionContext` holding a plain context dict (what ``get_context()`` returns, or a hand-made
    one), so that rules read a dict exactly as they read a live session. "Now" is the last event's time."""
    events = [e for e in values.get("events") or () if isinstance(e, Mapping)]
    last_time = events[-1].get("timestamp") if events else None
    return SessionContext.from_state(
        {
            "values": {k: {"value": v} for k, v in values.items() if k not in RESERVED_FIELDS},
            "events": events,
            "conversation": list(values.get("conversation") or ()),
            "transitions": list(values.get("transitions") or ()),
            "now": float(last_time) if isinstance(last_time, int | float) else 0.0,
        }
    )


class ConversationVariables(BaseVariables):  # type: ignore[misc]
    """The session as rules see it. Each variable reads only the context fields it needs, when a rule asks for it
    (nothing is copied up front), so evaluating rules costs the same however long the session has run.

    ``context`` is a live :class:`SessionContext` or a plain context dict; ``event`` is the event being processed
    (if any) and ``graph`` the conversation's compiled spec (for agent types and names).
    """

    __slots__ = ("_context", "_event", "_graph")

    def __init__(
        self,
        context: SessionContext | Mapping[str, Any],
        event: EventData | None = None,
        graph: GraphSpec | None = None,
    ) -> None:
        self._context = context if isinstance(context, SessionContext) else context_from_dict(context)
        self._event = event
        self._graph = graph

    def _agent_field(self, id_key: str, field: str) -> str:
        agent_id = self._context.get(id_key)
        if self._graph is not None and isinstance(agent_id, int):
            agent = self._graph.agents.get(agent_id)
            return "" if agent is None else _text(getattr(agent, field))
        agents = self._context.get("agents")
        entry = agents.get(str(agent_id)) if isinstance(agents, Mapping) else None
        return _text(entry.get(field)) if isinstance(entry, Mapping) else ""

    @_variable(TextType, "User input")
    def user_input(self) -> str:
        """What the user said last."""
        return _text(self._context.get("user_input"))

    @_variable(SelectType, "User input type", USER_INPUT_TYPES)
    def user_input_type(self) -> list[str]:
        """Whether the user's last input is a question, a command or a statement (unknown before they speak). A
        ``user_input_type`` context value (from a classifier) wins over the built-in guess."""
        given = self._context.get("user_input_type")
        return [given if given in USER_INPUT_TYPES else classify_user_input(self.user_input())]

    @_variable(TextType, "Current agent name")
    def current_agent_name(self) -> str:
        """The name of the agent the session is with."""
        return _text(self._context.get("current_agent_name"))

    @_variable(SelectType, "Current agent type", [t.value for t in AgentType])
    def current_agent_type(self) -> list[str]:
        """The type of the agent the session is with (general, combat, market...)."""
        found = self._agent_field("current_agent_id", "agent_type")
        return [found or _text(self._context.get("current_agent_type"))]

    @_variable(TextType, "Previous agent name")
    def previous_agent_name(self) -> str:
        """The name of the agent the session came from (empty on the initial agent)."""
        return self._agent_field("previous_agent_id", "name")

    @_variable(NumericType, "Conversation turn count")
    def conversation_turn_count(self) -> int:
        """How many times the user has spoken in this session."""
        return _count(self._context.get("turn_count"))

    @_variable(NumericType, "Turns in current agent")
    def turns_in_current_agent(self) -> int:
        """How many times the user has spoken since the session reached the current agent (counted in the kept
        event history, the last 100 events by default)."""
        return sum(1 for e in self._context.events_since_entered() if e.get("type") == EventType.USER_MESSAGE.value)

    @_variable(BooleanType, "Is first turn")
    def is_first_turn(self) -> bool:
        """True until the user has spoken more than once."""
        return self.conversation_turn_count() <= 1

    @_variable(NumericType, "Seconds in current agent")
    def seconds_in_current_agent(self) -> Decimal:
        """Seconds, in event time, since the session reached the current agent (the session start for the initial
        agent). Rules are evaluated when events arrive, so this is as of the latest event."""
        context = self._context
        entered = context.get("agent_entered_at")
        if not isinstance(entered, int | float) or not entered:
            session = context.get("session")
            entered = session.get("started_at") if isinstance(session, Mapping) else None
        seconds = context.now - entered if isinstance(entered, int | float) else 0.0
        return Decimal(f"{max(seconds, 0.0):.3f}")  # a Decimal: the numeric type's float conversion is slow

    @_variable(SelectType, "Last event type", [t.value for t in EventType])
    def last_event_type(self) -> list[str]:
        """The type of the event being processed (user_message, tool_result, user_left...)."""
        if self._event is not None:
            return [self._event.type.value]
        last = self._context.last_event
        return [_text(last.get("type")) if last else ""]

    @_variable(TextType, "Last tool name")
    def last_tool_name(self) -> str:
        """The name of the tool whose result came in last."""
        return _text(self._context.get("last_tool_name"))

    @_variable(TextType, "Last tool result")
    def last_tool_result(self) -> str:
        """That tool's result: as is when it is text, as JSON otherwise (so ``contains`` can look inside it)."""
        results = self._context.get("tool_results")
        result = results.get(self.last_tool_name()) if isinstance(results, Mapping) else None
        if result is None or isinstance(result, str):
            return result or ""
        return json.dumps(result, sort_keys=True, default=str)

    @_variable(NumericType, "Participant count")
    def participant_count(self) -> int:
        """How many users are in the room."""
        session = self._context.get("session")
        return _count(session.get("participant_count")) if isinstance(session, Mapping) else 0


# actions -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RuleScope:
    """What a rule set is checked against: the conversation's agents (None: not known, only types are checked),
    and the target of the transition the rules decide (None: not known)."""

    agents: Mapping[int, str] | None = None
    target_agent_id: int | None = None
    conversation: str | None = None

    def agent_list(self) -> str:
        return ", ".join(f"{i} ({n})" for i, n in sorted((self.agents or {}).items()))


Check = Callable[[Any, RuleScope], str | None]
"""A parameter check: the problem with a value, or None."""


@dataclass(frozen=True, slots=True)
class Param:
    field_type: str
    label: str
    check: Check


def _check_agent_id(value: Any, scope: RuleScope) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be an agent id (an integer), got {type(value).__name__} {value!r}"
    if scope.agents is not None and value not in scope.agents:
        if scope.conversation is None:
            return f"{value}: there is no such agent"
        return f"{value} is not an agent of conversation {scope.conversation!r}; its agents: {scope.agent_list()}"
    return None


def _check_key(value: Any, scope: RuleScope) -> str | None:
    if not isinstance(value, str) or not value:
        return f"must be a non-empty string, got {type(value).__name__} {value!r}"
    if value in OWNED_FIELDS:
        return f"{value!r} is a context field the orchestrator keeps; rules cannot set it"
    return None


def _check_json(value: Any, scope: RuleScope) -> str | None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"must be a JSON value: {exc}"
    return None


def _check_text(value: Any, scope: RuleScope) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {type(value).__name__} {value!r}"


def _action(label: str, **params: Param) -> Callable[[_F], _F]:
    """``rule_action`` with each parameter's check kept next to its declaration."""

    def decorate(fn: _F) -> _F:
        declared = [{"name": n, "label": p.label, "fieldType": p.field_type} for n, p in params.items()]
        rule_action(label=label, params=declared)(fn)
        fn.param_checks = {n: p.check for n, p in params.items()}  # type: ignore[attr-defined]
        return fn

    return decorate


@dataclass(frozen=True, slots=True)
class PlannedAction:
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)


class TransitionActions(BaseActions):  # type: ignore[misc]
    """The actions rules can take. They only record what they would do (in :attr:`planned`): the orchestrator
    applies the plan with the hand-over, so evaluating rules never changes a session, and a failed evaluation
    leaves nothing half-done. Works with the library's own ``run_all`` too."""

    def __init__(self) -> None:
        self.planned: list[PlannedAction] = []

    @_action("Move to agent", agent_id=Param(FIELD_SELECT, "Agent", _check_agent_id))
    def transition_to_agent(self, agent_id: int) -> None:
        """Hand the session over to this agent of the conversation (the transition's target, to fire it)."""
        self.planned.append(PlannedAction("transition_to_agent", {"agent_id": agent_id}))

    @_action(
        "Set context value",
        key=Param(FIELD_TEXT, "Key", _check_key),
        value=Param(FIELD_TEXT, "Value (text, or any JSON value)", _check_json),
    )
    def set_context_value(self, key: str, value: Any) -> None:
        """Set a context value, together with the hand-over."""
        self.planned.append(PlannedAction("set_context_value", {"key": key, "value": value}))

    @_action("Log transition", message=Param(FIELD_TEXT, "Message", _check_text))
    def log_transition(self, message: str) -> None:
        """Add a note to the transition's recorded reason."""
        self.planned.append(PlannedAction("log_transition", {"message": message}))

    @property
    def next_agent_id(self) -> int | None:
        moves = [p.params["agent_id"] for p in self.planned if p.name == "transition_to_agent"]
        return moves[-1] if moves else None

    @property
    def context_updates(self) -> dict[str, Any]:
        return {p.params["key"]: p.params["value"] for p in self.planned if p.name == "set_context_value"}

    @property
    def log_messages(self) -> list[str]:
        return [p.params["message"] for p in self.planned if p.name == "log_transition"]


# the whitelist -------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OperatorInfo:
    name: str
    label: str
    input_type: str
    test: Callable[..., Any]
    """The library's operator function itself, unwrapped: called with the comparison value already cast."""
    casts_value: bool


@dataclass(frozen=True, slots=True)
class VariableInfo:
    name: str
    label: str
    field_type: type[Any]
    options: tuple[str, ...]
    description: str
    read: Callable[[ConversationVariables], Any]

    @property
    def type_name(self) -> str:
        return str(self.field_type.name)


@dataclass(frozen=True, slots=True)
class ParamInfo:
    name: str
    label: str
    field_type: str
    check: Check


@dataclass(frozen=True, slots=True)
class ActionInfo:
    name: str
    label: str
    description: str
    params: Mapping[str, ParamInfo]


def _operators(field_type: type[Any]) -> Mapping[str, OperatorInfo]:
    out = {}
    for op in field_type.get_all_operators():
        decorated = getattr(field_type, op["name"])
        casts = inspect.getclosurevars(decorated).nonlocals.get("assert_type_for_arguments", True)
        raw = getattr(decorated, "__wrapped__", decorated)
        out[op["name"]] = OperatorInfo(op["name"], op["label"], op["input_type"], raw, bool(casts))
    return out


def _doc(fn: Any) -> str:
    return " ".join((inspect.getdoc(fn) or "").split())


VARIABLES: Mapping[str, VariableInfo] = {
    v["name"]: VariableInfo(
        v["name"],
        v["label"],
        getattr(ConversationVariables, v["name"]).field_type,
        tuple(v["options"]),
        _doc(getattr(ConversationVariables, v["name"])),
        getattr(ConversationVariables, v["name"]),
    )
    for v in ConversationVariables.get_all_variables()
}
OPERATORS: Mapping[str, Mapping[str, OperatorInfo]] = {
    t.name: _operators(t) for t in dict.fromkeys(v.field_type for v in VARIABLES.values())
}
"""By field type name ("string", "numeric", "boolean", "select"): the operators a variable of that type takes."""
ACTIONS: Mapping[str, ActionInfo] = {
    a["name"]: ActionInfo(
        a["name"],
        a["label"],
        _doc(getattr(TransitionActions, a["name"])),
        {
            p["name"]: ParamInfo(
                p["name"],
                p["label"],
                p["fieldType"],
                getattr(TransitionActions, a["name"]).param_checks[p["name"]],
            )
            for p in a["params"] or ()
        },
    )
    for a in TransitionActions.get_all_actions()
}


def is_number(value: Any) -> bool:
    """A finite int or float, as JSON holds it; not a bool (the library would take True as 1, never what is meant)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, float) or math.isfinite(value)
