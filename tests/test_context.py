"""The session context: scopes, event-time TTLs, metadata, serialisation, and the many-session manager."""

from __future__ import annotations

import random

import pytest

from rataura2.core.context import ContextManager, ContextValue, Scope, SessionContext
from rataura2.core.events import EventData


def event(kind: str, ts: float, **data: object) -> EventData:
    return EventData(type=kind, timestamp=ts, data=data)


def test_ttl_runs_on_event_time_not_the_clock() -> None:
    context = SessionContext()
    context.record_event(event("custom", 100.0))
    context.set("offer", "10% off", ttl=30, timestamp=100.0)
    context.record_event(event("custom", 129.0))
    assert context.get("offer") == "10% off"
    context.record_event(event("custom", 131.0))
    assert context.get("offer") is None
    assert "offer" not in context
    assert "offer" not in context.to_dict()


def test_turn_scope_ends_at_the_next_user_message() -> None:
    context = SessionContext()
    context.set("clarifying", True, scope=Scope.TURN)
    context.set("name", "Ripley")
    context.record_event(event("agent_message", 1.0, message="?"))
    assert context.get("clarifying") is True
    context.record_event(event("user_message", 2.0, message="yes"))
    assert context.get("clarifying") is None
    assert context.get("name") == "Ripley"


def test_agent_scope_ends_at_a_hand_over() -> None:
    context = SessionContext({"current_agent_id": 1, "event_count": 0})
    context.set("scratch", "notes", scope="agent")
    context.enter_agent({"from_agent_id": 1, "to_agent_id": 2, "transition_id": 9, "reason": "test"}, "Combat")
    assert context.get("scratch") is None
    assert context.get("current_agent_id") == 2
    assert context.get("previous_agent_id") == 1
    assert context.to_dict()["transitions"][0]["transition_id"] == 9


def test_metadata_and_entries() -> None:
    context = SessionContext()
    context.set("lang", "fr", metadata={"source": "crm"})
    entry = context.get_entry("lang")
    assert isinstance(entry, ContextValue)
    assert entry.metadata == {"source": "crm"}
    assert entry.scope is Scope.SESSION


def test_reserved_fields_cannot_be_overwritten_and_ttl_must_be_positive() -> None:
    context = SessionContext()
    with pytest.raises(ValueError, match="events"):
        context.set("events", [])
    with pytest.raises(ValueError, match="ttl"):
        context.set("x", 1, ttl=0)


def test_history_is_bounded() -> None:
    context = SessionContext(history_limit=5)
    for i in range(12):
        context.record_event(event("custom", float(i), n=i))
    assert [e["data"]["n"] for e in context.events] == [7, 8, 9, 10, 11]
    assert context.get("event_count") == 12


def test_json_round_trip_keeps_everything() -> None:
    context = SessionContext({"a": 1}, history_limit=3)
    context.set("b", {"nested": [1, 2]}, scope="agent", ttl=50, metadata={"m": True}, timestamp=1.0)
    for i in range(4):
        context.record_event(event("user_message", float(i), message=f"m{i}"))
        context.append_message("user", f"m{i}", 1, float(i))
    restored = SessionContext.from_json(context.to_json())
    assert restored.to_state() == context.to_state()
    assert restored.to_dict() == context.to_dict()
    assert restored.get_entry("b") == context.get_entry("b")


def test_to_dict_is_a_copy() -> None:
    context = SessionContext({"tool_results": {"a": 1}})
    copy = context.to_dict()
    copy["tool_results"]["a"] = 2
    assert context.get("tool_results") == {"a": 1}


def test_checkpoint_restore_undoes_changes() -> None:
    context = SessionContext({"x": 1})
    saved = context.checkpoint()
    context.set("x", 2)
    context.record_event(event("user_message", 5.0, message="m"))
    context.enter_agent({"from_agent_id": 1, "to_agent_id": 2}, "B")
    context.restore(saved)
    assert context.get("x") == 1
    assert context.events == []
    assert context.transition_count == 0
    assert context.now == 0.0


@pytest.mark.parametrize("seed", range(40))
def test_restore_brings_back_exactly_the_state_and_order_it_had(seed: int) -> None:
    """Whatever happens after a checkpoint (values set, deleted, scopes cleared, the history pushed past its limit,
    hand-overs), restoring it gives back the same state, values in the same order; and the context goes on as one
    that never saw those changes."""
    rng = random.Random(seed)
    context = SessionContext(history_limit=4)
    steps = [
        lambda n: context.set(f"k{rng.randint(0, 6)}", n, scope=rng.choice(list(Scope))),
        lambda n: context.delete(f"k{rng.randint(0, 6)}"),
        lambda n: context.record_event(
            EventData(type=rng.choice(["user_message", "custom"]), timestamp=float(n), data={}, id=f"e{n}")
        ),
        lambda n: context.append_message("user", f"m{n}", 1, float(n)),
        lambda n: context.enter_agent({"from_agent_id": 1, "to_agent_id": 2, "timestamp": float(n)}, "B"),
    ]
    for n in range(rng.randint(0, 12)):
        rng.choice(steps)(n)
    before = context.to_state()
    saved = context.checkpoint()
    for n in range(rng.randint(1, 12)):
        rng.choice(steps)(100 + n)
    context.restore(saved)
    assert context.to_state() == before
    assert list(context.to_state()["values"]) == list(before["values"])
    with pytest.raises(ValueError, match="latest checkpoint"):
        context.restore(saved)
    twin = SessionContext.from_state(before)
    for n in range(6):
        step = rng.randrange(len(steps))
        state = rng.getstate()
        steps[step](200 + n)
        rng.setstate(state)
        original = context
        context = twin
        steps[step](200 + n)
        context = original
    assert context.to_state() == twin.to_state()


def test_a_discarded_checkpoint_keeps_the_changes() -> None:
    context = SessionContext({"x": 1})
    saved = context.checkpoint()
    context.set("x", 2)
    context.discard(saved)
    assert context.get("x") == 2
    with pytest.raises(ValueError, match="latest checkpoint"):
        context.restore(saved)


def test_context_manager_holds_many_sessions() -> None:
    manager = ContextManager()
    first = manager.create_context("s1", {"k": 1})
    manager.create_context("s2")
    assert manager.get_context("s1") is first
    assert sorted(manager.session_ids()) == ["s1", "s2"]
    with pytest.raises(ValueError, match="s1"):
        manager.create_context("s1")
    assert manager.remove_context("s1") is first
    assert len(manager) == 1
