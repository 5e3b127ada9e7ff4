"""Durable sessions: a killed worker's session is resumed elsewhere with every acknowledged event, exactly as it
stood; a database that goes away loses nothing acknowledged, in sync mode (nothing is acknowledged) and in async
mode (the backlog waits and is written when it returns)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from rataura2.db.models import SessionRecord, SessionSnapshot
from rataura2.db.session import init_db, make_engine
from rataura2.errors import BacklogFullError, PersistenceError, UnknownSessionError
from rataura2.persistence.async_store import AsyncStore
from rataura2.sessions.manager import Durability, SessionManager
from tests._procs import ROOT, T0, build_conversation, drive, logged_ids, reference_run, script, spawn_args


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_killed_writer_is_resumed_elsewhere_with_every_acknowledged_event(database_url: str, tmp_path: Path) -> None:
    factory = init_db(database_url)
    with factory() as db:
        conversation_id = build_conversation(db)
    events = script()
    ack = tmp_path / "acknowledged"
    ack.touch()
    writer = subprocess.Popen(
        spawn_args(database_url, "s1", conversation_id, create=True, delay=0.02, ack=ack, lease=1.0, snapshot_every=5),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(lambda: len(ack.read_text().split()) >= 25 or writer.poll() is not None, 30, "25 acknowledged events")
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read() if writer.stderr else ""
    acknowledged = ack.read_text().split()
    assert 25 <= len(acknowledged) < len(events), "the writer must die mid-run"

    with factory() as db:
        logged = logged_ids(db, "s1")
        # every acknowledged event is in the log, the log is the script's prefix, in order, each event once
        assert set(acknowledged) <= set(logged)
        assert logged == ["rataura2:created"] + [e["id"] for e in events[: len(logged) - 1]]
        done = len(logged) - 1
        assert db.scalar(select(SessionSnapshot.seq).join(SessionRecord).where(SessionRecord.session_id == "s1"))

        manager = SessionManager(db, lease_seconds=1.0, snapshot_every=5)
        # SQLite: the dead writer's lease lapses within a second; PostgreSQL: its lock died with it
        resumed = manager.resume_session("s1", wait=10)
        assert resumed.get_context() == reference_run(database_url, conversation_id, "s1", events[:done]).get_context()

        replayed_new = drive(manager, "s1", events)  # the client replays its whole script: seen ids are no-ops
        assert replayed_new == len(events) - done
        manager.end_session("s1", timestamp=T0 + 1000)
        assert logged_ids(db, "s1") == ["rataura2:created", *(e["id"] for e in events), "rataura2:ended"]
        manager.close()

    never_crashed = reference_run(database_url, conversation_id, "s1", events, end_at=T0 + 1000)
    assert resumed.get_context() == never_crashed.get_context()
    assert resumed.get_current_agent() == never_crashed.get_current_agent()
    user_turns = sum(e["type"] == "user_message" for e in events)
    assert resumed.get_context()["turn_count"] == never_crashed.get_context()["turn_count"] == user_turns
    factory.dispose()


def test_sync_session_resumes_in_a_new_manager_exactly(db: Session, database_url: str) -> None:
    conversation_id = build_conversation(db)
    events = script(4)
    manager = SessionManager(db, snapshot_every=4)
    original = manager.create_session("s", conversation_id, timestamp=T0)
    drive(manager, "s", events)
    manager.close()

    other = SessionManager(db)
    resumed = other.resume_session("s")
    assert resumed is not original
    assert resumed.get_context() == original.get_context()
    assert [resumed.seen(e["id"]) for e in events] == [True] * len(events)
    first = events[0]
    assert resumed.process_event(first) == original.process_event(first)  # the logged result, nothing applied
    assert len(logged_ids(db, "s")) == len(events) + 1
    other.close()


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_a_session_replayed_from_its_log_sees_its_values_in_their_key_order(
    db: Session, durability: Durability
) -> None:
    """The log keeps each event's data as it came, key order included: a session rebuilt from it (no snapshot)
    holds the very values it processed, on every store."""
    conversation_id = build_conversation(db)
    manager = SessionManager(db, durability=durability, snapshot_every=1_000)
    original = manager.create_session("s", conversation_id, timestamp=T0)
    result = {"zeta": 1, "alpha": {"y": [{"b": 2, "a": 1}], "x": None}, "mid": "é"}
    original.process_event(
        {"type": "tool_result", "timestamp": T0 + 1, "data": {"tool_name": "scan", "result": result}}
    )
    original.update_context({"order": {"z": 1, "a": 2}})
    expected = json.dumps(original.get_context())
    manager.close()

    resumed = SessionManager(db).resume_session("s")
    assert json.dumps(resumed.get_context()) == expected
    assert list(resumed.get_context()["tool_results"]["scan"]) == ["zeta", "alpha", "mid"]


def test_resume_of_an_unknown_session_is_a_clear_error(db: Session) -> None:
    manager = SessionManager(db)
    with pytest.raises(UnknownSessionError, match="no session 'nope' in the database"):
        manager.resume_session("nope")
    with pytest.raises(UnknownSessionError, match="in memory only"):
        SessionManager(db, durability="off").resume_session("nope")


def test_an_ended_session_resumes_read_only(db: Session) -> None:
    conversation_id = build_conversation(db)
    manager = SessionManager(db)
    manager.create_session("s", conversation_id, timestamp=T0)
    drive(manager, "s", script(1))
    manager.end_session("s", timestamp=T0 + 100)
    again = SessionManager(db).resume_session("s")
    assert again.ended and again.get_context()["session"]["status"] == "ended"
    assert db.scalar(select(SessionRecord.owner).where(SessionRecord.session_id == "s")) is None


# the database going away ----------------------------------------------------------------------------------------
@pytest.fixture
def fragile_db(database_url: str, tmp_path: Path) -> Iterator[tuple[sessionmaker[Session], Any]]:
    """A database this test may take away and give back: ``(sessions, outage)`` where ``outage()`` is a context
    manager. SQLite: another connection holds the write lock (and the engine waits 50 ms, not 5 s, for it).
    PostgreSQL: a database of this test's own stops accepting connections and its backends are terminated (the
    shared server is never touched)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        engine = make_engine(database_url)
        event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=50"))
        path = make_url(database_url).database
        assert path

        @contextmanager
        def locked() -> Iterator[None]:
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                holder.execute("ROLLBACK")
                holder.close()

        yield init_db(engine=engine), locked
        engine.dispose()
        return

    url = make_url(database_url)
    name = f"{url.database}_down"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")  # the run's database administers this one
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))

    @contextmanager
    def stopped() -> Iterator[None]:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        yield init_db(engine=engine), stopped
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _engine(factory: sessionmaker[Session]) -> Engine:
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def test_sync_mode_with_the_database_away_acknowledges_nothing(fragile_db: Any) -> None:
    factory, outage = fragile_db
    events = script(2)
    with factory() as db:
        conversation_id = build_conversation(db)
        manager = SessionManager(db)
        orchestrator = manager.create_session("s", conversation_id, timestamp=T0)
        drive(manager, "s", events[:5])
        before = orchestrator.get_context()
        with outage():
            with pytest.raises(PersistenceError, match="was not applied, send it again"):
                orchestrator.process_event(events[5])
            assert orchestrator.get_context() == before
            assert not orchestrator.seen(events[5]["id"])
        drive(manager, "s", events)  # the same events again, once the database is back
        assert logged_ids(db, "s") == ["rataura2:created", *(e["id"] for e in events)]
        manager.close()


