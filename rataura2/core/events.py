"""Events: what happens in a session, as typed, validated data, and the handlers that fold them into context.

Everything that reaches an orchestrator is an :class:`EventData`: LiveKit room and AgentSession events, tool
results, agent decisions, business events. Handlers only update the context; deciding transitions is the
orchestrator's job.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from rataura2.core.context import as_count
from rataura2.core.ids import new_event_id
from rataura2.core.jsondata import flat_json_copy, json_problem, text_problem
from rataura2.errors import InvalidEventError, InvalidSessionIdError
from rataura2.settings import get_settings
from rataura2.vocabulary.events import API_SOURCE, CONTEXT_UPDATES_KEY, LIVEKIT_EVENT_MAP, EventType
from rataura2.vocabulary.limits import MAX_ID_LENGTH, TIMESTAMP_MAX, TIMESTAMP_MIN

if TYPE_CHECKING:
    from rataura2.core.context import SessionContext


def _bounded(mapping: Any, key: str, value: Any, limit: int) -> dict[str, Any]:
    """A copy of ``mapping`` (a new dict if it is none) with ``key`` set last, keeping the latest ``limit`` keys:
    events name the keys, so without a bound a session's context (and its snapshots) would grow with its age."""
    out = dict(mapping) if isinstance(mapping, Mapping) else {}
    out.pop(key, None)
    out[key] = value
    for old in list(out)[: max(len(out) - limit, 0)]:
        del out[old]
    return out


