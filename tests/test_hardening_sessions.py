"""Wedged sessions, look-alike ids, retries, bad events, event loops and growth (issue 15, cases 2 to 7): each is a
clear error at the call or a bounded cost, the session usable afterwards, nothing lost and nothing doubled."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.core.conditions.expressions import context_size
from rataura2.core.context import OWNED_FIELDS, RESERVED_FIELDS
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.db.models import SessionSnapshot
from rataura2.errors import InvalidEventError, InvalidSessionIdError, SessionEndedError
from rataura2.persistence.sql_store import SqlStore
from rataura2.sessions.manager import SessionManager
from rataura2.settings import get_settings
from rataura2.vocabulary.limits import CEL_MAX_WORK, MAX_CONTEXT_KEYS
from tests._procs import T0, build_conversation, drive, logged_ids, script
from tests.builders import build_graph


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A dedupe window of 20 events and a history of 10, so that a test runs past them in a few dozen events."""
    monkeypatch.setenv("RATAURA2_DEDUPE_WINDOW_EVENTS", "20")
    monkeypatch.setenv("RATAURA2_HISTORY_LIMIT", "10")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _started(db: Session, durability: str = "sync") -> tuple[SessionManager, AgentOrchestrator]:
    conversation_id = build_conversation(db)
    manager = SessionManager(db, durability=durability)  # type: ignore[arg-type]
    return manager, manager.create_session("s", conversation_id, timestamp=T0)


# case 2: every field the orchestrator relies on is protected --------------------------------------------------------
def test_no_owned_field_can_be_set_from_outside(sqlite_db: Session) -> None:
    manager, orchestrator = _started(sqlite_db)
    before = orchestrator.get_context()
    for field in sorted(OWNED_FIELDS - RESERVED_FIELDS):
        with pytest.raises(InvalidEventError) as info:
            orchestrator.update_context({field: "x"}, timestamp=T0 + 1)
        assert info.value.field == f"data.context_updates.{field}"
        with pytest.raises(InvalidEventError):
            orchestrator.execute_transition("Combat", context_updates={field: "x"}, timestamp=T0 + 1)
    assert orchestrator.get_context() == before
    drive(manager, "s", script(1))  # the session goes on, ends, and resumes
    manager.end_session("s", timestamp=T0 + 100)
    resumed = SessionManager(sqlite_db).resume_session("s")
    assert resumed.ended and resumed.get_context()["turn_count"] == 2


def test_user_input_may_be_set_but_only_as_text(sqlite_db: Session) -> None:
    _, orchestrator = _started(sqlite_db)
    with pytest.raises(InvalidEventError, match=r"context_updates\.user_input.*must be a str"):
        orchestrator.update_context(user_input=["not", "text"], timestamp=T0 + 1)
    orchestrator.update_context(user_input="thanks", timestamp=T0 + 1)
    assert orchestrator.get_context()["user_input"] == "thanks"


def test_the_values_set_from_outside_are_bounded_in_number(sqlite_db: Session) -> None:
    """Every event walks the context: a client adding keys without end would slow every turn of the session."""
    manager, orchestrator = _started(sqlite_db)
    held = len(list(orchestrator.context.keys()))  # what the session keeps itself counts too
    orchestrator.update_context({f"k{n}": n for n in range(MAX_CONTEXT_KEYS - held - 10)}, timestamp=T0 + 1)
    before = orchestrator.get_context()
    with pytest.raises(InvalidEventError, match="over the limit of 1000") as info:
        orchestrator.update_context({f"more{n}": n for n in range(20)}, timestamp=T0 + 2)
    assert info.value.field == "data.context_updates"
    assert orchestrator.get_context() == before
    orchestrator.update_context({"k1": "changed"}, timestamp=T0 + 3)  # existing values can still change
    assert orchestrator.get_context()["k1"] == "changed"
    drive(manager, "s", script(1))


# case 3: internal ids live in a namespace of their own ----------------------------------------------------------------
def test_an_outside_event_cannot_take_the_id_of_the_sessions_end(db: Session) -> None:
    manager, orchestrator = _started(db)
    with pytest.raises(InvalidEventError) as info:
        orchestrator.process_event({"id": "rataura2:ended", "type": "custom", "timestamp": T0 + 1})
    assert info.value.field == "id"
    orchestrator.process_event({"id": "s/ended", "type": "custom", "timestamp": T0 + 1})  # the old form: any id
    manager.end_session("s", timestamp=T0 + 2)
    assert orchestrator.ended and orchestrator.get_context()["session"]["status"] == "ended"
    assert logged_ids(db, "s") == ["rataura2:created", "s/ended", "rataura2:ended"]
    with pytest.raises(SessionEndedError):
        orchestrator.process_event({"type": "custom", "timestamp": T0 + 3})


