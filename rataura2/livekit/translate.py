"""LiveKit's event objects as plain facts: a key of ``LIVEKIT_EVENT_MAP``, JSON data and a time.

Pure functions, no I/O: the session bridge feeds what they return to the orchestrator. ``rtc.Room`` emits named
events with positional arguments (no event object), so :func:`room_event` takes the name and the arguments;
AgentSession events are pydantic objects with a ``type``, read by :func:`session_events`.

Event ids come from LiveKit's own ids where there are some (chat items, tool calls), so the same fact reported twice
(a user's chat item seen both before the reply and when it is committed) is one event for the orchestrator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livekit import rtc
from livekit.agents import (
    AgentStateChangedEvent,
    CloseEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
    FunctionToolsExecutedEvent,
    UserInputTranscribedEvent,
    UserStateChangedEvent,
    llm,
)

from rataura2.vocabulary.events import LIVEKIT_EVENTS

ROOM_EVENT_NAMES = frozenset(e.name for e in LIVEKIT_EVENTS if e.emitter == "room")
"""The ``rtc.Room`` facts :func:`room_event` reads (from the one table, ``LIVEKIT_EVENTS``). rtc 1.x never emits
``connected``: a ``connection_state_changed`` to CONNECTED is reported under that name."""

MAX_DATA_TEXT = 4096
"""Longest data-packet text kept in an event (events have a size bound; packets can be large)."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One LiveKit fact, ready for ``LivekitEventHandler.to_event``."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    timestamp: float = 0.0
    key: str | None = None
    """A stable id suffix (``item/<chat item id>``, ``call/<call id>/result``) when LiveKit gives one."""
    item: llm.ChatMessage | None = None
    """The user's chat message, for a user turn (the bridge hands it to the next agent)."""


_SCALARS = frozenset({str, int, float, bool, type(None)})


