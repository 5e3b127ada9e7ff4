"""Event types, and the one table from LiveKit's event names to them.

Everything that reaches an orchestrator has one of these types. The LiveKit shell subscribes to exactly the events
this table names, and a ``livekit_event`` condition may name any of its keys: add a LiveKit event here and both
follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal


class EventType(StrEnum):
    SESSION_CREATED = "session_created"
    SESSION_ENDED = "session_ended"
    USER_JOINED = "user_joined"
    USER_LEFT = "user_left"
    AGENT_STARTED = "agent_started"
    AGENT_STOPPED = "agent_stopped"
    AGENT_ERROR = "agent_error"
    USER_MESSAGE = "user_message"
    AGENT_MESSAGE = "agent_message"
    TOOL_CALLED = "tool_called"
    TOOL_RESULT = "tool_result"
    AGENT_DECISION = "agent_decision"
    TRANSITION = "transition"
    USER_STATE_CHANGED = "user_state_changed"
    AGENT_STATE_CHANGED = "agent_state_changed"
    CUSTOM = "custom"

    @classmethod
    def parse(cls, value: Any) -> EventType:
        """Accept a member, its value (``"user_left"``) or its name (``"USER_LEFT"``)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            if value in cls._value2member_map_:
                return cls(value)
            if value.upper() in cls.__members__:
                return cls[value.upper()]
        raise ValueError(f"unknown event type {value!r}; expected one of {', '.join(m.value for m in cls)}")


Emitter = Literal["room", "session"]


@dataclass(frozen=True, slots=True)
class LivekitEvent:
    """One row of the table: a fact LiveKit reports, the event type it becomes, and where it comes from.

    ``name`` is what a ``livekit_event`` condition names and what an event's ``data["livekit_event"]`` holds.
    ``emitted`` is the event the emitter (``rtc.Room`` or ``AgentSession``) fires for it, which the shell
    subscribes to; it differs from ``name`` where one emitted event carries several kinds of fact
    (``conversation_item_added/user``), and is None where the shell reports a fact under a name of its own.
    """

    name: str
    event_type: EventType
    emitter: Emitter
    emitted: str | None


def _room(name: str, event_type: EventType, emitted: str | None = "") -> LivekitEvent:
    return LivekitEvent(name, event_type, "room", name if emitted == "" else emitted)


def _session(name: str, event_type: EventType, emitted: str | None = "") -> LivekitEvent:
    return LivekitEvent(name, event_type, "session", name if emitted == "" else emitted)


LIVEKIT_EVENTS: tuple[LivekitEvent, ...] = (
    # rtc 1.x never emits "connected": a connection_state_changed to CONNECTED is reported under that name
    _room("connected", EventType.SESSION_CREATED, emitted=None),
    _room("connection_state_changed", EventType.CUSTOM),
    _room("reconnecting", EventType.CUSTOM),
    _room("reconnected", EventType.CUSTOM),
    _room("disconnected", EventType.SESSION_ENDED),
    _room("participant_connected", EventType.USER_JOINED),
    _room("participant_disconnected", EventType.USER_LEFT),
    _room("data_received", EventType.CUSTOM),
    _room("sip_dtmf_received", EventType.CUSTOM),
    _room("room_metadata_changed", EventType.CUSTOM),
    _room("participant_metadata_changed", EventType.CUSTOM),
    _room("participant_attributes_changed", EventType.CUSTOM),
    _room("track_subscribed", EventType.CUSTOM),
    _room("track_unsubscribed", EventType.CUSTOM),
    _session("conversation_item_added", EventType.AGENT_MESSAGE),
    _session("conversation_item_added/user", EventType.USER_MESSAGE, emitted="conversation_item_added"),
    # a conversation_item_added whose item is an AgentHandoff
    _session("agent_handoff", EventType.AGENT_STARTED, emitted="conversation_item_added"),
    _session("function_tools_executed/call", EventType.TOOL_CALLED, emitted="function_tools_executed"),
    _session("function_tools_executed", EventType.TOOL_RESULT),
    # a transcript is not a turn: the turn is the user's chat item
    _session("user_input_transcribed", EventType.CUSTOM),
    _session("user_state_changed", EventType.USER_STATE_CHANGED),
    _session("agent_state_changed", EventType.AGENT_STATE_CHANGED),
    _session("error", EventType.AGENT_ERROR),
    _session("close", EventType.SESSION_ENDED),
)
"""The one table of LiveKit events. A user turn counts once, from the user's chat item
(``conversation_item_added/user``, with the item id as event id), whether it was typed or spoken: final transcripts
(``user_input_transcribed``) are kept as CUSTOM events so that a spoken turn is not counted twice."""

LIVEKIT_EVENT_MAP: Mapping[str, EventType] = {e.name: e.event_type for e in LIVEKIT_EVENTS}
"""LiveKit event name -> event type, derived from :data:`LIVEKIT_EVENTS`."""


def emitted_events(emitter: Emitter) -> tuple[str, ...]:
    """The events to subscribe to on ``emitter``, each once, in table order."""
    return tuple(dict.fromkeys(e.emitted for e in LIVEKIT_EVENTS if e.emitter == emitter and e.emitted))


CONTEXT_UPDATES_KEY = "context_updates"
"""The data key of an event that sets context values (``update_context``, a transition request)."""

API_SOURCE = "api"
"""The source of events the Python API makes (context updates, moves by hand): only these may change the context
directly, so nothing a room participant sends can."""

ORCHESTRATOR_SOURCE = "orchestrator"
"""The source of the events the orchestrator records itself (hand-overs)."""

__all__ = [
    "API_SOURCE",
    "CONTEXT_UPDATES_KEY",
    "LIVEKIT_EVENTS",
    "LIVEKIT_EVENT_MAP",
    "ORCHESTRATOR_SOURCE",
    "Emitter",
    "EventType",
    "LivekitEvent",
    "emitted_events",
]