# case 4: idempotent update_context and execute_transition ------------------------------------------------------------
def test_a_retried_update_or_move_with_its_id_is_applied_once(db: Session) -> None:
    manager, orchestrator = _started(db)
    first = orchestrator.update_context({"credits": 5}, event_id="op-1", timestamp=T0 + 1)
    moved = orchestrator.execute_transition("Combat", event_id="op-2", timestamp=T0 + 2)
    orchestrator.update_context({"credits": 6}, timestamp=T0 + 3)
    # the answers were lost; the client retries with the same ids
    assert orchestrator.update_context({"credits": 5}, event_id="op-1", timestamp=T0 + 4) == first
    assert orchestrator.execute_transition("Combat", event_id="op-2", timestamp=T0 + 5) == moved
    context = orchestrator.get_context()
    assert context["credits"] == 6 and len(context["transitions"]) == 1
    assert logged_ids(db, "s") == ["rataura2:created", "op-1", "op-2", logged_ids(db, "s")[3]]
    manager.close()
    resumed = SessionManager(db).resume_session("s")  # and from another process, after a resume
    assert resumed.update_context({"credits": 5}, event_id="op-1") == first
    assert resumed.get_context() == context


# case 5: event validation is complete -----------------------------------------------------------------------------
def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


BAD_EVENTS = {
    "timestamp 10**400": ({"type": "custom", "timestamp": 10**400}, "timestamp"),
    "timestamp 1e300": ({"type": "custom", "timestamp": 1e300}, "timestamp"),
    "negative timestamp": ({"type": "custom", "timestamp": -5.0}, "timestamp"),
    "data 1000 levels deep": ({"type": "custom", "timestamp": T0, "data": {"d": _deep(1000)}}, "data.d.0.0.0."),
    "integer past 64 bits": ({"type": "custom", "timestamp": T0, "data": {"n": 2**64}}, "data.n"),
    "infinite float": ({"type": "custom", "timestamp": T0, "data": {"x": [1.0, float("inf")]}}, "data.x.1"),
    "keys 1 and '1'": ({"type": "custom", "timestamp": T0, "data": {"m": {1: "a", "1": "b"}}}, "data.m"),
    "a lone surrogate in the id": ({"type": "custom", "timestamp": T0, "id": "e\ud800"}, "id"),
    "a NUL in the id": ({"type": "custom", "timestamp": T0, "id": "e\x001"}, "id"),
    "a NUL in the text": ({"type": "user_message", "timestamp": T0, "data": {"message": "hi\x00"}}, "data.message"),
    "a NUL in a key": ({"type": "custom", "timestamp": T0, "data": {"k\x00": 1}}, "data"),
    "a 300-character source": ({"type": "custom", "timestamp": T0, "source": "s" * 300}, "source"),
    "an object that is not JSON": ({"type": "custom", "timestamp": T0, "data": {"o": {1, 2}}}, "data.o"),
    "scope=[] on an update": (
        {"type": "custom", "timestamp": T0, "source": "api", "data": {"context_updates": {"a": 1}, "scope": []}},
        "data.scope",
    ),
}


def test_a_bad_event_is_refused_naming_its_field_and_changes_nothing(db: Session) -> None:
    manager, orchestrator = _started(db)
    before = orchestrator.get_context()
    for what, (event, field) in BAD_EVENTS.items():
        with pytest.raises(InvalidEventError) as info:
            orchestrator.process_event(event)
        assert isinstance(info.value, ValueError)
        assert info.value.field.startswith(field), (what, info.value)
    assert orchestrator.get_context() == before
    assert logged_ids(db, "s") == ["rataura2:created"]
    drive(manager, "s", script(1))  # usable
    assert orchestrator.get_context()["turn_count"] == 2


@pytest.mark.parametrize("session_id", ["", "s" * 40_000, "nul\x00", "lone\udc00"])
def test_a_bad_session_id_is_refused_at_the_call(db: Session, session_id: str) -> None:
    conversation_id = build_conversation(db)
    manager = SessionManager(db)
    with pytest.raises(InvalidSessionIdError):
        manager.create_session(session_id, conversation_id)  # before anything reaches the database
    for call in (manager.resume_session, manager.load_session):
        with pytest.raises(InvalidSessionIdError):
            call(session_id)


