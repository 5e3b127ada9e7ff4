"""Reading the recorded sessions of a conversation from the event log, many at once, for replay."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rataura2.core.events import EventData
from rataura2.core.result import TransitionResult
from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.replay.session import RecordedSession
from rataura2.vocabulary.events import EventType

_CHUNK = 500
"""Sessions per query of their events (keeps the IN list short on every database)."""


def recorded_sessions(
    engine: Engine, conversation_id: int, *, since: datetime | None = None, limit: int | None = None
) -> list[RecordedSession]:
    """The conversation's sessions (those created at or after ``since``; the ``limit`` most recent), oldest first,
    each with its whole event log."""
    r = SessionRecord
    query = select(r.id, r.session_id, r.version).where(r.conversation_id == conversation_id)
    if since is not None:
        query = query.where(r.created_at >= since)
    query = query.order_by(r.created_at.desc(), r.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as db:
        rows = list(reversed(db.execute(query).all()))
        logs = dict(_logs(db, [pk for pk, _, _ in rows]))
    return [RecordedSession(session_id, version, logs.get(pk, ())) for pk, session_id, version in rows]


def _logs(db: Session, pks: list[int]) -> Iterator[tuple[int, tuple[tuple[EventData, TransitionResult], ...]]]:
    e = SessionEvent
    for start in range(0, len(pks), _CHUNK):
        chunk = pks[start : start + _CHUNK]
        events: defaultdict[int, list[tuple[EventData, TransitionResult]]] = defaultdict(list)
        rows = db.execute(
            select(e.session_pk, e.event_id, e.type, e.timestamp, e.source, e.data, e.result)
            .where(e.session_pk.in_(chunk))
            .order_by(e.session_pk, e.seq)
        )
        for pk, event_id, kind, timestamp, source, data, result in rows:
            # validated when it was first processed: checking every logged event again is most of a bulk read
            event = EventData.model_construct(
                id=event_id, type=EventType(kind), timestamp=timestamp, source=source, data=data
            )
            events[pk].append((event, TransitionResult.from_dict(result)))
        for pk in chunk:
            yield pk, tuple(events.get(pk, ()))
