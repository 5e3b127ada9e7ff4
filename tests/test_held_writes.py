"""Held writes (``rataura2.sessions.held``): with durability "sync", a LiveKit turn's events are written by one
transaction, before anyone is told of them, and a crash before that commit loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from livekit.agents import ConversationItemAddedEvent, llm
from sqlalchemy import text
from sqlalchemy.orm import Session

from rataura2.db.session import init_db
from rataura2.errors import PersistenceError
from rataura2.livekit import bridge
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.sessions.manager import SessionManager
from tests._livekit_turns import turn_text
from tests._procs import ROOT, T0, build_conversation, logged_ids
from tests.builders import build_graph


def _event(n: int, message: str | None = None) -> dict[str, Any]:
    return {
        "id": f"e{n:03d}",
        "type": "user_message",
        "timestamp": T0 + n,
        "source": "user",
        "data": {"message": message or f"message {n}"},
    }


def _guide(db: Session) -> int:
    """Two agents on the offline LLM; the guide hands over when the user asks for a refund."""
    graph = build_graph(
        db, ["Guide", "Specialist"], [("Guide", "Specialist", "user_input", {"pattern": "refund"})], name="guide"
    )
    db.commit()
    return graph.conversation.id


def test_held_events_are_written_by_one_commit_and_not_before(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db, durability="sync") as manager:
        orchestrator = manager.create_session("s", conversation_id, timestamp=T0)
        held = manager.hold_writes("s")
        assert held is not None and manager.hold_writes("s") is held
        with held.holding():
            for n in range(1, 6):
                orchestrator.process_event(_event(n))
        assert logged_ids(db, "s") == ["rataura2:created"]  # processed, not written
        assert held.held == 5 and orchestrator.get_context()["turn_count"] == 5
        assert held.commit() == 5
        assert (held.commits, held.written, held.held) == (1, 5, 0)
        assert logged_ids(db, "s") == ["rataura2:created", "e001", "e002", "e003", "e004", "e005"]
        assert held.commit() == 0  # nothing more to write
        again = orchestrator.process_event(_event(3))  # a duplicate is answered from the dedupe window
        assert again.event_id == "e003" and held.held == 0
        assert manager.load_session("s").get_context() == orchestrator.get_context()


def test_another_caller_of_the_session_is_written_with_what_is_held_before_it(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db, durability="sync") as manager:
        orchestrator = manager.create_session("s", conversation_id, timestamp=T0)
        held = manager.hold_writes("s")
        assert held is not None
        with held.holding():
            orchestrator.process_event(_event(1))
            orchestrator.process_event(_event(2))
        orchestrator.process_event(_event(3))  # not the holder's: stored before process_event returns
        assert logged_ids(db, "s") == ["rataura2:created", "e001", "e002", "e003"]
        assert (held.held, held.kept, held.written, held.commits) == (0, 3, 3, 1)


def test_ending_or_releasing_a_session_writes_what_is_held(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db, durability="sync") as manager:
        manager.create_session("ended", conversation_id, timestamp=T0)
        held = manager.hold_writes("ended")
        assert held is not None
        with held.holding():
            manager["ended"].process_event(_event(1))
        manager.end_session("ended", reason="done", timestamp=T0 + 10)
        assert logged_ids(db, "ended") == ["rataura2:created", "e001", "rataura2:ended"]

        live = manager.create_session("released", conversation_id, timestamp=T0)
        held = manager.hold_writes("released")
        assert held is not None
        with held.holding():
            live.process_event(_event(1, "tell me about combat"))
        manager.release_session("released")
        assert logged_ids(db, "released") == ["rataura2:created", "e001"]
    with SessionManager(db, durability="sync") as elsewhere:
        resumed = elsewhere.resume_session("released")
        assert resumed.get_context() == live.get_context()


def test_only_sync_sessions_are_held(sqlite_db: Session) -> None:
    conversation_id = build_conversation(sqlite_db)
    for durability in ("async", "off"):
        with SessionManager(sqlite_db, durability=durability) as manager:
            manager.create_session(f"s-{durability}", conversation_id)
            assert manager.hold_writes(f"s-{durability}") is None


@pytest.mark.postgres
def test_a_commit_that_fails_keeps_the_events_held_for_the_next(postgres_server_url: str) -> None:
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_server_url)
    factory = init_db(postgres_server_url)
    with factory() as db:
        conversation_id = build_conversation(db)
        manager = SessionManager(db, durability="sync")
        orchestrator = manager.create_session("s", conversation_id, timestamp=T0)
        held = manager.hold_writes("s")
        assert held is not None
        for n in (1, 2):  # one commit on each of the writer's connections: both are open
            with held.holding():
                orchestrator.process_event(_event(n))
            held.commit()
        with held.holding():
            orchestrator.process_event(_event(3))
            orchestrator.process_event(_event(4))
        with factory() as admin:  # the server drops every other connection: the writer's go with them
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        with pytest.raises(PersistenceError, match="2 held events"):
            held.commit()
        assert held.held == 2 and logged_ids(db, "s") == ["rataura2:created", "e001", "e002"]
        assert held.commit() == 2  # the writer reconnects
        assert logged_ids(db, "s") == ["rataura2:created", "e001", "e002", "e003", "e004"]
        manager.close()
    factory.dispose()


async def test_a_livekit_turn_is_one_commit_and_is_stored_before_it_is_answered(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "QUIET_SECONDS", 60.0)  # only what needs a commit makes one
    factory = init_db(database_url)
    db = factory()
    conversation_id = _guide(db)
    manager = SessionManager(db, durability="sync")
    handler = LivekitSessionHandler(db, manager, speech=False)
    session = text_agent_session()
    await handler.start_session(session, conversation_id, session_id="lk")
    held = manager.hold_writes("lk")
    assert held is not None
    stored_when_answered: list[bool] = []

    def on_item(event: ConversationItemAddedEvent) -> None:
        item = event.item
        if isinstance(item, llm.ChatMessage) and item.role == "assistant":
            turn = next(i for i in reversed(session.history.items) if getattr(i, "role", None) == "user")
            with factory() as reader:  # what a worker taking over would find now
                stored_when_answered.append(f"lk/item/{turn.id}" in logged_ids(reader, "lk"))

    session.on("conversation_item_added", on_item)
    try:
        commits = held.commits
        for n in range(3):
            await session.run(user_input=turn_text(n))
            assert held.commits == commits + 1  # the turn's events, and the previous turn's last ones, together
            commits = held.commits
            # the agent's reply and its state changes after it wait for the next commit ("thinking" may have
            # made it into this one, which the user's turn waited for while LiveKit went on)
            assert held.held in (3, 4)
        assert stored_when_answered == [True, True, True]
        moved = await session.run(user_input="I want a refund")
        assert session.current_agent.id == "Specialist"  # the hand-over waited for its commit
        assert "refund" in moved.events[-1].item.text_content  # type: ignore[union-attr]
    finally:
        await session.aclose()
        await handler.aclose()
        await asyncio.to_thread(manager.close)
    with factory() as reader:
        logged = logged_ids(reader, "lk")
    assert logged[0] == "rataura2:created" and logged[-1] == "rataura2:ended"
    assert held.held == 0 and held.written == len(logged) - 1  # all but the creation went through the holder
    db.close()
    factory.dispose()


def test_a_crash_before_the_commit_loses_nothing_that_was_answered(database_url: str, tmp_path: Path) -> None:
    factory = init_db(database_url)
    with factory() as db:
        conversation_id = _guide(db)
    ack = tmp_path / "answered"
    ack.touch()
    turns = 3
    worker = subprocess.run(
        [sys.executable, "-m", "tests._livekit_turns", database_url, str(conversation_id), "lk", str(turns), ack],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]
    answered = ack.read_text().splitlines()
    assert answered == [turn_text(n) for n in range(turns)]
    manager = SessionManager(factory(), durability="sync")
    resumed = manager.resume_session("lk", wait=10)
    said = [(m["role"], m["text"]) for m in resumed.get_context()["conversation"]]
    assert [text for role, text in said if role == "user"] == answered  # every answered turn is stored
    # what was held when the worker died (the last reply and the state changes around it) was never told to
    # anyone, and is not in the log: the crash came before their commit
    assert [role for role, _ in said].count("assistant") == turns - 1
    assert resumed.get_context()["turn_count"] == turns
    manager.close()
    factory.dispose()


@pytest.mark.parametrize("durability", ["sync", "async"])
async def test_past_the_dedupe_window_the_log_is_read_off_the_event_loop(
    sqlite_db: Session, monkeypatch: pytest.MonkeyPatch, durability: str
) -> None:
    """Once ids have left a session's dedupe window, each new id is looked up in its log: never on the loop."""
    from rataura2.persistence.sql_store import SqlStore
    from rataura2.settings import get_settings

    monkeypatch.setenv("RATAURA2_DEDUPE_WINDOW_EVENTS", "8")
    get_settings.cache_clear()
    try:
        conversation_id = _guide(sqlite_db)
        read_on: list[str] = []
        read = SqlStore.logged_result

        def spied(self: SqlStore, orchestrator: Any, event_id: str) -> Any:
            read_on.append(threading.current_thread().name)
            return read(self, orchestrator, event_id)

        monkeypatch.setattr(SqlStore, "logged_result", spied)
        manager = SessionManager(sqlite_db, durability=durability)  # type: ignore[arg-type]
        handler = LivekitSessionHandler(sqlite_db, manager, speech=False)
        session = text_agent_session()
        await handler.start_session(session, conversation_id, session_id="long")
        try:
            for n in range(5):  # about 5 events a turn: well past a window of 8
                await session.run(user_input=turn_text(n))
            context = await asyncio.to_thread(manager["long"].get_context)
            assert context["turn_count"] == 5
        finally:
            await session.aclose()
            await handler.aclose()
            await asyncio.to_thread(manager.close)
        assert read_on and threading.main_thread().name not in read_on
    finally:
        get_settings.cache_clear()