# case 6: the async API from any event loop ----------------------------------------------------------------------
@pytest.mark.parametrize("durability", ["sync", "off"])
def test_the_async_api_works_from_one_event_loop_after_another(sqlite_db: Session, durability: str) -> None:
    _, orchestrator = _started(sqlite_db, durability)
    events = script(2)

    async def send(batch: list[dict[str, Any]]) -> list[str]:
        results = await asyncio.gather(*(orchestrator.aprocess_event(e) for e in batch))
        return [r.status.value for r in results]

    assert len(asyncio.run(send(events[:6]))) == 6
    assert len(asyncio.run(send(events[6:]))) == len(events) - 6  # a second loop: was RuntimeError
    assert orchestrator.get_context()["turn_count"] == 4
    assert all(orchestrator.seen(e["id"]) for e in events)


# case 7: bounded memory ------------------------------------------------------------------------------------------
def test_the_dedupe_window_is_bounded_and_older_ids_are_answered_from_the_log(db: Session, small_windows: None) -> None:
    manager, orchestrator = _started(db)
    events = script(8)
    drive(manager, "s", events)
    logged = logged_ids(db, "s")
    turns = orchestrator.get_context()["turn_count"]
    first = events[1]  # a user message, far outside the window of 20
    again = orchestrator.process_event(first)
    assert again.event_id == first["id"]
    assert orchestrator.get_context()["turn_count"] == turns  # not applied twice
    assert logged_ids(db, "s") == logged
    assert drive(manager, "s", events) == 0  # every id is known, in the window or in the log

    manager.close()
    resumed = SessionManager(db).resume_session("s")  # a resume reads only the window, not the whole log
    assert resumed.process_event(first) == again
    assert resumed.get_context()["turn_count"] == turns


