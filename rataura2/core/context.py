"""The session context: everything known about a session, as values with a scope, an optional TTL and metadata.

Time in a context is event time: a value's TTL runs from the timestamp of the event that set it, and "now" is the
timestamp of the latest event. The context never reads the clock, so a replayed session reaches the same state.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rataura2.settings import get_settings

if TYPE_CHECKING:
    from rataura2.core.events import EventData


class Scope(StrEnum):
    SESSION = "session"
    """Lives as long as the session."""
    AGENT = "agent"
    """Cleared when the session moves to another agent."""
    TURN = "turn"
    """Cleared at the next user message."""


@dataclass(slots=True)
class ContextValue:
    value: Any
    scope: Scope = Scope.SESSION
    ttl: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    set_at: float = 0.0

    def expired(self, now: float) -> bool:
        return self.ttl is not None and now > self.set_at + self.ttl

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "scope": self.scope.value,
            "ttl": self.ttl,
            "metadata": self.metadata,
            "set_at": self.set_at,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ContextValue:
        return cls(
            raw["value"],
            Scope(raw.get("scope", "session")),
            raw.get("ttl"),
            dict(raw.get("metadata") or {}),
            float(raw.get("set_at", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    values: dict[str, ContextValue]
    events: list[dict[str, Any]]
    conversation: list[dict[str, Any]]
    transition_count: int
    now: float
    revision: int


RESERVED_FIELDS = frozenset({"events", "conversation", "transitions"})
"""Context fields kept as bounded sequences by the context itself, not settable as values."""

OWNED_FIELDS = RESERVED_FIELDS | {"current_agent_id", "current_agent_name", "previous_agent_id", "turn_count"}
"""Context fields only the orchestrator may change: ``update_context`` and rule actions refuse them."""


class SessionContext:
    """The state of one session that events update and conditions read.

    Ordinary fields are :class:`ContextValue` entries; ``events`` (the last ``history_limit`` events),
    ``conversation`` (messages) and ``transitions`` (hand-overs taken) are kept as bounded sequences.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, *, history_limit: int | None = None) -> None:
        limit = history_limit or get_settings().history_limit
        self._values: dict[str, ContextValue] = {}
        self._events: deque[dict[str, Any]] = deque(maxlen=limit)
        self._conversation: deque[dict[str, Any]] = deque(maxlen=limit)
        self._transitions: list[dict[str, Any]] = []
        self.now = 0.0
        self.revision = 0
        """Grows with every change; lets the orchestrator tell whether anything is new since it last looked."""
        for key, value in (values or {}).items():
            self.set(key, value)

    # values -----------------------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        if key in RESERVED_FIELDS:
            return list(
                {
                    "events": self._events,
                    "conversation": self._conversation,
                    "transitions": self._transitions,
                }[key]
            )
        entry = self._values.get(key)
        if entry is None or entry.expired(self.now):
            return default
        return entry.value

    def get_entry(self, key: str) -> ContextValue | None:
        entry = self._values.get(key)
        return None if entry is None or entry.expired(self.now) else entry

    def set(
        self,
        key: str,
        value: Any,
        *,
        scope: Scope | str = Scope.SESSION,
        ttl: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        timestamp: float | None = None,
    ) -> None:
        if key in RESERVED_FIELDS:
            raise ValueError(f"context field {key!r} is kept by the session and cannot be set")
        if ttl is not None and not ttl > 0:
            raise ValueError(f"ttl of context field {key!r} must be positive, got {ttl!r}")
        self._values[key] = ContextValue(
            value,
            scope if isinstance(scope, Scope) else Scope(scope),
            ttl,
            dict(metadata or {}),
            self.now if timestamp is None else timestamp,
        )
        self.revision += 1

    def delete(self, key: str) -> None:
        if self._values.pop(key, None) is not None:
            self.revision += 1

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in RESERVED_FIELDS or self.get_entry(key) is not None)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            raise KeyError(key)
        return self.get(key)

    def keys(self) -> Iterator[str]:
        yield from (k for k, v in self._values.items() if not v.expired(self.now))
        yield from sorted(RESERVED_FIELDS)

    # what events add --------------------------------------------------------------------------------------
    def record_event(self, event: EventData) -> None:
        """Move "now" to the event's time, add it to the history and drop what it ends (turn scope)."""
        self.now = max(self.now, event.timestamp)
        self._events.append(event.summary())
        self.set("event_count", self.get("event_count", 0) + 1, timestamp=event.timestamp)
        if event.type == "user_message":
            self._clear_scope(Scope.TURN)
        self.revision += 1

    def append_message(self, role: str, text: str, agent_id: Any, timestamp: float) -> None:
        self._conversation.append({"role": role, "text": text, "agent_id": agent_id, "timestamp": timestamp})
        self.revision += 1

    def enter_agent(self, record: Mapping[str, Any], agent_name: str) -> None:
        """Record a hand-over (``record`` has from, to, transition id, reason) and make ``to`` current."""
        self._clear_scope(Scope.AGENT)
        self._transitions.append(dict(record))
        ts = float(record.get("timestamp", self.now))
        self.set("previous_agent_id", record.get("from_agent_id"), timestamp=ts)
        self.set("current_agent_id", record["to_agent_id"], timestamp=ts)
        self.set("current_agent_name", agent_name, timestamp=ts)
        self.set("agent_entered_at", ts, timestamp=ts)
        self.set("agent_entered_event_count", self.get("event_count", 0), timestamp=ts)

    def _clear_scope(self, scope: Scope) -> None:
        for key in [k for k, v in self._values.items() if v.scope is scope]:
            del self._values[key]

    # views and serialisation ------------------------------------------------------------------------------
    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self._events)

    def events_since_entered(self) -> list[dict[str, Any]]:
        """The events (still in the history) since the session entered its current agent, oldest first."""
        count = self.get("event_count", 0) - self.get("agent_entered_event_count", 0)
        if count <= 0:
            return []
        return list(self._events)[-count:]

    @property
    def transition_count(self) -> int:
        return len(self._transitions)

    @property
    def last_event(self) -> dict[str, Any] | None:
        return self._events[-1] if self._events else None

    def to_dict(self) -> dict[str, Any]:
        """The plain values, as ``get_context()`` returns them (a copy: changing it changes nothing here)."""
        out = {k: v.value for k, v in self._values.items() if not v.expired(self.now)}
        out["events"] = list(self._events)
        out["conversation"] = list(self._conversation)
        out["transitions"] = list(self._transitions)
        copied: dict[str, Any] = json.loads(json.dumps(out, default=str))
        return copied

    def to_state(self) -> dict[str, Any]:
        """Everything needed to rebuild this context exactly (values with their scope, TTL and metadata)."""
        return {
            "values": {k: v.to_dict() for k, v in self._values.items()},
            "events": list(self._events),
            "conversation": list(self._conversation),
            "transitions": list(self._transitions),
            "history_limit": self._events.maxlen,
            "now": self.now,
            "revision": self.revision,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SessionContext:
        context = cls(history_limit=state.get("history_limit"))
        context._values = {k: ContextValue.from_dict(v) for k, v in state.get("values", {}).items()}
        context._events.extend(state.get("events", []))
        context._conversation.extend(state.get("conversation", []))
        context._transitions = list(state.get("transitions", []))
        context.now = float(state.get("now", 0.0))
        context.revision = int(state.get("revision", 0))
        return context

    def checkpoint(self) -> Checkpoint:
        """A cheap copy to :meth:`restore` if what follows must be undone. Shallow is enough: values are
        replaced, never changed in place."""
        return Checkpoint(
            dict(self._values),
            list(self._events),
            list(self._conversation),
            len(self._transitions),
            self.now,
            self.revision,
        )

    def restore(self, checkpoint: Checkpoint) -> None:
        self._values = dict(checkpoint.values)
        self._events.clear()
        self._events.extend(checkpoint.events)
        self._conversation.clear()
        self._conversation.extend(checkpoint.conversation)
        del self._transitions[checkpoint.transition_count :]
        self.now = checkpoint.now
        self.revision = checkpoint.revision

    def to_json(self) -> str:
        return json.dumps(self.to_state(), default=str)

    @classmethod
    def from_json(cls, text: str) -> SessionContext:
        return cls.from_state(json.loads(text))


class ContextManager:
    """The contexts of many sessions, by session id; safe to use from several threads."""

    def __init__(self) -> None:
        self._contexts: dict[str, SessionContext] = {}
        self._lock = threading.Lock()

    def create_context(self, session_id: str, values: Mapping[str, Any] | None = None) -> SessionContext:
        with self._lock:
            if session_id in self._contexts:
                raise ValueError(f"a context for session {session_id!r} exists already")
            context = self._contexts[session_id] = SessionContext(values)
            return context

    def add_context(self, session_id: str, context: SessionContext) -> None:
        with self._lock:
            self._contexts[session_id] = context

    def get_context(self, session_id: str) -> SessionContext | None:
        return self._contexts.get(session_id)

    def remove_context(self, session_id: str) -> SessionContext | None:
        with self._lock:
            return self._contexts.pop(session_id, None)

    def session_ids(self) -> list[str]:
        return list(self._contexts)

    def __len__(self) -> int:
        return len(self._contexts)
