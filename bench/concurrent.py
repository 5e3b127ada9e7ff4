"""Many durable sessions at once: events per second acknowledged and stored, with ``sessions`` sessions each driven
by a thread of its own (as a worker serving that many rooms), on SQLite and PostgreSQL, sync and async.

"Stored" is checked, not assumed: after the run the events of these sessions are counted in the log.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.workloads import event_stream
from rataura2.core.events import EventData
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.models import Agent, Conversation, SessionEvent, SessionRecord, Transition
from rataura2.db.session import init_db
from rataura2.sessions.manager import Durability, SessionManager


@dataclass(frozen=True)
class Throughput:
    store: str
    durability: str
    sessions: int
    events: int
    acknowledged_per_second: float
    stored_per_second: float
    commits: int | None
    """Transactions the sync store's group commit wrote the events in (None for async)."""


def seed_ring(db: Session, name: str) -> int:
    """Five agents in a ring, each handing over to the next on "hop"."""
    agents = [Agent(name=f"agent-{i}", instructions="") for i in range(1, 6)]
    conversation = Conversation(name=name, initial_agent=agents[0], agents=agents)
    db.add(conversation)
    db.flush()
    for i, agent in enumerate(agents):
        db.add(
            Transition(
                source_agent=agent,
                target_agent=agents[(i + 1) % 5],
                condition_type="user_input",
                condition_data={"pattern": "hop"},
            )
        )
    db.commit()
    return conversation.id


def throughput(store: str, url: str, durability: Durability, sessions: int, per_session: int) -> Throughput:
    """``sessions`` sessions, each fed ``per_session`` events by its own thread, all at once."""
    tag = uuid.uuid4().hex[:8]
    database = init_db(url)
    try:
        with database() as db:
            conversation_id = seed_ring(db, f"concurrent {tag}")
        streams = [list(event_stream(per_session, seed=100 + s)) for s in range(sessions)]
        with database() as db:
            manager = SessionManager(db, durability=durability)
            try:
                live = [manager.create_session(f"c-{tag}-{s}", conversation_id) for s in range(sessions)]
                manager.flush(timeout=120)
                before = getattr(manager.store, "commits", None)
                start_line = threading.Barrier(sessions + 1)
                failures: list[BaseException] = []

                def drive(session: AgentOrchestrator, events: list[EventData]) -> None:
                    start_line.wait()
                    try:
                        for event in events:
                            session.process_event(event)
                    except BaseException as exc:  # reported below: a lost event must fail the benchmark
                        failures.append(exc)

                threads = [threading.Thread(target=drive, args=pair) for pair in zip(live, streams, strict=True)]
                for thread in threads:
                    thread.start()
                start_line.wait()
                start = time.perf_counter()
                for thread in threads:
                    thread.join()
                acknowledged = time.perf_counter() - start
                manager.flush(timeout=300)
                stored = time.perf_counter() - start
                after = getattr(manager.store, "commits", None)
                if failures:
                    raise RuntimeError(f"{len(failures)} sessions failed: {failures[0]!r}")
            finally:
                manager.close()
            pks = select(SessionRecord.id).where(SessionRecord.session_id.like(f"c-{tag}-%"))
            logged = db.scalar(select(func.count()).select_from(SessionEvent).where(SessionEvent.session_pk.in_(pks)))
    finally:
        database.dispose()
    events = sessions * per_session
    expected = events + sessions  # each session's SESSION_CREATED too
    if logged != expected:
        raise RuntimeError(f"{store} {durability}: {logged} events in the log, {expected} acknowledged")
    commits = None if before is None or after is None else after[0] - before[0]
    return Throughput(store, durability, sessions, events, events / acknowledged, events / stored, commits)
