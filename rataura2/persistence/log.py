"""Reading a session back: its latest snapshot, its event log, and the orchestrator they rebuild.

Rebuilding is the session core's own replay: the snapshot's context, the logged events up to it marked as
processed (so their ids stay no-ops), then the events after it processed again. Processing is deterministic, so
the result is the state the session had; a replayed result that differs from the logged one is reported.

Only what the rebuild uses is read: the snapshot, the events after it, and the latest events before it that the
dedupe window holds. A session resumed to be driven also reads the older events' ids, streamed into a Bloom filter
(``rataura2.core.dedupe``) that tells its new events from repeats without a read each: that part of a resume grows
with the log (one short column), its memory barely (under 3 MB for a million events).
Everything read is verified first (checksums, and a log with no gap in ``seq``): a damaged session is refused with
:class:`~rataura2.errors.CorruptSessionError` naming the session and the row, never rebuilt into a different state.
``rataura2 sessions verify`` checks every row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from rataura2.core.context import SessionContext
from rataura2.core.dedupe import DepartedIds
from rataura2.core.events import EventData, EventManager
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.db.models import SessionEvent, SessionSnapshot
from rataura2.errors import CorruptSessionError
from rataura2.persistence.integrity import event_checksum, snapshot_checksum
from rataura2.persistence.leases import SessionRow
from rataura2.settings import get_settings

logger = logging.getLogger(__name__)

OLDER_IDS_PER_FETCH = 10_000
"""Rows fetched at a time when a resume streams the older events' ids (a server-side cursor on PostgreSQL)."""

EVENT_COLUMNS = (
    SessionEvent.seq,
    SessionEvent.event_id,
    SessionEvent.type,
    SessionEvent.timestamp,
    SessionEvent.source,
    SessionEvent.data,
    SessionEvent.result,
    SessionEvent.checksum,
)


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
    """The events after the snapshot, and the latest ones before it (the dedupe window)."""
    complete: bool = True
    """Whether ``events`` is the whole log."""
    older: DepartedIds | None = None
    """When it is not: the ids of the events before ``events``, if they were read (a session resumed to be driven
    needs them to know which new ids are new without reading the log; see ``rataura2.core.dedupe``)."""

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else self.row.last_seq


def decode_event(session_id: str, row: Sequence[Any]) -> LoggedEvent:
    """One log row, checked against its checksum and decoded; :class:`CorruptSessionError` naming it otherwise."""
    seq, event_id, kind, timestamp, source, data, result, checksum = row
    where = f"event {seq}"
    try:
        if checksum is not None and checksum != event_checksum(seq, event_id, kind, timestamp, source, data, result):
            raise CorruptSessionError(session_id, where, "its checksum does not match its content (edited?)")
        return LoggedEvent(
            seq,
            EventData(id=event_id, type=kind, timestamp=timestamp, source=source, data=data),
            TransitionResult.from_dict(result),
        )
    except CorruptSessionError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise CorruptSessionError(session_id, where, f"it does not decode ({type(exc).__name__}: {exc})") from None


def decode_snapshot(session_id: str, seq: int, state: Any, checksum: str | None) -> SessionContext:
    where = f"the snapshot at event {seq}"
    if not isinstance(state, str):
        raise CorruptSessionError(session_id, where, "it holds no text")
    if checksum is not None and checksum != snapshot_checksum(seq, state):
        raise CorruptSessionError(session_id, where, "its checksum does not match its content (edited or truncated?)")
    try:
        return SessionContext.from_json(state)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise CorruptSessionError(session_id, where, f"it does not decode ({type(exc).__name__}: {exc})") from None


def check_sequence(conn: Connection, row: SessionRow) -> None:
    """The log holds events 1 to ``last_seq``, each once: a deleted row leaves a gap or a short log."""
    count, low, high = conn.execute(
        select(func.count(), func.min(SessionEvent.seq), func.max(SessionEvent.seq)).where(
            SessionEvent.session_pk == row.pk,
            SessionEvent.seq <= row.last_seq,  # later rows: writes in flight
        )
    ).one()
    if (count, low or 0, high or 0) == (row.last_seq, min(row.last_seq, 1), row.last_seq):
        return
    if count and low != 1:
        where, what = "event 1", f"the log starts at event {low}"
    elif count and high != count:
        where, what = "the event log", f"{high - count} of events 1 to {high} are missing (a gap in seq)"
    else:
        where, what = (
            f"event {(high or 0) + 1}",
            f"the log ends at event {high or 0} but the session has {row.last_seq}",
        )
    raise CorruptSessionError(row.session_id, where, what + " (rows deleted?)")


