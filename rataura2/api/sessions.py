"""Sessions as the API serves them: the live orchestrator of a stored session, summaries, timelines, traffic.

Every function here does database work and blocks: routes call them from worker threads, never on the loop.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine, func, select

from rataura2.api.schemas.sessions import (
    AgentTraffic,
    EdgeTraffic,
    HandoverOut,
    LoggedEventOut,
    ResultOut,
    SessionState,
    SessionSummary,
    Timeline,
    TimelineStep,
    Traffic,
)
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult, TransitionStatus
from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.errors import UnknownSessionError
from rataura2.persistence.admin import list_sessions
from rataura2.persistence.leases import read_row
from rataura2.persistence.log import read_log
from rataura2.sessions.manager import SessionManager

HIDDEN_CONTEXT = ("events",)
"""Left out of contexts the API shows: the event history is the timeline itself."""


def new_session_id() -> str:
    return f"http:{uuid.uuid4().hex[:16]}"


def shown_context(orchestrator: AgentOrchestrator) -> dict[str, Any]:
    context = orchestrator.get_context()
    for key in HIDDEN_CONTEXT:
        context.pop(key, None)
    return context


def live(manager: SessionManager, session_id: str) -> AgentOrchestrator:
    """The session driven here, taking it over from the database if this process does not drive it yet."""
    return manager[session_id] if session_id in manager else manager.resume_session(session_id)


def summary(engine: Engine, session_id: str) -> SessionSummary:
    rows = list_sessions(engine, session_id=session_id, limit=1)
    if not rows:
        raise UnknownSessionError(f"no session {session_id!r}")
    return SessionSummary.model_validate(rows[0])


def state(manager: SessionManager, session_id: str) -> SessionState:
    """A session's summary and context: the live one's if this process drives it, else rebuilt from the log. A
    live session's held events are written first: what is shown is stored, and the summary agrees with it."""
    if session_id in manager:
        manager.write_held(session_id)
    found = summary(manager.engine, session_id)
    orchestrator = manager[session_id] if session_id in manager else manager.load_session(session_id)
    return SessionState(**found.model_dump(), context=shown_context(orchestrator))


def _handovers(graph: CompiledGraph, result: TransitionResult) -> list[HandoverOut]:
    return [
        HandoverOut(
            from_agent_id=h.from_agent_id,
            from_agent_name=graph.get_agent(h.from_agent_id).name,
            to_agent_id=h.to_agent_id,
            to_agent_name=graph.get_agent(h.to_agent_id).name,
            transition_id=h.transition_id,
            reason=h.reason,
        )
        for h in result.hops
    ]


def timeline(manager: SessionManager, session_id: str, *, after: int = 0, limit: int = 200) -> Timeline:
    """Each logged event after ``after`` (at most ``limit``), with what it came to and the context after it.

    The contexts come from replaying the log from its start on the session's graph version: processing is
    deterministic, so they are the states the session went through.
    """
    with manager.engine.connect() as conn:
        log = read_log(conn, read_row(conn, session_id), whole=True)
    graph = manager.compiled_version(log.row.conversation_id, log.row.version)
    replay = AgentOrchestrator(
        session_id,
        graph,
        event_manager=manager.event_manager_factory(),
        max_hops_per_event=manager.max_hops_per_event,
    )
    steps: list[TimelineStep] = []
    for logged in log.events:
        if len(steps) >= limit:
            break
        replay.replay_event(logged.event)
        if logged.seq <= after:
            continue
        agent = replay.get_current_agent()
        event = logged.event
        steps.append(
            TimelineStep(
                seq=logged.seq,
                event=LoggedEventOut(
                    id=event.id, type=event.type.value, timestamp=event.timestamp, source=event.source, data=event.data
                ),
                result=ResultOut.of(logged.result),
                transitions=_handovers(graph, logged.result),
                agent_id=agent.id,
                agent_name=agent.name,
                context=shown_context(replay),
            )
        )
    return Timeline(
        session_id=session_id,
        conversation_id=log.row.conversation_id,
        version=log.row.version,
        status=log.row.status,
        steps=steps,
    )


def traffic(engine: Engine, conversation_id: int) -> Traffic:
    """How many recorded sessions took each transition, and where sessions are (active) or ended."""
    r, e = SessionRecord, SessionEvent
    with engine.connect() as conn:
        places = conn.execute(
            select(r.current_agent_id, r.status, func.count())
            .where(r.conversation_id == conversation_id)
            .group_by(r.current_agent_id, r.status)
        ).all()
        moves = conn.execute(
            select(e.session_pk, e.result)
            .join(r, r.id == e.session_pk)
            .where(r.conversation_id == conversation_id, e.result["status"].as_string() == TransitionStatus.SUCCESS)
        ).all()
    hops: Counter[int] = Counter()
    takers: defaultdict[int, set[int]] = defaultdict(set)
    for session_pk, result in moves:
        for hop in result.get("hops", ()):
            if hop.get("transition_id") is not None:
                hops[hop["transition_id"]] += 1
                takers[hop["transition_id"]].add(session_pk)
    agents: defaultdict[int, dict[str, int]] = defaultdict(lambda: {"active": 0, "ended": 0})
    total = 0
    for agent_id, status, count in places:
        total += count
        if agent_id is not None:
            agents[agent_id]["ended" if status == "ended" else "active"] += count
    return Traffic(
        conversation_id=conversation_id,
        sessions=total,
        transitions=[EdgeTraffic(transition_id=t, count=n, sessions=len(takers[t])) for t, n in sorted(hops.items())],
        agents=[AgentTraffic(agent_id=a, **counts) for a, counts in sorted(agents.items())],
    )
