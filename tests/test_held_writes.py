"""Held writes (``rataura2.sessions.held``): with durability "sync", a LiveKit turn's events are written by one
transaction, before anyone is told of them, and a crash before that commit loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from livekit.agents import ConversationItemAddedEvent, llm
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rataura2.core.events import EventData
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.session import init_db
from rataura2.errors import PersistenceError, SessionOwnedError
from rataura2.livekit import bridge
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.sessions.held import HeldWrites
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.enums import Role
from rataura2.vocabulary.events import EventType
from tests._livekit_turns import turn_text
from tests._procs import ROOT, T0, build_conversation, logged_ids
from tests.api_support import build_help_desk, running_api
from tests.builders import build_graph
from tests.livekit_support import running, seed


def _event(n: int, message: str | None = None) -> dict[str, Any]:
    return {
        "id": f"e{n:03d}",
        "type": "user_message",
        "timestamp": T0 + n,
        "source": "user",
        "data": {"message": message or f"message {n}"},
    }


def _held_session(manager: SessionManager, conversation_id: int) -> tuple[AgentOrchestrator, HeldWrites]:
    """Session "s" of the conversation, with its events held."""
    orchestrator = manager.create_session("s", conversation_id, timestamp=T0)
    held = manager.hold_writes("s")
    assert held is not None
    return orchestrator, held


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
        orchestrator, held = _held_session(manager, conversation_id)
        with held.holding():
            orchestrator.process_event(_event(1))
            orchestrator.process_event(_event(2))
        orchestrator.process_event(_event(3))  # not the holder's: stored before process_event returns
        assert logged_ids(db, "s") == ["rataura2:created", "e001", "e002", "e003"]
        assert (held.held, held.kept, held.written, held.commits) == (0, 3, 3, 1)


def test_another_caller_repeating_a_held_event_is_answered_once_it_is_stored(db: Session) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db, durability="sync") as manager:
        orchestrator, held = _held_session(manager, conversation_id)
        with held.holding():
            first = orchestrator.process_event(_event(1))
            assert orchestrator.process_event(_event(1)) == first  # the holder's own: it tells no one before its commit
        assert logged_ids(db, "s") == ["rataura2:created"]
        assert orchestrator.process_event(_event(1)) == first  # another caller's repeat: answered once stored
        assert logged_ids(db, "s") == ["rataura2:created", "e001"]
        assert (held.held, held.commits) == (0, 1)


def test_the_apis_view_of_a_live_session_shows_only_stored_events(db: Session) -> None:
    from rataura2.api.sessions import state

    conversation_id = build_conversation(db)
    with SessionManager(db, durability="sync") as manager:
        orchestrator, held = _held_session(manager, conversation_id)
        with held.holding():
            orchestrator.process_event(_event(1))
            orchestrator.process_event(_event(2))
        shown = state(manager, "s")
        assert logged_ids(db, "s") == ["rataura2:created", "e001", "e002"]  # written before it was shown
        assert shown.context["turn_count"] == 2 and held.held == 0
        assert shown.turn_count == 2 and shown.events == len(logged_ids(db, "s"))  # the stored row agrees


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
        orchestrator, held = _held_session(manager, conversation_id)
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
    """Past a session's dedupe window, new ids are known to be new without reading the log; an id that left the
    window and comes again is looked up in the log, never on the loop, and answered as it was the first time."""
    from rataura2.persistence.async_store import AsyncStore
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
            assert read_on == []
            if isinstance(manager.store, AsyncStore):  # written, so that the repeat is answered from the log itself
                await asyncio.to_thread(manager.store.flush)
            first = next(i for i in session.history.items if getattr(i, "role", None) == "user")
            again = EventData(type="user_message", timestamp=T0, data={"message": "again"}, id=f"long/item/{first.id}")
            result = await handler.bridge("long").submit(again)
            assert result is not None and result.event_id == again.id
            context = await asyncio.to_thread(manager["long"].get_context)
            assert context["turn_count"] == 5  # not applied again
        finally:
            await session.aclose()
            await handler.aclose()
            await asyncio.to_thread(manager.close)
        assert read_on and threading.main_thread().name not in read_on
    finally:
        get_settings.cache_clear()


class _Database:
    """The store's writes of held events, failing while ``down`` (as a database that does not answer would: each
    record's outcome is the driver's error) and counted."""

    def __init__(
        self,
        store: Any,
        monkeypatch: pytest.MonkeyPatch,
        *,
        failures: int | None = None,
        only: Callable[[Any], bool] | None = None,
    ) -> None:
        self.real = store.write_held
        self.down = True
        self.failures = failures
        self.only = only
        """While down, only writes of records it is true for fail."""
        self.calls = 0
        monkeypatch.setattr(store, "write_held", self.write_held)

    def write_held(self, records: Any) -> Any:
        self.calls += 1
        if self.failures is not None:
            self.down = self.failures > 0
            self.failures -= 1
        if self.down and (self.only is None or self.only(records)):
            return [OperationalError("INSERT", {}, ConnectionError("the database does not answer"))] * len(records)
        return self.real(records)


async def _until(check: Any, seconds: float = 10.0) -> bool:
    """Whether ``check()`` becomes true within ``seconds`` (the timers run on this loop meanwhile)."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return True
        await asyncio.sleep(0.02)
    return bool(check())


