"""What orchestration adds to a LiveKit turn: the same text-mode AgentSession turn with and without rataura2.

Both sessions run the offline LLM, so a turn is LiveKit's own machinery plus the model's (instant) reply; the
difference between the two is what orchestration costs a caller.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

from livekit.agents import Agent, AgentSession

from bench.databases import sqlite_database
from rataura2.db.models import Agent as AgentRow
from rataura2.db.models import Conversation, Transition
from rataura2.db.session import init_db
from rataura2.livekit.offline_llm import OfflineLLM
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.sessions.manager import Durability, SessionManager


@dataclass(frozen=True)
class TurnCost:
    plain_ms: float
    orchestrated_ms: dict[str, float]
    """durability -> median milliseconds per turn."""

    def added_ms(self, durability: str) -> float:
        return self.orchestrated_ms[durability] - self.plain_ms


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
    conversation = Conversation(name=f"turn bench {durability}", initial_agent=guide, agents=[guide, other])
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
    await handler.start_session(session, conversation.id, session_id=f"turn-bench-{durability}")
    try:
        return await _median_turn(session, turns)
    finally:
        await session.aclose()
        await handler.aclose()
        await asyncio.to_thread(manager.close)
        db.close()
        sessions.dispose()


def turn_cost(turns: int) -> TurnCost:
    plain = asyncio.run(_plain(turns))
    orchestrated: dict[str, float] = {}
    modes: tuple[Durability, ...] = ("off", "async", "sync")
    for durability in modes:
        with sqlite_database() as url:
            orchestrated[durability] = asyncio.run(_orchestrated(url, durability, turns))
    return TurnCost(plain, orchestrated)