def test_async_mode_serves_through_an_outage_and_loses_nothing(fragile_db: Any) -> None:
    factory, outage = fragile_db
    events = script(4)
    with factory() as db:
        conversation_id = build_conversation(db)
        manager = SessionManager(db, durability="async", max_backlog=12, snapshot_every=5)
        store = manager.store
        assert isinstance(store, AsyncStore)
        manager.create_session("s", conversation_id, timestamp=T0)
        drive(manager, "s", events[:10])
        manager.flush(10)
        with outage():
            drive(manager, "s", events[10:20])  # acknowledged while the database is away
            _wait_for(lambda: store.retries > 0, 10, "a failed write")
            assert manager.backlog == 10
            assert store.status()["backlog"] == 10 and store.last_error
            with pytest.raises(PersistenceError, match="still waiting for the database"):
                manager.flush(0.2)
            drive(manager, "s", events[20:22])
            with pytest.raises(BacklogFullError, match="12 acknowledged events are waiting"):
                manager["s"].process_event(events[22])  # the buffer is full: refused, not dropped
            assert not manager["s"].seen(events[22]["id"])
        manager.flush(15)
        assert manager.backlog == 0 and store.last_error is None
        drive(manager, "s", events)
        manager.close()
        assert logged_ids(db, "s") == ["rataura2:created", *(e["id"] for e in events)]

    url = _engine(factory).url.render_as_string(hide_password=False)
    expected = reference_run(url, conversation_id, "s", events).get_context()
    with factory() as db, SessionManager(db) as other:
        assert other.resume_session("s").get_context() == expected


