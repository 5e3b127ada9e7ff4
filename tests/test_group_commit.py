"""Durable writes: a sync event is one statement on PostgreSQL (one transaction on SQLite); sessions writing at the
same moment share a transaction, and each is acknowledged only once its own event is stored; a session that cannot
be written (taken over elsewhere, or a duplicate in its log) fails alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.orm import Session

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.errors import PersistenceError, SessionOwnedError
from rataura2.persistence.sql_store import SyncStore
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import internal_event_id
from tests._procs import T0, build_conversation, logged_ids

_clock = iter(range(1, 1_000_000))


def _message(text: str, event_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "user_message", "timestamp": T0 + next(_clock), "data": {"message": text}}
    if event_id is not None:
        out["id"] = event_id
    return out


@contextmanager
def counted(engine: Engine) -> Iterator[dict[str, int]]:
    """Statements run and transactions committed on ``engine`` inside the block."""
    counts = {"statements": 0, "commits": 0}

    def statement(*args: Any) -> None:
        counts["statements"] += 1

    def commit(*args: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


@contextmanager
def slow_writes(engine: Engine, seconds: float) -> Iterator[threading.Event]:
    """Every write of the event log takes ``seconds`` longer; the event is set when the first one starts."""
    started = threading.Event()

    def stall(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "session_events" in statement and "INSERT" in statement.upper():
            started.set()
            time.sleep(seconds)

    event.listen(engine, "before_cursor_execute", stall)
    try:
        yield started
    finally:
        event.remove(engine, "before_cursor_execute", stall)


def test_a_sync_event_is_one_statement_or_one_transaction(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db) as manager:
        session = manager.create_session("s", conversation_id, timestamp=T0)
        session.process_event(_message("warm up"))
        with counted(manager.engine) as counts:
            session.process_event(_message("tell me about combat", "moved"))
        if manager.engine.dialect.name == "postgresql":
            assert counts == {"statements": 1, "commits": 0}  # one statement, autocommitted: one round trip
        else:
            assert counts["commits"] == 1
        assert logged_ids(db, "s")[-1] == "moved"
        assert session.get_current_agent().name == "Combat"


def _in_parallel(sessions: list[AgentOrchestrator], events: list[dict[str, Any]]) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = [None] * len(sessions)

    def run(n: int) -> None:
        try:
            sessions[n].process_event(events[n])
        except BaseException as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_concurrent_sessions_share_commits_and_each_waits_for_its_own(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db) as manager:
        store = manager.store
        assert isinstance(store, SyncStore)
        sessions = [manager.create_session(f"s{n}", conversation_id, timestamp=T0) for n in range(12)]
        batches, items = store.commits
        leader = threading.Thread(target=sessions[0].process_event, args=(_message("first, and slow"),))
        with slow_writes(manager.engine, 0.3) as started:
            leader.start()
            assert started.wait(10)
            acknowledged: list[float] = []
            events = [_message(f"event {n}") for n in range(1, 12)]

            def timed(n: int) -> None:
                sessions[n].process_event(events[n - 1])
                acknowledged.append(time.monotonic())

            began = time.monotonic()
            threads = [threading.Thread(target=timed, args=(n,)) for n in range(1, 12)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            leader.join(30)
        assert len(acknowledged) == 11
        # nobody was acknowledged before a commit after it arrived had finished (a slow one, here)
        assert min(acknowledged) - began >= 0.25
        new_batches, new_items = store.commits
        assert new_items - items == 12
        assert new_batches - batches < 12  # the eleven that waited shared commits
        for n in range(12):
            assert len(logged_ids(db, f"s{n}")) == 2


def test_a_session_taken_over_fails_alone_in_a_shared_commit(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db) as manager:
        sessions = [manager.create_session(f"s{n}", conversation_id, timestamp=T0) for n in range(4)]
        db.execute(update(SessionRecord).where(SessionRecord.session_id == "s2").values(owner="another:1:abc"))
        db.commit()
        with slow_writes(manager.engine, 0.2) as started:
            leader = threading.Thread(target=sessions[0].process_event, args=(_message("slow"),))
            leader.start()
            assert started.wait(10)
            outcomes = _in_parallel(sessions[1:], [_message(f"event {n}") for n in range(1, 4)])
            leader.join(30)
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], SessionOwnedError)
        assert "another:1:abc" in str(outcomes[1])
        assert [len(logged_ids(db, f"s{n}")) for n in range(4)] == [2, 2, 1, 2]
        assert not sessions[2].seen(sessions[2].context.last_event["id"] + "x")  # type: ignore[index]
        assert sessions[2].context.get("turn_count") == 0  # the refused event was undone


def test_a_duplicate_in_the_log_fails_only_its_own_event(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db) as manager:
        sessions = [manager.create_session(f"s{n}", conversation_id, timestamp=T0) for n in range(3)]
        pk = db.scalar(select(SessionRecord.id).where(SessionRecord.session_id == "s1"))
        db.execute(  # someone wrote seq 2 of s1 behind the store's back
            insert(SessionEvent).values(
                session_pk=pk, seq=2, event_id="intruder", type="custom", timestamp=T0, source="x", data={}, result={}
            )
        )
        db.commit()
        with slow_writes(manager.engine, 0.2) as started:
            leader = threading.Thread(target=sessions[0].process_event, args=(_message("slow"),))
            leader.start()
            assert started.wait(10)
            outcomes = _in_parallel(sessions[1:], [_message("refused", "mine"), _message("stored")])
            leader.join(30)
        assert isinstance(outcomes[0], PersistenceError)
        assert "seq 2 holds another event" in str(outcomes[0])
        assert outcomes[1] is None
        assert logged_ids(db, "s1") == [internal_event_id("created"), "intruder"]
        assert not sessions[1].seen("mine")
        assert len(logged_ids(db, "s2")) == 2


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_many_threads_lose_nothing(db: Session, durability: str) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db, durability=durability, snapshot_every=7) as manager:  # type: ignore[arg-type]
        sessions = [manager.create_session(f"s{n}", conversation_id, timestamp=T0) for n in range(8)]

        def drive(session: AgentOrchestrator) -> None:
            for k in range(25):
                session.process_event(_message(f"{session.session_id} {k}", f"{session.session_id}-{k}"))

        threads = [threading.Thread(target=drive, args=(s,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        manager.flush(30)
    for n in range(8):
        assert logged_ids(db, f"s{n}") == [internal_event_id("created"), *(f"s{n}-{k}" for k in range(25))]
    with SessionManager(db) as other:
        assert other.resume_session("s3").get_context()["turn_count"] == 25
