"""Events: validation errors that name the field, the LiveKit mapping table, and handlers folding into context."""

from __future__ import annotations

import json
import math
import multiprocessing

import pytest

from rataura2.core import events as events_module
from rataura2.core.context import SessionContext
from rataura2.core.events import (
    AgentEventHandler,
    EventData,
    EventHandler,
    EventManager,
    LivekitEventHandler,
    SessionEventHandler,
)
from rataura2.errors import InvalidEventError
from rataura2.settings import get_settings
from rataura2.vocabulary.events import LIVEKIT_EVENT_MAP, EventType


def _fresh_ids(count: int) -> list[str]:
    return [EventData(type="custom", timestamp=1.0).id for _ in range(count)]


def test_an_event_sent_without_an_id_gets_one_never_repeated_here_or_in_a_forked_worker() -> None:
    """The id is what dedupes an event: two events given the same one would make the second a no-op."""
    before = _fresh_ids(10_000)
    assert len(set(before)) == 10_000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in before)
    with multiprocessing.get_context("fork").Pool(1) as pool:  # a worker forked now starts from this state
        in_child = pool.apply_async(_fresh_ids, (1_000,)).get(timeout=60)
    after = _fresh_ids(1_000)
    assert not set(in_child) & set(after)
    assert not set(in_child) & set(before)


def test_event_type_accepts_value_and_name() -> None:
    assert EventType.parse("user_left") is EventType.USER_LEFT
    assert EventType.parse("USER_LEFT") is EventType.USER_LEFT
    assert EventData(type="TOOL_RESULT", timestamp=1).type is EventType.TOOL_RESULT


def test_brief_event_types_all_exist_with_their_values() -> None:
    brief = [
        "session_created",
        "session_ended",
        "user_joined",
        "user_left",
        "agent_started",
        "agent_stopped",
        "agent_error",
        "user_message",
        "agent_message",
        "tool_called",
        "tool_result",
        "custom",
        "agent_decision",
        "transition",
        "user_state_changed",
        "agent_state_changed",
    ]
    assert sorted(brief) == sorted(t.value for t in EventType)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"type": "no_such_type", "timestamp": 1.0}, "type"),
        ({"type": "user_message", "timestamp": math.nan}, "timestamp"),
        ({"type": "user_message", "timestamp": math.inf}, "timestamp"),
        ({"type": "user_message", "timestamp": "yesterday"}, "timestamp"),
        ({"type": "user_message", "timestamp": 1.0, "data": {"when": object()}}, "data.when"),
        ({"type": "user_message", "timestamp": 1.0, "data": {"x": math.nan}}, "data.x"),
        ({"type": "user_message", "timestamp": 1.0, "data": {"blob": "x" * 70_000}}, "data"),
        ({"type": "user_message", "timestamp": 1.0, "data": ["not", "a", "dict"]}, "data"),
        ({"type": "user_message", "timestamp": 1.0, "source": 7}, "source"),
        ({"type": "user_message", "timestamp": 1.0, "id": ""}, "id"),
        ({"type": "user_message", "timestamp": 1.0, "colour": "red"}, "colour"),
    ],
)
def test_invalid_event_names_the_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEventError) as info:
        EventData(**values)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize("char", ["a", "\x01", "é", "\U0001f600"])
def test_data_is_held_to_the_byte_limit_exactly_as_json(char: str) -> None:
    """Flat data is checked without being encoded: the limit must still be the encoded size, to the byte, whatever
    the text's escapes cost."""
    limit = get_settings().max_event_bytes

    def data(n: int) -> dict[str, object]:
        return {"message": char * n, "turn": 12, "interrupted": False}

    def size(n: int) -> int:
        return len(json.dumps(data(n), separators=(",", ":")))

    per_char = size(1) - size(0)
    fits = (limit - size(0)) // per_char
    assert size(fits) <= limit < size(fits + 1)
    assert EventData(type="user_message", timestamp=1.0, data=data(fits)).data == data(fits)
    with pytest.raises(InvalidEventError, match="over the limit") as info:
        EventData(type="user_message", timestamp=1.0, data=data(fits + 1))
    assert info.value.field == "data"