def test_past_the_window_only_ids_the_session_may_have_processed_are_read_from_the_log(
    db: Session, small_windows: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long session's new events cost no log read, before and after a resume; its repeats still find the log."""
    reads: list[str] = []
    logged_result = SqlStore.logged_result

    def spied(self: SqlStore, orchestrator: AgentOrchestrator, event_id: str) -> TransitionResult | None:
        reads.append(event_id)
        return logged_result(self, orchestrator, event_id)

    monkeypatch.setattr(SqlStore, "logged_result", spied)
    manager, orchestrator = _started(db)
    events = script(8)  # 50-odd events: far past the window of 20
    drive(manager, "s", events)
    assert reads == []
    turns = orchestrator.get_context()["turn_count"]
    assert orchestrator.process_event(events[1]).event_id == events[1]["id"]
    assert reads == [events[1]["id"]] and orchestrator.get_context()["turn_count"] == turns

    manager.close()
    resumed_manager = SessionManager(db)
    resumed = resumed_manager.resume_session("s")  # its window holds the latest 20: the rest are only ids
    reads.clear()
    later = [{**e, "id": f"later-{e['id']}", "timestamp": e["timestamp"] + 1000} for e in script(2)]
    assert drive(resumed_manager, "s", later) == len(later)
    assert reads == []
    turns = resumed.get_context()["turn_count"]
    assert resumed.process_event(events[2]).event_id == events[2]["id"]
    assert reads == [events[2]["id"]] and resumed.get_context()["turn_count"] == turns
    resumed_manager.close()


def test_a_session_given_its_store_after_it_was_made_still_finds_old_repeats(db: Session, small_windows: None) -> None:
    manager = SessionManager(db)
    graph = manager.publish_and_compile(build_conversation(db))
    orchestrator = AgentOrchestrator("late", graph)  # made without a store, as a caller assembling a session may
    assert manager.store is not None
    orchestrator.store = manager.store
    manager.store.session_started(orchestrator)
    events = script(8)
    for event in events:
        orchestrator.process_event(event)
    turns = orchestrator.get_context()["turn_count"]
    orchestrator.process_event(events[1])  # far outside the window of 20: found in the log, not applied again
    assert orchestrator.get_context()["turn_count"] == turns
    manager.close()


def test_without_a_store_a_repeat_older_than_the_window_is_applied_again(
    sqlite_db: Session, small_windows: None
) -> None:
    manager, orchestrator = _started(sqlite_db, "off")
    events = script(5)
    drive(manager, "s", events)
    turns = orchestrator.get_context()["turn_count"]
    orchestrator.process_event(events[1])  # documented: with durability="off", dedupe is the window only
    assert orchestrator.get_context()["turn_count"] == turns + 1


def test_context_and_snapshots_do_not_grow_with_the_sessions_age(db: Session, small_windows: None) -> None:
    conversation_id = build_conversation(db)
    manager = SessionManager(db, snapshot_every=7)
    orchestrator = manager.create_session("s", conversation_id, timestamp=T0)
    sizes = []
    for round_ in range(4):
        events = [{**e, "id": f"{round_}-{e['id']}", "timestamp": e["timestamp"] + 1000 * round_} for e in script(4)]
        drive(manager, "s", events)
        orchestrator.process_event(
            {"type": "agent_decision", "timestamp": T0 + 1000 * round_ + 900, "data": {"decision_key": f"k{round_}"}}
        )
        snapshot = db.scalars(select(SessionSnapshot.state).order_by(SessionSnapshot.seq.desc())).first()
        assert snapshot is not None
        sizes.append(len(snapshot))
        db.rollback()
    context = orchestrator.get_context()
    assert orchestrator.context.transition_count > 20
    assert len(context["transitions"]) == len(context["events"]) == 10  # the latest; all are in the log
    assert max(sizes[1:]) < 1.3 * min(sizes[1:]), sizes
    assert len(json.dumps(context)) < 1.3 * sizes[0]
    manager.close()
    assert SessionManager(db).resume_session("s").get_context() == context


WHOLE = '"vip" in context && context.vip == true'
"""An expression that reads the context as a whole (``in context``): it is given all of it, history included."""


def _whole_context_session(db: Session) -> AgentOrchestrator:
    """A session that hands over between Desk and Away on every user turn; from Desk, ``WHOLE`` leads to Vip and
    an expression naming its field leads to Gold."""
    graph = build_graph(
        db,
        ["Desk", "Away", "Vip", "Gold"],
        [
            ("Desk", "Away", "user_input", {"pattern": "go"}),
            ("Away", "Desk", "user_input", {"pattern": "back"}),
            ("Desk", "Vip", "custom", {"condition_code": WHOLE}, 2),
            ("Desk", "Gold", "custom", {"condition_code": "has(context.gold) && context.gold == true"}, 1),
        ],
    )
    return SessionManager(db, durability="off").create_session("s", graph.conversation.id, timestamp=T0)


def test_an_expression_reading_the_whole_context_costs_the_same_however_old_the_session(
    sqlite_db: Session, small_windows: None
) -> None:
    """Its input is measured before every evaluation: with the history bounded (10 here), a hundred hand-overs later
    it is as large as once the history was full, and the expression still works."""
    orchestrator = _whole_context_session(sqlite_db)
    sizes = []
    for turn in range(120):
        said = orchestrator.process_event(
            {"type": "user_message", "timestamp": T0 + 1 + turn, "data": {"message": ("go", "back")[turn % 2]}}
        )
        assert said.transitioned and said.status.value == "success", said.errors  # never stopped at the cost limit
        if turn in (19, 119):  # the history full, and a hundred hand-overs later
            sizes.append(context_size(orchestrator.context, 10**9))
    assert orchestrator.context.transition_count == 120
    assert sizes[0] == sizes[1] < CEL_MAX_WORK
    moved = orchestrator.update_context(vip=True, timestamp=T0 + 400)
    assert moved.to_agent_id == orchestrator.graph.get_agent("Vip").id


def test_an_expression_past_the_input_limit_is_stopped_before_it_starts(sqlite_db: Session) -> None:
    """A context made large by its values (a client storing thousands of keys; it took 0.6 s per event before the
    limit): the whole-context expression is stopped before it starts, after measuring only up to the limit, with an
    error that says so; an expression naming its fields still works, and the session goes on."""
    orchestrator = _whole_context_session(sqlite_db)
    for batch in range(60):  # 840 values (the number of keys is bounded too), each long
        values = {f"note_{batch}_{i}": "x" * 4000 for i in range(14)}
        orchestrator.update_context(values, timestamp=T0 + 1 + batch)
    full = context_size(orchestrator.context, 10**9)
    refused = orchestrator.update_context(vip=True, timestamp=T0 + 100)
    assert refused.status.value == "error" and not refused.transitioned
    counted = re.search(r"stopped at its cost limit: it would take in (\d+) size units of input", refused.reason)
    assert counted is not None, refused.reason
    assert CEL_MAX_WORK < int(counted[1]) < full / 2  # the measure stopped soon after the limit
    assert orchestrator.get_context()["vip"] is True  # the update is applied; only the expression counts as false
    moved = orchestrator.update_context(gold=True, timestamp=T0 + 101)
    assert moved.to_agent_id == orchestrator.graph.get_agent("Gold").id