@asynccontextmanager
async def _lk_session(
    database_url: str, *, close_errors: tuple[type[Exception], ...] = ()
) -> AsyncIterator[tuple[Any, SessionManager, LivekitSessionHandler, Any, HeldWrites]]:
    """A text-mode AgentSession "lk" on the guide conversation with durability "sync", its writes held: (session
    factory, manager, handler, AgentSession, held writes), closed at the end (``close_errors`` tolerated then)."""
    factory = init_db(database_url)
    db = factory()
    manager = SessionManager(db, durability="sync")
    handler = LivekitSessionHandler(db, manager, speech=False)
    session = text_agent_session()
    await handler.start_session(session, _guide(db), session_id="lk")
    held = manager.hold_writes("lk")
    assert held is not None
    try:
        yield factory, manager, handler, session, held
    finally:
        with contextlib.suppress(*close_errors):
            await session.aclose()
            await handler.aclose()
            await asyncio.to_thread(manager.close)
        db.close()
        factory.dispose()


async def test_the_llm_starts_on_a_turn_while_it_is_stored_and_its_answer_waits_for_the_commit(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing a turn adds to its latency only what it takes beyond the LLM's first token: the LLM is asked while
    the turn is written, and nothing of the answer is let out before the turn is stored."""
    async with _lk_session(database_url) as (_factory, _manager, _handler, session, held):
        await session.run(user_input=turn_text(0))
        assert await _until(lambda: held.held == 0)  # the first turn's reports are written: the next write is ours
        order: list[str] = []
        write_held = held.store.write_held

        def slow_write(records: Any) -> Any:
            time.sleep(0.3)
            outcomes = write_held(records)
            order.append("stored")
            return outcomes

        agent_llm = session.current_agent.llm
        chat = agent_llm.chat

        def asked(**options: Any) -> Any:
            order.append("LLM asked")
            return chat(**options)

        def on_item(event: ConversationItemAddedEvent) -> None:
            if isinstance(event.item, llm.ChatMessage) and event.item.role == "assistant":
                order.append("answered")

        monkeypatch.setattr(held.store, "write_held", slow_write)
        monkeypatch.setattr(agent_llm, "chat", asked)
        session.on("conversation_item_added", on_item)
        await session.run(user_input=turn_text(1))
        assert order[:3] == ["LLM asked", "stored", "answered"]


async def test_a_commit_that_fails_keeps_the_agent_silent_and_the_hand_over_waits_for_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "RETRY_SECONDS", 0.2)
    async with _lk_session(database_url) as (factory, manager, handler, session, held):
        await session.run(user_input=turn_text(0))
        database = _Database(held.store, monkeypatch)
        answers: list[str] = []

        def on_item(event: ConversationItemAddedEvent) -> None:
            if isinstance(event.item, llm.ChatMessage) and event.item.role == "assistant":
                answers.append(event.item.text_content or "")

        session.on("conversation_item_added", on_item)
        await session.run(user_input="I want a refund")
        assert answers == []  # the turn is not stored: nobody answers it
        assert manager["lk"].get_current_agent().name == "Specialist"  # moved in memory,
        assert session.current_agent.id == "Guide"  # not handed over
        turn = next(i for i in reversed(session.history.items) if getattr(i, "role", None) == "user")
        with pytest.raises(PersistenceError):  # what /chat answers 503 for
            await handler.bridge("lk").user_input("hello?")
        assert database.calls >= 2 and held.held > 0
        with factory() as reader:
            assert f"lk/item/{turn.id}" not in logged_ids(reader, "lk")

        database.down = False  # back: the retry writes the turn, then the hand-over is made and answered
        assert await _until(lambda: held.held == 0 and session.current_agent.id == "Specialist")
        assert await _until(lambda: any("refund" in a for a in answers))  # by the Specialist, as it enters
        with factory() as reader:
            assert f"lk/item/{turn.id}" in logged_ids(reader, "lk")
            row = reader.execute(text("SELECT current_agent_name FROM sessions WHERE session_id = 'lk'")).one()
        assert row[0] == "Specialist"


async def test_quiet_events_are_committed_and_a_failed_commit_is_retried(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timers themselves (QUIET_SECONDS as shipped): what nobody waits for is written once the session is
    quiet, a commit that failed is tried again until it goes through, and no timer runs with nothing held."""
    monkeypatch.setattr(bridge, "RETRY_SECONDS", 0.2)
    async with _lk_session(database_url) as (factory, _manager, handler, session, held):
        lk = handler.bridge("lk")
        await session.run(user_input=turn_text(0))
        assert await _until(lambda: held.held == 0)  # the reply and the state changes after it: once quiet
        database = _Database(held.store, monkeypatch, failures=1)
        lk.submit(EventData(type=EventType.CUSTOM, timestamp=T0, source="user", data={"n": 1}, id="lazy-1"), lazy=True)
        assert await _until(lambda: held.held == 0)  # failed once, then written by the retry
        assert database.calls == 2
        with factory() as reader:
            assert logged_ids(reader, "lk")[-1] == "lazy-1"
        await asyncio.sleep(0.3)
        assert lk._commit_timer is None and database.calls == 2  # nothing held: no timer, no commit


async def test_submitters_are_told_none_when_another_caller_finds_the_session_taken_over(
    database_url: str,
) -> None:
    async with _lk_session(database_url, close_errors=(SessionOwnedError,)) as (
        factory,
        manager,
        handler,
        session,
        held,
    ):
        lk = handler.bridge("lk")
        await session.run(user_input=turn_text(0))
        waiting = lk.submit(EventData(type=EventType.CUSTOM, timestamp=T0, source="user", data={}, id="mine"))
        with factory() as other:  # another process has taken the session over
            other.execute(text("UPDATE sessions SET owner = 'other' WHERE session_id = 'lk'"))
            other.commit()
        with pytest.raises(SessionOwnedError):  # an API caller's event, written at once, finds out first
            manager["lk"].process_event(_event(1))  # (before the bridge's commit for ``waiting`` could run)
        assert await asyncio.wait_for(waiting, 5) is None  # not stored, and never will be
        assert held.lost


async def test_the_event_loop_does_not_wait_for_another_callers_write(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _lk_session(database_url) as (factory, manager, handler, session, held):
        lk = handler.bridge("lk")
        await session.run(user_input=turn_text(0))
        assert await _until(lambda: held.held == 0)
        real = held.store.write_held
        writing, gate, timed_out = threading.Event(), threading.Event(), []

        def slow(records: Any) -> Any:  # a database round trip that lasts until the test lets it go
            writing.set()
            timed_out.append(not gate.wait(10))
            return real(records)

        monkeypatch.setattr(held.store, "write_held", slow)
        api = threading.Thread(target=manager["lk"].process_event, args=(_event(1),))
        api.start()
        assert await asyncio.to_thread(writing.wait, 10)  # the API caller holds the session, writing
        done = lk.submit(EventData(type=EventType.CUSTOM, timestamp=T0, source="user", data={}, id="mine"))
        gate.set()  # reached only if submit did not wait for that write
        assert (await asyncio.wait_for(done, 10)) is not None
        await asyncio.to_thread(api.join)
        assert timed_out == [False] * len(timed_out)
        with factory() as reader:
            assert logged_ids(reader, "lk")[-2:] == ["e001", "mine"]


async def test_chat_answers_503_and_keeps_no_answer_when_the_turn_cannot_be_stored(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "RETRY_SECONDS", 0.2)
    async with running_api(database_url) as api:
        try:
            async with api.client(Role.EDITOR) as http:
                ids = await build_help_desk(http)
                created = await http.post(
                    "/api/v1/sessions", json={"conversation_id": ids["conversation"], "session_id": "play:1"}
                )
                assert created.status_code == 201, created.text
                chat = "/api/v1/sessions/play:1/chat"
                assert (await http.post(chat, json={"message": "hello there", "id": "c1"})).status_code == 200
                database = _Database(api.app.state.api.manager.store, monkeypatch)
                failed = await http.post(chat, json={"message": "my invoice is wrong", "id": "c2"})
                assert failed.status_code == 503, failed.text  # not stored: not answered
                database.down = False
                again = await http.post(chat, json={"message": "my invoice is wrong", "id": "c2"})
                assert again.status_code == 200, again.text  # sent again, not answered from a cache
                assert again.json()["current_agent_name"] == "Billing"
                state = (await http.get("/api/v1/sessions/play:1")).json()
                assert state["current_agent_name"] == "Billing"
        finally:
            await api.app.state.api.chats.close()


def test_a_session_ended_already_is_let_go_even_when_what_is_held_cannot_be_written(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id = build_conversation(db)
    with SessionManager(db, durability="sync") as manager:
        orchestrator, held = _held_session(manager, conversation_id)
        with held.holding():  # as a LiveKit close ends it: by an event of its own
            orchestrator.process_event(_event(1))
            orchestrator.process_event({**_event(2), "type": "session_ended", "source": "livekit"})
        assert orchestrator.ended
        _Database(held.store, monkeypatch)
        with pytest.raises(PersistenceError):
            manager.end_session("s")
        assert "s" not in manager
        with SessionManager(db, durability="sync", owner="other") as elsewhere:
            resumed = elsewhere.resume_session("s")  # its lease was let go: at once, not once it lapses
            assert logged_ids(db, "s") == ["rataura2:created"] and not resumed.ended


async def test_a_session_whose_end_cannot_be_written_at_first_is_ended_by_a_retry(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "RETRY_SECONDS", 0.1)
    async with _lk_session(database_url) as (factory, manager, handler, session, held):
        await session.run(user_input=turn_text(0))
        database = _Database(held.store, monkeypatch, failures=2)
        await session.aclose()
        await handler.bridge("lk").wait_ended()
        assert "lk" not in manager and database.calls >= 3
        with factory() as reader:
            assert logged_ids(reader, "lk")[-1] == "rataura2:ended"


async def test_an_aborted_bridge_still_writes_what_it_held(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bridge, "QUIET_SECONDS", 60.0)  # held until something needs a commit
    async with _lk_session(database_url) as (factory, _manager, handler, session, held):
        await session.run(user_input=turn_text(0))
        assert held.held > 0
        handler.bridge("lk").abort()  # as a chat let go of does
        assert await _until(lambda: held.held == 0)
        with factory() as reader:
            assert len(logged_ids(reader, "lk")) == held.written + 1


async def test_a_decision_not_stored_yet_is_not_called_refused_and_is_carried_out_once_stored(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "RETRY_SECONDS", 0.2)
    factory = init_db(database_url)
    db = factory()
    conversation = seed(db)
    try:
        async with running(db, conversation, manager=SessionManager(db, durability="sync")) as live:
            held = live.handler.session_manager.hold_writes(live.orchestrator.session_id)
            assert held is not None
            database = _Database(  # the database fails from the decision's commit on
                held.store, monkeypatch, only=lambda rs: any(r.event.type is EventType.AGENT_DECISION for r in rs)
            )
            result = await live.session.run(user_input="I want to sell my loot")
            [told] = [e.item for e in result.events if e.type == "function_call_output"]
            assert told.is_error and "not accepted" not in told.output and "saved" in told.output
            assert not [e for e in result.events if e.type == "message"]  # nobody answers meanwhile
            assert live.agent_name == "Router" and live.orchestrator.get_current_agent().name == "Market"
            database.down = False
            assert await _until(lambda: live.agent_name == "Market" and held.held == 0)
            context = await live.context()
            assert context["transitions"][-1]["reason"] == "agent decided transition_to='Market'"
    finally:
        db.close()
        factory.dispose()


def test_an_event_held_while_the_session_is_let_go_is_not_left_behind(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation_id = build_conversation(db)
    manager = SessionManager(db, durability="sync")
    try:
        orchestrator, held = _held_session(manager, conversation_id)
        with held.holding():
            orchestrator.process_event(_event(1))
        real = held.store.write_held
        writing, gate = threading.Event(), threading.Event()

        def slow(records: Any) -> Any:
            writing.set()
            gate.wait(10)
            return real(records)

        monkeypatch.setattr(held.store, "write_held", slow)
        releasing = threading.Thread(target=manager.release_session, args=("s",))
        releasing.start()
        assert writing.wait(10)  # the release is committing what is held
        outcome: list[object] = []

        def holder() -> None:  # the holder processes one more event meanwhile
            try:
                with held.holding():
                    outcome.append(orchestrator.process_event(_event(2)))
            except Exception as exc:
                outcome.append(exc)

        late = threading.Thread(target=holder)
        late.start()
        late.join(1.0)  # before the release is done, if nothing makes it wait
        gate.set()
        releasing.join(10)
        late.join(10)
        [result] = outcome
        # either written, or refused: never processed and kept where nobody writes it
        assert isinstance(result, Exception) or "e002" in logged_ids(db, "s")
        assert held.held == 0
    finally:
        manager.close()