def json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with anything JSON cannot hold written as text: LiveKit objects are not always what their types
    say (the console's room and participants are mocks), and an event must be JSON. Most facts are flat, with
    text keys and plain values: those are copied as they are (the event validates and copies them again)."""
    if all(type(k) is str and type(v) in _SCALARS for k, v in data.items()):
        return dict(data)
    safe: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return safe


def participant_data(participant: rtc.Participant) -> dict[str, Any]:
    return {
        "participant_id": participant.identity,
        "participant_name": participant.name,
        "participant_sid": participant.sid,
        "participant_kind": _enum_name(rtc.ParticipantKind, participant.kind),
        "attributes": dict(participant.attributes),
    }


def room_event(name: str, args: Sequence[Any], *, now: float | None = None) -> Fact | None:
    """The fact an ``rtc.Room`` event stands for, or None for events the table does not map."""
    ts = time.time() if now is None else now
    data: dict[str, Any]
    if name in ("participant_connected", "participant_disconnected"):
        participant = args[0]
        data = participant_data(participant)
        if name == "participant_disconnected" and isinstance(participant, rtc.RemoteParticipant):
            data["reason"] = _enum_name(rtc.DisconnectReason, participant.disconnect_reason)
        key = f"participant/{participant.sid}/{name.removeprefix('participant_')}" if participant.sid else None
        return Fact(name, data, ts, key)
    elif name == "participant_metadata_changed":
        participant, old, new = args
        data = {"participant_id": participant.identity, "old_metadata": old, "metadata": new}
    elif name == "participant_attributes_changed":
        changed, participant = args
        data = {"participant_id": participant.identity, "changed_attributes": dict(changed)}
    elif name == "connection_state_changed":
        state = args[0]
        if state == rtc.ConnectionState.CONN_CONNECTED:
            return Fact("connected", {}, ts)
        data = {"state": _enum_name(rtc.ConnectionState, state)}
    elif name == "disconnected":
        data = {"reason": _enum_name(rtc.DisconnectReason, args[0]) if args else None}
    elif name in ("reconnecting", "reconnected", "connected"):
        data = {}
    elif name == "room_metadata_changed":
        old, new = args
        data = {"old_metadata": old, "metadata": new}
    elif name == "data_received":
        data = data_packet(args[0])
    elif name == "sip_dtmf_received":
        dtmf = args[0]
        data = {"code": dtmf.code, "digit": dtmf.digit}
        if dtmf.participant is not None:
            data["participant_id"] = dtmf.participant.identity
    elif name in ("track_subscribed", "track_unsubscribed"):
        track, publication, participant = args
        data = {
            "participant_id": participant.identity,
            "track_sid": publication.sid,
            "track_kind": _enum_name(rtc.TrackKind, track.kind),
        }
    else:
        return None
    return Fact(name, data, ts)


def data_packet(packet: rtc.DataPacket) -> dict[str, Any]:
    """A data packet's topic, sender and text; a packet that is a JSON object is also given decoded, under
    ``payload``, so that an ``event`` condition can match what a client sends (``{"payload": {"kind": "scan"}}``).
    The client's fields stay under ``payload``: a participant cannot pose as the orchestrator or as LiveKit."""
    text = packet.data.decode("utf-8", errors="replace")
    data: dict[str, Any] = {"topic": packet.topic, "text": text[:MAX_DATA_TEXT]}
    if packet.participant is not None:
        data["participant_id"] = packet.participant.identity
    try:
        decoded = json.loads(text) if len(text) <= MAX_DATA_TEXT else None
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        data["payload"] = decoded
    return data


def session_events(event: Any, *, tool_ids: Mapping[str, int] | None = None) -> list[Fact]:
    """The facts an AgentSession event stands for: none, one, or two per executed tool call."""
    ts = float(getattr(event, "created_at", None) or time.time())
    if isinstance(event, ConversationItemAddedEvent):
        fact = chat_item(event.item, ts)
        return [fact] if fact is not None else []
    if isinstance(event, FunctionToolsExecutedEvent):
        return tool_facts(event, ts, tool_ids or {})
    if isinstance(event, AgentStateChangedEvent | UserStateChangedEvent):
        return [Fact(event.type, {"old_state": event.old_state, "new_state": event.new_state}, ts)]
    if isinstance(event, UserInputTranscribedEvent):
        if not event.is_final:
            return []
        data = {"transcript": event.transcript, "language": _str_or_none(event.language)}
        if event.speaker_id:
            data["speaker_id"] = event.speaker_id
        return [Fact("user_input_transcribed", data, ts)]
    if isinstance(event, ErrorEvent):
        return [Fact("error", error_data(event), ts)]
    if isinstance(event, CloseEvent):
        data = {"reason": event.reason.value}
        if event.error is not None:
            data["error"] = _error_message(event.error)
        return [Fact("close", data, ts)]
    return []


def chat_item(item: Any, ts: float) -> Fact | None:
    if isinstance(item, llm.ChatMessage) and item.role in ("user", "assistant"):
        text = item.text_content or ""
        if item.role == "user":
            return Fact(
                "conversation_item_added/user", {"message": text, "item_id": item.id}, ts, f"item/{item.id}", item
            )
        data = {"message": text, "item_id": item.id, "interrupted": item.interrupted}
        return Fact("conversation_item_added", data, ts, f"item/{item.id}")
    if isinstance(item, llm.AgentHandoff):
        data = {"old_agent": item.old_agent_id, "new_agent": item.new_agent_id, "item_id": item.id}
        return Fact("agent_handoff", data, ts, f"item/{item.id}")
    return None


def user_turn(message: llm.ChatMessage) -> Fact:
    """The user turn a chat message commits (the same fact as its ``conversation_item_added``)."""
    fact = chat_item(message, message.created_at)
    assert fact is not None
    return fact


def tool_facts(event: FunctionToolsExecutedEvent, ts: float, tool_ids: Mapping[str, int]) -> list[Fact]:
    """A TOOL_CALLED and a TOOL_RESULT per executed call. Outputs are strings in LiveKit; rataura2's tools return
    JSON, which is decoded so that ``tool_result`` conditions can read ``result_key`` paths."""
    facts = []
    for call, output in event.zipped():
        base: dict[str, Any] = {
            "tool_name": call.name,
            "arguments": _json_or_text(call.arguments),
            "call_id": call.call_id,
        }
        if call.name in tool_ids:
            base["tool_id"] = tool_ids[call.name]
        facts.append(Fact("function_tools_executed/call", base, ts, f"call/{call.call_id}/called"))
        result = {**base, "result": _json_or_text(output.output), "is_error": output.is_error}
        facts.append(Fact("function_tools_executed", result, ts, f"call/{call.call_id}/result"))
    return facts


def error_data(event: ErrorEvent) -> dict[str, Any]:
    error = event.error
    source = event.source
    data: dict[str, Any] = {
        "message": _error_message(error),
        "recoverable": bool(getattr(error, "recoverable", False)),
        "error_type": str(getattr(error, "type", type(error).__name__)),
        "source": type(source).__name__,
    }
    model = getattr(source, "model", None)
    if isinstance(model, str):
        data["model"] = model
    return data


def _error_message(error: Any) -> str:
    inner = getattr(error, "error", None)
    if isinstance(inner, BaseException):
        return f"{type(inner).__name__}: {inner}"
    return str(error)


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _enum_name(enum: Any, value: Any) -> str | None:
    """The name of a protobuf enum value (``"CLIENT_INITIATED"``), its number if unknown, None if unset."""
    if value is None:
        return None
    try:
        return str(enum.Name(value))
    except (ValueError, TypeError, AttributeError):
        return str(value)