def test_flat_data_is_checked_and_copied_without_being_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most events carry flat data: it is checked and copied without a JSON round trip, which would cost as much as
    the rest of the event (nested data, or data near the byte limit, is encoded to be checked exactly)."""

    def encoded(*args: object, **kwargs: object) -> str:
        raise RuntimeError("flat data was encoded")

    monkeypatch.setattr(events_module.json, "dumps", encoded)
    data = {"message": "héllo \U0001f600", "n": 3, "ok": True, "nothing": None, "x": 1.5}
    event = EventData(type="user_message", timestamp=1.0, data=data)
    assert event.data == data and event.data is not data
    with pytest.raises(RuntimeError, match="encoded"):
        EventData(type="custom", timestamp=1.0, data={"nested": {"a": 1}})


def test_events_get_unique_ids_and_are_immutable() -> None:
    a = EventData(type=EventType.CUSTOM, timestamp=1.0)
    b = EventData(type=EventType.CUSTOM, timestamp=1.0)
    assert a.id != b.id
    with pytest.raises(Exception, match="frozen"):
        a.source = "other"  # type: ignore[misc]


def test_livekit_mapping_covers_room_and_session_events() -> None:
    for name in (
        "participant_connected",
        "participant_disconnected",
        "connected",
        "disconnected",
        "user_input_transcribed",
        "conversation_item_added",
        "function_tools_executed",
        "user_state_changed",
        "agent_state_changed",
        "error",
        "close",
    ):
        assert name in LIVEKIT_EVENT_MAP
    event = LivekitEventHandler.to_event("participant_disconnected", {"participant_id": "p1"}, 5.0)
    assert event.type is EventType.USER_LEFT
    assert event.source == "livekit.participant_disconnected"
    assert event.data == {"livekit_event": "participant_disconnected", "participant_id": "p1"}
    with pytest.raises(InvalidEventError, match="no_such_room_event"):
        LivekitEventHandler.to_event("no_such_room_event", {}, 5.0)


def test_handlers_fold_events_into_context() -> None:
    context = SessionContext({"current_agent_id": 1, "tool_results": {}, "agent_decisions": {}, "session": {}})
    manager = EventManager()
    feed = [
        EventData(type="user_joined", timestamp=1, data={"participant_id": "pilot"}),
        EventData(type="user_message", timestamp=2, data={"message": "hi"}),
        EventData(type="agent_message", timestamp=3, data={"message": "hello pilot"}),
        EventData(type="tool_result", timestamp=4, data={"tool_name": "price", "result": {"isk": 5}}),
        EventData(type="agent_decision", timestamp=5, data={"decision_key": "mood", "value": "happy"}),
        EventData(type="user_state_changed", timestamp=6, data={"new_state": "speaking"}),
        EventData(type="user_left", timestamp=7, data={"participant_id": "pilot"}),
    ]
    for event in feed:
        manager.process_event(event, context)
    values = context.to_dict()
    assert values["turn_count"] == 1
    assert values["user_input"] == "hi"
    assert [m["role"] for m in values["conversation"]] == ["user", "assistant"]
    assert values["tool_results"] == {"price": {"isk": 5}}
    assert values["last_tool_name"] == "price"
    assert values["agent_decisions"] == {"mood": "happy"}
    assert values["user_state"] == "speaking"
    assert values["session"]["participants"] == []
    assert [e["type"] for e in values["events"]] == [e.type.value for e in feed]
    assert context.now == 7


def test_handler_callbacks_see_the_updated_context() -> None:
    seen: list[tuple[str, int]] = []
    handler = AgentEventHandler()
    handler.add_callback(lambda event, context: seen.append((event.type.value, context.get("turn_count"))))
    manager = EventManager([SessionEventHandler(), handler])
    context = SessionContext({"turn_count": 0})
    manager.process_event(EventData(type="user_message", timestamp=1, data={"message": "a"}), context)
    manager.process_event(EventData(type="user_joined", timestamp=2, data={"participant_id": "x"}), context)
    assert seen == [("user_message", 1)]


def test_a_callback_on_one_managers_default_handlers_reaches_no_other_manager() -> None:
    """Managers with the default handlers share them until one hands its handlers out: then it gets its own."""
    seen: list[str] = []
    mine, other = EventManager(), EventManager()
    other.process_event(EventData(type="user_message", timestamp=1, data={"message": "before"}), SessionContext())
    agent_handler = next(h for h in mine.handlers if isinstance(h, AgentEventHandler))
    agent_handler.add_callback(lambda event, context: seen.append(str(event.data["message"])))
    for manager, text in ((mine, "mine"), (other, "other"), (EventManager(), "new")):
        context = SessionContext()
        manager.process_event(EventData(type="user_message", timestamp=2, data={"message": text}), context)
        assert context.get("user_input") == text  # folded in by the defaults, shared or not
    assert seen == ["mine"]


class _Noted(AgentEventHandler):
    """Overrides ``handle``: the manager must call it rather than the appliers underneath."""

    def handle(self, event: EventData, context: SessionContext) -> None:
        super().handle(event, context)
        context.set("noted", True, timestamp=event.timestamp)


def test_a_handler_overriding_handle_is_called_through_it() -> None:
    context = SessionContext()
    EventManager([_Noted()]).process_event(EventData(type="user_message", timestamp=1, data={"message": "a"}), context)
    assert context.get("user_input") == "a" and context.get("noted") is True


def test_custom_handler_registration() -> None:
    class MoodHandler(EventHandler):
        event_types = frozenset({EventType.CUSTOM})

        def apply(self, event: EventData, context: SessionContext) -> None:
            context.set("mood", event.data["mood"], timestamp=event.timestamp)

    manager = EventManager()
    manager.register_handler(MoodHandler())
    context = SessionContext()
    manager.process_event(EventData(type="custom", timestamp=1, data={"mood": "calm"}), context)
    assert context.get("mood") == "calm"


def test_payload_cannot_rename_a_livekit_event() -> None:
    event = LivekitEventHandler.to_event("data_received", {"livekit_event": "sip_dtmf_received", "digit": "9"}, 1.0)
    assert event.data["livekit_event"] == "data_received"
