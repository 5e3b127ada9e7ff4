"""Reading a session back: its latest snapshot, its event log, and the orchestrator they rebuild.

Rebuilding is the session core's own replay: the snapshot's context, the logged events up to it marked as
processed (so their ids stay no-ops), then the events after it processed again. Processing is deterministic, so
the result is the state the session had; a replayed result that differs from the logged one is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from rataura2.core.context import SessionContext
from rataura2.core.events import EventData, EventManager
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.db.models import SessionEvent, SessionSnapshot
from rataura2.persistence.leases import SessionRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    seq: int
    event: EventData
    result: TransitionResult


@dataclass(frozen=True, slots=True)
class SessionLog:
    row: SessionRow
    snapshot_seq: int
    snapshot: str | None
    """``SessionContext.to_json()`` right after event ``snapshot_seq``, or None (replay from the start)."""
    events: tuple[LoggedEvent, ...]

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0


def read_log(conn: Connection, row: SessionRow) -> SessionLog:
    snapshot = conn.execute(
        select(SessionSnapshot.seq, SessionSnapshot.state)
        .where(SessionSnapshot.session_pk == row.pk)
        .order_by(SessionSnapshot.seq.desc())
        .limit(1)
    ).first()
    e = SessionEvent
    rows = conn.execute(
        select(e.seq, e.event_id, e.type, e.timestamp, e.source, e.data, e.result)
        .where(e.session_pk == row.pk)
        .order_by(e.seq)
    ).all()
    events = tuple(
        LoggedEvent(
            seq,
            EventData(id=event_id, type=kind, timestamp=timestamp, source=source, data=data),
            TransitionResult.from_dict(result),
        )
        for seq, event_id, kind, timestamp, source, data, result in rows
    )
    if snapshot is None:
        return SessionLog(row, 0, None, events)
    return SessionLog(row, snapshot[0], snapshot[1], events)


def rebuild(
    log: SessionLog,
    graph: CompiledGraph,
    *,
    event_manager_factory: Callable[[], EventManager] = EventManager,
    max_hops_per_event: int | None = None,
) -> AgentOrchestrator:
    """The orchestrator of a logged session, in the state its last logged event left it (with no store: the
    caller attaches one if it is going to drive the session)."""
    context = SessionContext.from_json(log.snapshot) if log.snapshot is not None else None
    orchestrator = AgentOrchestrator(
        log.row.session_id,
        graph,
        context=context,
        event_manager=event_manager_factory(),
        max_hops_per_event=max_hops_per_event,
    )
    before = [e for e in log.events if e.seq <= log.snapshot_seq]
    after = [e for e in log.events if e.seq > log.snapshot_seq]
    orchestrator.restore_processed({e.event.id: e.result for e in before}, before[-1].event if before else None)
    for logged in after:
        replayed = orchestrator.process_event(logged.event)
        if replayed.to_dict() != logged.result.to_dict():
            logger.warning(
                "session %s: event %s (seq %d) replays to %s, logged as %s",
                log.row.session_id,
                logged.event.id,
                logged.seq,
                replayed.to_dict(),
                logged.result.to_dict(),
            )
    orchestrator.restore_processed({e.event.id: e.result for e in after}, None)
    return orchestrator
