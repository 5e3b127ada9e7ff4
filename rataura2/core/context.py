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
from types import MappingProxyType
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


_SESSION, _TURN = Scope.SESSION, Scope.TURN
"""As plain names: reading a member off its class costs a descriptor call."""

NO_METADATA: Mapping[str, Any] = MappingProxyType({})
"""The metadata of a value set without any: one read-only mapping shared by all of them (a session holds a few dozen
values, and an empty dict each would be a tenth of an idle session's memory)."""


@dataclass(slots=True)
class ContextValue:
    value: Any
    scope: Scope = Scope.SESSION
    ttl: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=lambda: NO_METADATA)
    set_at: float = 0.0

    def expired(self, now: float) -> bool:
        return self.ttl is not None and now > self.set_at + self.ttl

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "scope": self.scope.value,
            "ttl": self.ttl,
            "metadata": dict(self.metadata),
            "set_at": self.set_at,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ContextValue:
        return cls(
            raw["value"],
            Scope(raw.get("scope", "session")),
            raw.get("ttl"),
            dict(raw["metadata"]) if raw.get("metadata") else NO_METADATA,
            float(raw.get("set_at", 0.0)),
        )


class Checkpoint:
    """A way back to the context as it was (see :meth:`SessionContext.checkpoint`), and the journal of what changed
    since, enough to undo it: the first old value of each key changed (None: it was not set), a full copy of the
    values taken before the first removal (so that undoing keeps their order), what each append to a bounded
    sequence pushed out, and the keys that may hold scoped values. One object with slots: one is taken per event."""

    __slots__ = ("appended", "before", "now", "revision", "scoped", "transition_total", "values")

    def __init__(self, scoped: set[str] | None, transition_total: int, now: float, revision: int) -> None:
        self.values: dict[str, ContextValue | None] = {}
        self.before: dict[str, ContextValue] | None = None
        self.appended: list[tuple[deque[Any], Any]] = []
        self.scoped = scoped
        self.transition_total = transition_total
        self.now = now
        self.revision = revision


RESERVED_FIELDS = frozenset({"events", "conversation", "transitions"})
"""Context fields kept as bounded sequences by the context itself, not settable as values."""

IDENTITY_FIELDS = frozenset(
    {
        "session_id",
        "conversation_id",
        "conversation_name",
        "conversation_description",
        "conversation_version",
        "initial_agent_id",
        "initial_agent_name",
        "agents",
    }
)
"""What the session runs on, set once when it starts."""

AGENT_FIELDS = frozenset(
    {"current_agent_id", "current_agent_name", "previous_agent_id", "agent_entered_at", "agent_entered_event_count"}
)
"""Where the session stands, set by hand-overs."""

DERIVED_FIELDS = frozenset(
    {
        "event_count",
        "turn_count",
        "session",
        "tool_results",
        "tool_errors",
        "last_tool_name",
        "last_tool_call",
        "agent_decisions",
        "last_error",
        "agent_status",
        "user_state",
        "agent_state",
    }
)
"""What the event handlers compute from events; conditions, rules and resumes rely on their types."""

HAND_OVERS_THIS_TURN = "hand_overs_this_turn"
"""Hand-overs since the user's last turn: what ``max_transitions_per_turn`` is checked against."""

OWNED_FIELDS = RESERVED_FIELDS | IDENTITY_FIELDS | AGENT_FIELDS | DERIVED_FIELDS | {HAND_OVERS_THIS_TURN}
"""Context fields only the orchestrator may change: ``update_context``, transition requests and rule actions
refuse them, so no caller can give one a value of the wrong type and wedge the session."""


TYPED_FIELDS: Mapping[str, type] = {"user_input": str}
"""Derived fields that callers may also set (a test harness, a transcript fixed by hand), in the type the handlers
give them."""


