"""Recorded sessions for the replay benchmark and tests: the demo conversation driven by varied, seeded inputs.

Sessions run on the real session core (an ``AgentOrchestrator`` on the published version's compiled graph, as
``SessionManager`` runs them) and their logs are written as the durable store writes them (the store's own event
rows), in bulk: starting 1,000 sessions one by one through ``SessionManager`` costs a publish check and a lease
each, which is not what these tests are about.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.persistence.sql_store import EventRecord
from rataura2.vocabulary.enums import SessionStatus
from rataura2.vocabulary.events import EventType

T0 = 1_764_000_000.0
SAYINGS: dict[str, tuple[str, ...]] = {
    "combat": ("I want combat advice", "Tell me about combat ships"),
    "pvp": ("Any good PvP fits?", "what fittings do you use?"),
    "industry": ("How does mining work?", "I want to manufacture modules"),
    "market": ("What are market prices?", "Is the price of PLEX up?"),
    "buy": ("Where can I buy a Rifter?", "I'd like to BUY some ammo"),
    "chat": ("Hello", "Thanks!", "tell me more", "ok"),
    "elsewhere": ("Let's talk about something else",),
}
"""What pilots say; only the "buy" sayings contain "buy", and they name no other topic."""


def script(rng: random.Random, session: int) -> list[EventData]:
    """3 to 9 events: mostly user turns, some tool results, decisions, game and LiveKit events."""
    events: list[EventData] = []
    for n in range(rng.randint(3, 9)):
        ts = T0 + session * 100 + n + 1
        event_id = f"r{session}-{n}"
        kind = rng.choices(["user", "tool", "decide", "scan", "error", "left"], [12, 3, 3, 1, 1, 1])[0]
        if kind == "user":
            text = rng.choice(SAYINGS[rng.choice(list(SAYINGS))])
            events.append(EventData(type=EventType.USER_MESSAGE, timestamp=ts, data={"message": text}, id=event_id))
        elif kind == "tool":
            cost = rng.choice([420_000, 3_200_000])
            data = {"tool_name": "fit_ship", "result": {"ship": "Rifter", "cost_isk": cost}}
            events.append(EventData(type=EventType.TOOL_RESULT, timestamp=ts, data=data, source="agent", id=event_id))
        elif kind == "decide":
            data = {"decision_key": "transition_to", "value": rng.choice(["Industry", "General"])}
            events.append(
                EventData(type=EventType.AGENT_DECISION, timestamp=ts, data=data, source="agent", id=event_id)
            )
        elif kind == "scan":
            data = {"kind": "scan", "site": "wormhole"}
            events.append(EventData(type=EventType.CUSTOM, timestamp=ts, data=data, source="game", id=event_id))
        elif kind == "error":
            events.append(EventData(type=EventType.AGENT_ERROR, timestamp=ts, data={"message": "timeout"}, id=event_id))
        else:
            data = {"participant_id": f"pilot-{session}"}
            events.append(LivekitEventHandler.to_event("participant_disconnected", data, ts, event_id=event_id))
    return events


def record_sessions(engine: Engine, graph: CompiledGraph, count: int, *, seed: int = 14) -> None:
    """Run ``count`` sessions of ``graph`` and write their logs; session ``i`` was created ``count - i`` minutes
    (and a half) ago, so that the newest come last."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    sessions: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for i in range(count):
        session_id = f"rec-{i:04d}"
        orchestrator = AgentOrchestrator(session_id, graph)
        created = EventData(
            type=EventType.SESSION_CREATED,
            timestamp=T0 + i * 100,
            source="session_manager",
            id=f"{session_id}/created",
            data={"conversation_id": graph.conversation_id, "version": graph.version},
        )
        for seq, event in enumerate([created, *script(rng, i)], start=1):
            result: TransitionResult = orchestrator.process_event(event)
            rows.append(EventRecord(session_id, i + 1, seq, event, result.to_dict(), None, False, 0, "", 0).row())
        context = orchestrator.context
        at = now - timedelta(minutes=count - i, seconds=30)
        sessions.append(
            {
                "id": i + 1,
                "session_id": session_id,
                "conversation_id": graph.conversation_id,
                "version": graph.version,
                "status": SessionStatus.ENDED.value,
                "last_seq": seq,
                "current_agent_id": orchestrator.current_agent_id,
                "current_agent_name": context.get("current_agent_name"),
                "turn_count": context.get("turn_count"),
                "created_at": at,
                "updated_at": at,
                "ended_at": at,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(SessionRecord), sessions)
        conn.execute(insert(SessionEvent), rows)
