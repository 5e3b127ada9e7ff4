"""Durable throughput: events per second through ``SessionManager`` with its event log on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bench.workloads import event_stream
from rataura2.db.models import Agent, Conversation, Transition
from rataura2.db.session import init_db
from rataura2.sessions.manager import Durability, SessionManager


@dataclass(frozen=True)
class Throughput:
    store: str
    durability: str
    acknowledged_per_second: float
    written_per_second: float


def _seed(db: Session) -> int:
    agents = [Agent(name=f"agent-{i}", instructions="") for i in range(1, 6)]
    conversation = Conversation(name="durable bench", initial_agent=agents[0], agents=agents)
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


def throughput(store: str, url: str, durability: Durability, events: int) -> Throughput:
    """One session fed ``events`` events: how fast they are acknowledged, and how fast they reach the database."""
    sessions = init_db(url)
    with sessions() as db:
        conversation_id = _seed(db)
        manager = SessionManager(db, durability=durability)
        orchestrator = manager.create_session(f"bench-{durability}", conversation_id)
        stream = list(event_stream(events))
        start = time.perf_counter()
        for event in stream:
            orchestrator.process_event(event)
        acknowledged = time.perf_counter() - start
        manager.flush(timeout=120)
        written = time.perf_counter() - start
        manager.close()
    sessions.dispose()
    return Throughput(store, durability, events / acknowledged, events / written)