class _computed_once:  # a decorator, named like the one it replaces
    """``functools.cached_property`` without its per-access lock (Python 3.11 takes one on every first read, which
    costs more than the dict it guards): the value is computed on first read and kept in the instance's dict."""

    def __init__(self, func: Callable[[Any], dict[str, Any]]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


class EventData(BaseModel):
    """One event. Validated on construction: a bad field raises :class:`InvalidEventError` naming it.

    ``timestamp`` is seconds since the epoch, from the event's producer: the orchestrator never reads the clock,
    so a session replayed from its log reaches the same states.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, ignored_types=(_computed_once,))
    """``defer_build``: the validator is built with the first event, not when the core is imported."""

    type: EventType
    timestamp: float
    data: dict[str, Any] = Field(default_factory=dict)
    source: str = "system"
    id: str = Field(default_factory=new_event_id)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _as_event_error(exc) from None

    @classmethod
    def parse(cls, raw: EventData | Mapping[str, Any]) -> EventData:
        """An event from an ``EventData`` or a plain mapping (e.g. decoded JSON)."""
        if isinstance(raw, EventData):
            return raw
        if not isinstance(raw, Mapping):
            raise InvalidEventError("event", f"expected an EventData or a mapping, got {type(raw).__name__}")
        return cls(**raw)

    @classmethod
    def trusted(cls, kind: EventType, timestamp: float, data: dict[str, Any], source: str, event_id: str) -> EventData:
        """An event built from values the session checked already (a hand-over's record): what ``model_construct``
        makes, without its generic alias and default handling, which cost as much as the rest of a hand-over."""
        event = cls.__new__(cls)
        _set = object.__setattr__
        _set(event, "__dict__", {"type": kind, "timestamp": timestamp, "data": data, "source": source, "id": event_id})
        _set(event, "__pydantic_fields_set__", set(_ALL_FIELDS))
        _set(event, "__pydantic_extra__", None)
        _set(event, "__pydantic_private__", None)
        return event

    @field_validator("type", mode="before")
    @classmethod
    def _parse_type(cls, value: Any) -> EventType:
        return EventType.parse(value)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _finite_timestamp(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a number of seconds, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be finite, got {value!r}")
        if not TIMESTAMP_MIN <= value <= TIMESTAMP_MAX:  # compared before float(): 10**400 has no float
            raise ValueError(f"must be seconds since the epoch between {TIMESTAMP_MIN:.0f} and {TIMESTAMP_MAX:.0f}")
        return float(value)

    @field_validator("data", mode="before")
    @classmethod
    def _json_data(cls, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"must be a dict, got {type(value).__name__}")
        limit = get_settings().max_event_bytes
        flat = flat_json_copy(value, limit)
        if flat is not None:
            return flat
        found = json_problem(value, "data")
        if found is not None:  # checked first: json.dumps recurses, drops duplicate keys, accepts 10**400
            where, problem = found
            raise PydanticCustomError("json_data", "{problem}", {"problem": problem, "where": where})
        encoded = json.dumps(value, separators=(",", ":"))
        if len(encoded) > limit:
            raise ValueError(f"is {len(encoded)} bytes as JSON, over the limit of {limit}")
        copied: dict[str, Any] = json.loads(encoded)  # the event's own copy, exactly as the log will replay it
        return copied

    @field_validator("source", "id", mode="before")
    @classmethod
    def _non_empty_string(cls, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError(f"must be a non-empty string, got {value!r}")
        if len(value) > MAX_ID_LENGTH:
            raise ValueError(f"is {len(value)} characters long, over the limit of {MAX_ID_LENGTH}")
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def text(self) -> str | None:
        """The message text of a USER_MESSAGE or AGENT_MESSAGE."""
        message = self.data.get("message")
        return message if isinstance(message, str) else None

    @_computed_once
    def summary_view(self) -> dict[str, Any]:
        """The plain-dict form, computed once per event (conditions read it often); do not change it."""
        return {
            "id": self.id,
            "type": self.type._value_,  # not .value: a descriptor call per event
            "timestamp": self.timestamp,
            "source": self.source,
            "data": self.data,
        }

    def summary(self) -> dict[str, Any]:
        """A copy of :attr:`summary_view`, to change."""
        return dict(self.summary_view)


_ALL_FIELDS = frozenset(EventData.model_fields)
"""The fields a trusted event sets: all of them."""


def _as_event_error(exc: ValidationError) -> InvalidEventError:
    first = exc.errors()[0]
    field = str((first.get("ctx") or {}).get("where") or "") or ".".join(str(part) for part in first["loc"]) or "event"
    message = first["msg"].removeprefix("Value error, ")
    return InvalidEventError(field, message)


def check_session_id(session_id: Any) -> str:
    """A session id as every store can keep and every screen can show it; :class:`InvalidSessionIdError`
    otherwise."""
    if not isinstance(session_id, str) or not session_id:
        raise InvalidSessionIdError(f"a session id must be a non-empty string, got {session_id!r}")
    if len(session_id) > MAX_ID_LENGTH:
        raise InvalidSessionIdError(
            f"a session id is at most {MAX_ID_LENGTH} characters long, got {len(session_id)} ({session_id[:40]!r}...)"
        )
    problem = text_problem(session_id)
    if problem:
        raise InvalidSessionIdError(f"session id {session_id!r} {problem}")
    return session_id


EventCallback = Callable[["EventData", "SessionContext"], None]


class EventHandler:
    """Folds the events it handles into a session context, then calls its callbacks.

    Subclasses set ``event_types`` and override :meth:`apply`. A callback sees the event and the updated context;
    one that raises is the caller's bug and propagates.
    """

    event_types: frozenset[EventType] = frozenset()
    narrows = False
    """True when an overridden ``can_handle`` only ever narrows ``event_types`` (never accepts another type): the
    event manager then asks it about those types only."""

    def __init__(self) -> None:
        self._callbacks: list[EventCallback] = []

    def add_callback(self, callback: EventCallback) -> None:
        self._callbacks.append(callback)

    def remove_callback(self, callback: EventCallback) -> None:
        self._callbacks.remove(callback)

    def can_handle(self, event: EventData) -> bool:
        return event.type in self.event_types

    def handle(self, event: EventData, context: SessionContext) -> None:
        self.apply(event, context)
        for callback in self._callbacks:
            callback(event, context)

    def apply(self, event: EventData, context: SessionContext) -> None:
        raise NotImplementedError

    def applier(self, kind: EventType) -> Callable[[EventData, SessionContext], None]:
        """What ``apply`` runs for events of type ``kind`` (the event manager calls it directly: dispatching on the
        type at every event costs more than folding most events in)."""
        return self.apply


class SessionEventHandler(EventHandler):
    """Session lifecycle and who is in the room."""

    event_types = frozenset(
        {EventType.SESSION_CREATED, EventType.SESSION_ENDED, EventType.USER_JOINED, EventType.USER_LEFT}
    )

    def apply(self, event: EventData, context: SessionContext) -> None:
        stored = context.get("session")
        session = dict(stored) if isinstance(stored, Mapping) else {}
        known = session.get("participants")
        participants = list(known) if isinstance(known, list) else []
        participant = event.data.get("participant_id")
        if event.type is EventType.SESSION_CREATED:
            session.update(status="active", started_at=event.timestamp)
        elif event.type is EventType.SESSION_ENDED:
            session.update(status="ended", ended_at=event.timestamp, end_reason=event.data.get("reason"))
        elif event.type is EventType.USER_JOINED and participant is not None and participant not in participants:
            participants.append(participant)
            del participants[: max(len(participants) - context.history_limit, 0)]
        elif event.type is EventType.USER_LEFT and participant in participants:
            participants.remove(participant)
        session["participants"] = participants
        session["participant_count"] = len(participants)
        context.put("session", session, event.timestamp)


class AgentEventHandler(EventHandler):
    """What agents and users say and do: messages, tool calls and results, decisions, agent lifecycle."""

    _appliers: Mapping[EventType, Callable[[EventData, SessionContext], None]]
    """By event type, the function that folds it in (set below the class: one table for every session)."""

    def apply(self, event: EventData, context: SessionContext) -> None:
        self._appliers[event.type](event, context)

    def applier(self, kind: EventType) -> Callable[[EventData, SessionContext], None]:
        if type(self).apply is not AgentEventHandler.apply:
            return self.apply
        return self._appliers.get(kind, self.apply)

    @staticmethod
    def _user_message(event: EventData, context: SessionContext) -> None:
        text = event.text or ""
        context.put("user_input", text, event.timestamp)
        context.put("turn_count", as_count(context.get("turn_count")) + 1, event.timestamp)
        context.append_message("user", text, context.get("current_agent_id"), event.timestamp)

    @staticmethod
    def _agent_message(event: EventData, context: SessionContext) -> None:
        data = event.data
        agent_id = data["agent_id"] if "agent_id" in data else context.get("current_agent_id")
        text = data.get("message")  # EventData.text, without the property call
        context.append_message("assistant", text if isinstance(text, str) and text else "", agent_id, event.timestamp)

    @staticmethod
    def _tool_called(event: EventData, context: SessionContext) -> None:
        call = {"tool_name": event.data.get("tool_name"), "arguments": event.data.get("arguments")}
        context.put("last_tool_call", call, event.timestamp)

    @staticmethod
    def _tool_result(event: EventData, context: SessionContext) -> None:
        """A success goes to ``tool_results[tool]``; a failure (``is_error``: the tool raised, or its arguments
        were refused) to ``tool_errors[tool]``, so it never replaces the last good result."""
        name = str(event.data.get("tool_name", event.data.get("tool_id", "")))
        failed = event.data.get("is_error") is True
        field = "tool_errors" if failed else "tool_results"
        results = _bounded(context.get(field), name, event.data.get("result"), context.history_limit)
        context.put(field, results, event.timestamp)
        if not failed:
            context.put("last_tool_name", name, event.timestamp)

    @staticmethod
    def _agent_decision(event: EventData, context: SessionContext) -> None:
        key = str(event.data.get("decision_key", "transition_to"))
        decisions = _bounded(context.get("agent_decisions"), key, event.data.get("value"), context.history_limit)
        context.put("agent_decisions", decisions, event.timestamp)

    @staticmethod
    def _agent_error(event: EventData, context: SessionContext) -> None:
        error = {
            "message": event.data.get("message"),
            "recoverable": event.data.get("recoverable"),
            "timestamp": event.timestamp,
        }
        context.put("last_error", error, event.timestamp)

    @staticmethod
    def _agent_status(event: EventData, context: SessionContext) -> None:
        context.put("agent_status", event.type.value, event.timestamp)


AgentEventHandler._appliers = {
    EventType.USER_MESSAGE: AgentEventHandler._user_message,
    EventType.AGENT_MESSAGE: AgentEventHandler._agent_message,
    EventType.TOOL_CALLED: AgentEventHandler._tool_called,
    EventType.TOOL_RESULT: AgentEventHandler._tool_result,
    EventType.AGENT_DECISION: AgentEventHandler._agent_decision,
    EventType.AGENT_ERROR: AgentEventHandler._agent_error,
    EventType.AGENT_STARTED: AgentEventHandler._agent_status,
    EventType.AGENT_STOPPED: AgentEventHandler._agent_status,
}
AgentEventHandler.event_types = frozenset(AgentEventHandler._appliers)


class LivekitEventHandler(EventHandler):
    """LiveKit's own state reports (user and agent speaking/listening states), and the name mapping table."""

    event_types = frozenset({EventType.USER_STATE_CHANGED, EventType.AGENT_STATE_CHANGED})
    event_map: Mapping[str, EventType] = LIVEKIT_EVENT_MAP

    def apply(self, event: EventData, context: SessionContext) -> None:
        key = "user_state" if event.type is EventType.USER_STATE_CHANGED else "agent_state"
        context.put(key, event.data.get("new_state"), event.timestamp)

    @classmethod
    def to_event(
        cls, name: str, data: Mapping[str, Any], timestamp: float, *, event_id: str | None = None
    ) -> EventData:
        """The :class:`EventData` for a LiveKit event ``name``; ``data["livekit_event"]`` keeps the name."""
        if name not in cls.event_map:
            raise InvalidEventError("type", f"no event type is mapped to LiveKit event {name!r}")
        values: dict[str, Any] = {
            "type": cls.event_map[name],
            "timestamp": timestamp,
            "data": {**data, "livekit_event": name},
            "source": f"livekit.{name}",
        }
        if event_id is not None:
            values["id"] = event_id
        return EventData(**values)


class ContextUpdateHandler(EventHandler):
    """Context values set from outside (``AgentOrchestrator.update_context``), carried as CUSTOM events so that
    they are logged, deduplicated and replayed like everything else."""

    event_types = frozenset({EventType.CUSTOM})
    narrows = True

    def can_handle(self, event: EventData) -> bool:
        return event.type is EventType.CUSTOM and event.source == API_SOURCE and CONTEXT_UPDATES_KEY in event.data

    def apply(self, event: EventData, context: SessionContext) -> None:
        data = event.data
        for key, value in data[CONTEXT_UPDATES_KEY].items():
            context.set(
                key,
                value,
                scope=data.get("scope", "session"),
                ttl=data.get("ttl"),
                metadata={"source": event.source, **({"set_by": data["set_by"]} if "set_by" in data else {})},
                timestamp=event.timestamp,
            )


class Step(NamedTuple):
    """One handler's part in folding events of one type in: ``fold(event, context)`` is its ``handle`` or, when it
    keeps :meth:`EventHandler.handle` (``plain``), what its ``apply`` runs for that type, its callbacks called after.
    ``asks``: its ``can_handle`` looks at more than the type and must be asked for each event."""

    handler: EventHandler
    asks: bool
    fold: Callable[[EventData, SessionContext], None]
    plain: bool


def default_handlers() -> list[EventHandler]:
    """The handlers an event manager runs unless it is given others: session, agent, LiveKit, context updates."""
    return [SessionEventHandler(), AgentEventHandler(), LivekitEventHandler(), ContextUpdateHandler()]


class EventManager:
    """Runs every registered handler that can handle an event, in registration order, after recording it.

    Without ``handlers`` it runs the default ones, and until its handlers are asked for or changed it runs instances
    shared by every such manager (with their plans): a session then holds none of its own, and the shared ones stay
    in the processor's cache between the events of many sessions. Nobody can reach the shared instances, so nobody
    can give them callbacks."""

    def __init__(self, handlers: Iterable[EventHandler] | None = None) -> None:
        self._handlers: list[EventHandler] | None = None if handlers is None else list(handlers)
        """None: the shared defaults."""
        self._plans: dict[EventType, tuple[Step, ...]] = _SHARED_PLANS if handlers is None else {}

    def _own(self) -> list[EventHandler]:
        """This manager's handlers, its own instances (made now, in place of the shared defaults, if need be)."""
        if self._handlers is None:
            self._handlers = default_handlers()
            self._plans = {}
        return self._handlers

    @property
    def handlers(self) -> tuple[EventHandler, ...]:
        return tuple(self._own())

    def register_handler(self, handler: EventHandler) -> None:
        self._own().append(handler)
        self._plans = {}

    def unregister_handler(self, handler: EventHandler) -> None:
        self._own().remove(handler)
        self._plans = {}

    def _plan(self, kind: EventType) -> tuple[Step, ...]:
        """The handlers that may handle events of type ``kind``, in registration order, each with what folds such an
        event in (see :class:`Step`)."""
        plan = []
        for handler in _SHARED_HANDLERS if self._handlers is None else self._handlers:
            handler_type = type(handler)
            asks = handler_type.can_handle is not EventHandler.can_handle
            if (asks and not handler.narrows) or kind in handler.event_types:
                plain = handler_type.handle is EventHandler.handle
                plan.append(Step(handler, asks, handler.applier(kind) if plain else handler.handle, plain))
        self._plans[kind] = steps = tuple(plan)
        return steps

    def process_event(self, event: EventData, context: SessionContext) -> None:
        context.record_event(event)
        plan = self._plans.get(event.type)
        for handler, asks, fold, plain in self._plan(event.type) if plan is None else plan:
            if asks and not handler.can_handle(event):
                continue
            fold(event, context)
            if plain and handler._callbacks:  # what EventHandler.handle does after apply
                for callback in handler._callbacks:
                    callback(event, context)


_SHARED_HANDLERS = default_handlers()
_SHARED_PLANS: dict[EventType, tuple[Step, ...]] = {}
"""The default handlers and their plans, shared by every event manager that runs them (see :class:`EventManager`)."""