def as_count(value: Any) -> int:
    """A counter read back from the context: a non-negative int whatever is stored."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class SessionContext:
    """The state of one session that events update and conditions read.

    Ordinary fields are :class:`ContextValue` entries; ``events`` (the last ``history_limit`` events),
    ``conversation`` (messages) and ``transitions`` (hand-overs taken) are kept as bounded sequences.
    """

    def __init__(self, values: Mapping[str, Any] | None = None, *, history_limit: int | None = None) -> None:
        limit = history_limit or get_settings().history_limit
        self.history_limit = limit
        self._values: dict[str, ContextValue] = {}
        self._events: deque[EventData | dict[str, Any]] = deque(maxlen=limit)
        """The latest events: as they came (their plain-dict view is made when the history is read, which most
        events never are), or as dicts (a context rebuilt from a snapshot)."""
        self._conversation: deque[dict[str, Any]] = deque(maxlen=limit)
        self._transitions: deque[dict[str, Any]] = deque(maxlen=limit)
        """The latest hand-overs; every one is in the session's log, as a ``transition`` event."""
        self._transition_total = 0
        self._scoped: set[str] | None = None
        """Keys that may hold values of turn or agent scope (a superset): clearing a scope looks at these only.
        None until there is one (most sessions never have one, and an empty set is 200 bytes)."""
        self._journal: Checkpoint | None = None
        """What changed since the latest checkpoint, while it can still be restored."""
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
                    "events": self._event_views(),
                    "conversation": self._conversation,
                    "transitions": self._transitions,
                }[key]
            )
        entry = self._values.get(key)
        if entry is None or (entry.ttl is not None and self.now > entry.set_at + entry.ttl):  # expired(), inlined
            return default
        return entry.value

    def get_entry(self, key: str) -> ContextValue | None:
        entry = self._values.get(key)
        return None if entry is None or (entry.ttl is not None and self.now > entry.set_at + entry.ttl) else entry

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
        if not isinstance(scope, Scope):
            scope = Scope(scope)
        if scope is not Scope.SESSION:
            if self._scoped is None:
                self._scoped = set()
            self._scoped.add(key)
        values = self._values
        journal = self._journal
        if journal is not None and key not in journal.values:
            journal.values[key] = values.get(key)
        values[key] = ContextValue(
            value, scope, ttl, dict(metadata) if metadata else NO_METADATA, self.now if timestamp is None else timestamp
        )
        self.revision += 1

    def put(self, key: str, value: Any, timestamp: float) -> None:
        """``set`` of a session-scoped value without metadata, for the fields the session keeps itself (never reserved
        ones): the event handlers and hand-overs. The checks ``set`` makes for callers cost more than the change."""
        values = self._values
        journal = self._journal
        if journal is not None and key not in journal.values:
            journal.values[key] = values.get(key)
        values[key] = ContextValue(value, _SESSION, None, NO_METADATA, timestamp)
        self.revision += 1

    def delete(self, key: str) -> None:
        if key in self._values:
            self._remove(key)
            self.revision += 1

    def _remove(self, key: str) -> None:
        journal = self._journal
        if journal is not None:
            if journal.before is None:
                journal.before = dict(self._values)
            if key not in journal.values:
                journal.values[key] = self._values[key]
        del self._values[key]

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
        timestamp = event.timestamp
        if timestamp > self.now:
            self.now = timestamp
        events = self._events  # _append(), inlined: every event comes here
        journal = self._journal
        if journal is not None:
            journal.appended.append((events, events[0] if len(events) == events.maxlen else None))
        events.append(event)
        counted = self._values.get("event_count")
        count = counted.value if counted is not None else 0
        if type(count) is not int or count < 0:  # as_count(), for what is always an int here
            count = as_count(count)
        self.put("event_count", count + 1, timestamp)
        if event.type == "user_message":
            self._clear_scope(_TURN)
            if self.get(HAND_OVERS_THIS_TURN):
                self.put(HAND_OVERS_THIS_TURN, 0, timestamp)
        self.revision += 1

    def append_message(self, role: str, text: str, agent_id: Any, timestamp: float) -> None:
        self._append(self._conversation, {"role": role, "text": text, "agent_id": agent_id, "timestamp": timestamp})
        self.revision += 1

    def enter_agent(self, record: Mapping[str, Any], agent_name: str) -> None:
        """Record a hand-over (``record`` has from, to, transition id, reason) and make ``to`` current."""
        self._clear_scope(Scope.AGENT)
        self._append(self._transitions, dict(record))
        self._transition_total += 1
        ts = float(record.get("timestamp", self.now))
        put = self.put
        put("previous_agent_id", record.get("from_agent_id"), ts)
        put("current_agent_id", record["to_agent_id"], ts)
        put("current_agent_name", agent_name, ts)
        put("agent_entered_at", ts, ts)
        put("agent_entered_event_count", as_count(self.get("event_count")), ts)
        put(HAND_OVERS_THIS_TURN, as_count(self.get(HAND_OVERS_THIS_TURN)) + 1, ts)

    def _append(self, sequence: deque[dict[str, Any]], entry: dict[str, Any]) -> None:
        """Append to a bounded sequence, noting in the checkpoint's journal what the append pushes out."""
        journal = self._journal
        if journal is not None:
            journal.appended.append((sequence, sequence[0] if len(sequence) == sequence.maxlen else None))
        sequence.append(entry)

    def _clear_scope(self, scope: Scope) -> None:
        scoped = self._scoped
        if not scoped:
            return
        values = self._values
        for key in list(scoped):
            entry = values.get(key)
            if entry is None or entry.scope is Scope.SESSION:
                scoped.discard(key)
            elif entry.scope is scope:
                self._remove(key)
                scoped.discard(key)

    # views and serialisation ------------------------------------------------------------------------------
    def _event_views(self) -> list[dict[str, Any]]:
        return [e if isinstance(e, dict) else e.summary_view for e in self._events]

    @property
    def events(self) -> list[dict[str, Any]]:
        return self._event_views()

    def events_since_entered(self) -> list[dict[str, Any]]:
        """The events (still in the history) since the session entered its current agent, oldest first."""
        count = as_count(self.get("event_count")) - as_count(self.get("agent_entered_event_count"))
        if count <= 0:
            return []
        return self._event_views()[-count:]

    @property
    def transition_count(self) -> int:
        """Hand-overs since the session started (the context keeps only the latest ``history_limit``)."""
        return self._transition_total

    @property
    def last_event(self) -> dict[str, Any] | None:
        if not self._events:
            return None
        last = self._events[-1]
        return last if isinstance(last, dict) else last.summary_view

    def to_dict(self) -> dict[str, Any]:
        """The plain values, as ``get_context()`` returns them (a copy: changing it changes nothing here)."""
        out = {k: v.value for k, v in self._values.items() if not v.expired(self.now)}
        out["events"] = self._event_views()
        out["conversation"] = list(self._conversation)
        out["transitions"] = list(self._transitions)
        copied: dict[str, Any] = json.loads(json.dumps(out, default=str))
        return copied

    def to_state(self) -> dict[str, Any]:
        """Everything needed to rebuild this context exactly (values with their scope, TTL and metadata)."""
        return {
            "values": {k: v.to_dict() for k, v in self._values.items()},
            "events": self._event_views(),
            "conversation": list(self._conversation),
            "transitions": list(self._transitions),
            "transition_total": self._transition_total,
            "history_limit": self._events.maxlen,
            "now": self.now,
            "revision": self.revision,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SessionContext:
        context = cls(history_limit=state.get("history_limit"))
        context._values = {k: ContextValue.from_dict(v) for k, v in state.get("values", {}).items()}
        context._scoped = {k for k, v in context._values.items() if v.scope is not Scope.SESSION} or None
        context._events.extend(state.get("events", []))
        context._conversation.extend(state.get("conversation", []))
        context._transitions.extend(state.get("transitions", []))
        context._transition_total = int(state.get("transition_total", len(state.get("transitions", []))))
        context.now = float(state.get("now", 0.0))
        context.revision = int(state.get("revision", 0))
        return context

    def checkpoint(self) -> Checkpoint:
        """A way back, to :meth:`restore` if what follows must be undone. The context journals its changes from here
        (the old value of each key it changes, what appends push out of the history) rather than copying itself: a
        copy would cost more than everything else an event does. Only the latest checkpoint can be restored;
        :meth:`discard` it once what followed is kept."""
        self._journal = checkpoint = Checkpoint(
            set(self._scoped) if self._scoped else None, self._transition_total, self.now, self.revision
        )
        return checkpoint

    def discard(self, checkpoint: Checkpoint) -> None:
        """Keep what changed since ``checkpoint`` (and stop journaling for it)."""
        if self._journal is checkpoint:
            self._journal = None

    def restore(self, checkpoint: Checkpoint) -> None:
        """Undo every change since ``checkpoint``, values in their order. ``ValueError`` if it is not the latest
        checkpoint, or was restored or discarded already."""
        journal = checkpoint
        if self._journal is not journal:
            raise ValueError("only the latest checkpoint of a context can be restored, once")
        self._journal = None
        for sequence, pushed_out in reversed(journal.appended):
            sequence.pop()
            if pushed_out is not None:
                sequence.appendleft(pushed_out)
        values = self._values if journal.before is None else journal.before
        for key, old in journal.values.items():
            if old is None:
                values.pop(key, None)
            else:
                values[key] = old
        self._values = values
        self._scoped = journal.scoped
        self._transition_total = checkpoint.transition_total
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
