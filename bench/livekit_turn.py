"""What orchestration adds to a LiveKit turn: the same text-mode AgentSession turn with and without rataura2.

Both sessions run the offline LLM, so a turn is LiveKit's own machinery plus the model's (instant) reply; the
difference between the two is what orchestration costs a caller.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from livekit.agents import Agent, AgentSession

from rataura2.db.models import Agent as AgentRow
from rataura2.db.models import Conversation, Transition
from rataura2.db.session import init_db
from rataura2.livekit.offline_llm import OfflineLLM
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.sessions.manager import Durability, SessionManager


@dataclass(frozen=True)
class TurnCost:
    plain_ms: float
    """Median milliseconds per turn without rataura2 (the median over the rounds)."""
    orchestrated_ms: dict[tuple[str, str], float]
    """(store, durability) -> median milliseconds per turn; the store is "memory" for durability "off"."""
    added: dict[tuple[str, str], float]
    """(store, durability) -> what rataura2 adds to a turn: in each round, the orchestrated median minus the plain
    median measured just before it; the median over the rounds."""
    rounds: int

    def added_ms(self, store: str, durability: str) -> float:
        return self.added[(store, durability)]


async def _median_turn(session: AgentSession[Any], turns: int) -> float:
    samples = []
    for i in range(turns):
        start = time.perf_counter()
        await session.run(user_input=f"tell me about mining lasers, turn {i}")
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples[turns // 10 :])  # the first turns warm caches up


async def _plain(turns: int) -> float:
    session = text_agent_session()
    await session.start(Agent(instructions="You are a guide.", llm=OfflineLLM("Guide")))
    try:
        return await _median_turn(session, turns)
    finally:
        await session.aclose()


async def _orchestrated(url: str, durability: Durability, turns: int) -> float:
    sessions = init_db(url)
    db = sessions()
    guide = AgentRow(name="Guide", instructions="You are a guide.")
    other = AgentRow(name="Specialist", instructions="You specialise.")
    tag = uuid.uuid4().hex[:8]
    conversation = Conversation(name=f"turn bench {durability} {tag}", initial_agent=guide, agents=[guide, other])
    db.add(conversation)
    db.flush()
    for pattern in ("refund", "cancel", "complaint"):  # transitions that are checked every turn, and never fire
        db.add(
            Transition(
                source_agent=guide, target_agent=other, condition_type="user_input", condition_data={"pattern": pattern}
            )
        )
    db.commit()
    manager = SessionManager(db, durability=durability)
    handler = LivekitSessionHandler(db, manager)
    session = text_agent_session()
    await handler.start_session(session, conversation.id, session_id=f"turn-bench-{tag}")
    try:
        return await _median_turn(session, turns)
    finally:
        await session.aclose()
        await handler.aclose()
        await asyncio.to_thread(manager.close)
        db.close()
        sessions.dispose()


def turn_cost(turns: int, stores: Mapping[str, str], rounds: int = 1) -> TurnCost:
    """The plain turn, then the orchestrated one with durability off, and async and sync on each of ``stores``
    (name -> database URL); ``rounds`` times, each orchestrated run paired with a plain run just before it (the
    machine's load drifts; a difference taken minutes apart would measure the drift)."""
    first = next(iter(stores.values()))
    configs: list[tuple[str, Durability, str]] = [("memory", "off", first)]
    configs += [(store, durability, url) for store, url in stores.items() for durability in DURABLE]
    plain: list[float] = []
    measured: dict[tuple[str, str], list[float]] = {(store, d): [] for store, d, _ in configs}
    added: dict[tuple[str, str], list[float]] = {(store, d): [] for store, d, _ in configs}
    for _ in range(rounds):
        for store, durability, url in configs:
            base = asyncio.run(_plain(turns))
            ms = asyncio.run(_orchestrated(url, durability, turns))
            plain.append(base)
            measured[(store, durability)].append(ms)
            added[(store, durability)].append(ms - base)
    median = statistics.median
    return TurnCost(
        median(plain),
        {key: median(values) for key, values in measured.items()},
        {key: median(values) for key, values in added.items()},
        rounds,
    )


DURABLE: tuple[Durability, ...] = ("async", "sync")