def read_log(
    conn: Connection, row: SessionRow, *, window: int | None = None, whole: bool = False, older_ids: bool = False
) -> SessionLog:
    """The snapshot, the events after it and the ``window`` latest before it (default: the dedupe window), or
    with ``whole`` every event, verified; with ``older_ids``, the ids of the events before those too, streamed
    into a filter (the ids alone: a few bytes each in memory, however long the log)."""
    window = row.last_seq if whole else get_settings().dedupe_window_events if window is None else window
    check_sequence(conn, row)
    snapshot = conn.execute(
        select(SessionSnapshot.seq, SessionSnapshot.state, SessionSnapshot.checksum)
        .where(SessionSnapshot.session_pk == row.pk, SessionSnapshot.seq <= row.last_seq)
        .order_by(SessionSnapshot.seq.desc())
        .limit(1)
    ).first()
    snapshot_seq = 0 if snapshot is None else int(snapshot[0])
    if snapshot is not None:
        decode_snapshot(row.session_id, snapshot_seq, snapshot[1], snapshot[2])
    first = max(1, snapshot_seq - window + 1)
    rows = conn.execute(
        select(*EVENT_COLUMNS)
        .where(SessionEvent.session_pk == row.pk, SessionEvent.seq >= first, SessionEvent.seq <= row.last_seq)
        .order_by(SessionEvent.seq)
    ).all()
    events = tuple(decode_event(row.session_id, r) for r in rows)
    state = None if snapshot is None else str(snapshot[1])
    older = None
    if older_ids and first > 1:
        older = DepartedIds(expected=first - 1)
        ids = select(SessionEvent.event_id).where(SessionEvent.session_pk == row.pk, SessionEvent.seq < first)
        for event_id in conn.execute(ids.execution_options(yield_per=OLDER_IDS_PER_FETCH)).scalars():
            older.add(event_id)
    return SessionLog(row, snapshot_seq, state, events, complete=first == 1, older=older)


def logged_result(conn: Connection, row_pk: int, session_id: str, event_id: str) -> TransitionResult | None:
    """The result of one logged event, by id (verified), or None if the log does not have it."""
    found = conn.execute(
        select(*EVENT_COLUMNS).where(SessionEvent.session_pk == row_pk, SessionEvent.event_id == event_id)
    ).first()
    return None if found is None else decode_event(session_id, found).result


def rebuild(
    log: SessionLog,
    graph: CompiledGraph,
    *,
    event_manager_factory: Callable[[], EventManager] = EventManager,
    max_hops_per_event: int | None = None,
    max_transitions_per_turn: int | None = None,
) -> AgentOrchestrator:
    """The orchestrator of a logged session, in the state its last logged event left it (with no store: the
    caller attaches one if it is going to drive the session)."""
    session_id = log.row.session_id
    context = decode_snapshot(session_id, log.snapshot_seq, log.snapshot, None) if log.snapshot is not None else None
    orchestrator = AgentOrchestrator(
        session_id,
        graph,
        context=context,
        event_manager=event_manager_factory(),
        max_hops_per_event=max_hops_per_event,
        max_transitions_per_turn=max_transitions_per_turn,
        logged=True,
    )
    before = [e for e in log.events if e.seq <= log.snapshot_seq]
    after = [e for e in log.events if e.seq > log.snapshot_seq]
    orchestrator.restore_processed(
        {e.event.id: (e.event.timestamp, e.result) for e in before},
        before[-1].event if before else None,
        complete=log.complete,
        older=log.older,
    )
    for logged in after:
        try:
            replayed = orchestrator.replay_event(logged.event)
        except (ValueError, TypeError, KeyError) as exc:
            raise CorruptSessionError(
                session_id, f"event {logged.seq}", f"it does not replay ({type(exc).__name__}: {exc})"
            ) from None
        if replayed.to_dict() != logged.result.to_dict():
            logger.warning(
                "session %s: event %s (seq %d) replays to %s, logged as %s",
                session_id,
                logged.event.id,
                logged.seq,
                replayed.to_dict(),
                logged.result.to_dict(),
            )
    orchestrator.restore_processed({e.event.id: (e.event.timestamp, e.result) for e in after}, None)
    return orchestrator