def test_async_mode_writes_behind_and_closes_cleanly(db: Session, database_url: str) -> None:
    conversation_id = build_conversation(db)
    events = script(6)
    manager = SessionManager(db, durability="async", snapshot_every=7)
    manager.create_session("s", conversation_id, timestamp=T0)
    drive(manager, "s", events)
    manager.end_session("s", timestamp=T0 + 500)
    manager.close()
    assert manager.backlog == 0
    assert logged_ids(db, "s") == ["rataura2:created", *(e["id"] for e in events), "rataura2:ended"]
    record = db.scalars(select(SessionRecord).where(SessionRecord.session_id == "s")).one()
    assert (record.status, record.owner, record.turn_count) == ("ended", None, 12)


def test_a_batch_larger_than_a_sqlite_statement_allows_is_written_whole(tmp_path: Path) -> None:
    """The SQLite writer puts a batch's events in as few INSERTs as the connection's limit of bound values allows;
    a build with a low limit gets more statements, never a lost or reordered event."""
    factory = init_db(f"sqlite:///{tmp_path / 'small-limit.db'}")
    engine = _engine(factory)
    event.listen(engine, "connect", lambda conn, _: conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 25))
    engine.dispose()  # the connections opened so far do not have the limit
    inserts: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.startswith("INSERT INTO session_events"):
            inserts.append(len(parameters))

    events = script(6)
    with factory() as db:
        conversation_id = build_conversation(db)
        manager = SessionManager(db, durability="async")
        manager.create_session("s", conversation_id, timestamp=T0)
        drive(manager, "s", events)
        manager.close()
        assert logged_ids(db, "s") == ["rataura2:created", *(e["id"] for e in events)]
    assert max(inserts) <= 25 and len(inserts) > 1  # within the limit: several statements for the batch


def test_async_writer_stays_asleep_under_a_steady_stream_and_writes_a_burst_once_it_is_over(db: Session) -> None:
    """Each wake of the writer thread costs the sessions' event loop far more than the thread's work: under a
    steady stream it looks for a lull once per batch and otherwise sleeps to its deadline, rather than looking
    again every ``quiet_seconds``; a burst is written at the lull after it, long before the deadline."""
    conversation_id = build_conversation(db)
    events = script(60)[:-1]  # not the user leaving: the session stays open
    manager = SessionManager(db, durability="async")
    store = manager.store
    assert isinstance(store, AsyncStore)
    store.quiet_seconds, store.gather_seconds = 0.1, 1.0
    manager.create_session("s", conversation_id, timestamp=T0)
    manager.flush(10)
    waits = 0
    wait = store._cond.wait

    def counted(timeout: float | None = None) -> bool:
        nonlocal waits
        waits += 1
        return wait(timeout)

    store._cond.wait = counted  # type: ignore[method-assign]
    steady, burst = events[:400], events[400:420]
    began = time.monotonic()
    drive(manager, "s", steady, delay=0.005)  # about two seconds without a lull of 100 ms
    seconds = time.monotonic() - began
    assert store.written > 1, "nothing was written while the stream went on"
    batches = seconds / store.gather_seconds + 1
    assert waits <= 2 * batches + 1, f"the writer woke {waits} times in {seconds:.1f} s of a steady stream"
    manager.flush(10)
    drive(manager, "s", burst)
    sent = time.monotonic()
    _wait_for(lambda: store.backlog == 0, 10, "the burst written")
    assert time.monotonic() - sent < store.gather_seconds, "the burst waited for the deadline, not the lull"
    manager.close()
    assert logged_ids(db, "s") == ["rataura2:created", *(e["id"] for e in steady + burst)]
