"""Looking after stored sessions: listing them with who drives them, purging ended ones, naming new ones."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, text
from sqlalchemy.orm import Session

from rataura2.db.models import Conversation, SessionEvent, SessionRecord, SessionSnapshot
from rataura2.persistence.leases import LOCK_CLASS_AS_OID
from rataura2.vocabulary.enums import SessionStatus


def next_session_id(db: Session, prefix: str) -> str:
    """``prefix`` followed by the first number after the count of stored sessions with that prefix that is free."""
    taken = SessionRecord.session_id.startswith(prefix, autoescape=True)
    n = db.scalar(select(func.count()).select_from(SessionRecord).where(taken)) or 0
    while True:
        n += 1
        candidate = f"{prefix}{n}"
        if db.scalar(select(SessionRecord.id).where(SessionRecord.session_id == candidate)) is None:
            return candidate


def _locked_rows(conn: Connection) -> set[int] | None:
    """Row ids of the sessions whose advisory lock is held (PostgreSQL), None elsewhere."""
    if conn.dialect.name != "postgresql":
        return None
    rows = conn.execute(
        text(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            f"AND classid::bigint = {LOCK_CLASS_AS_OID}"
        )
    )
    return {int(r[0]) for r in rows}


def _conditions(status: str | None, conversation: str | None, session_id: str | None = None) -> list[Any]:
    found: list[Any] = []
    if session_id is not None:
        found.append(SessionRecord.session_id == session_id)
    if status is not None:
        found.append(SessionRecord.status == status)
    if conversation is not None:
        found.append(
            Conversation.id == int(conversation) if conversation.isdigit() else Conversation.name == conversation
        )
    return found


def count_sessions(engine: Engine, *, status: str | None = None, conversation: str | None = None) -> int:
    """How many stored sessions :func:`list_sessions` would page through."""
    query = select(func.count()).select_from(SessionRecord).join(Conversation)
    with Session(engine) as db:
        return int(db.scalar(query.where(*_conditions(status, conversation))) or 0)


def list_sessions(
    engine: Engine,
    *,
    status: str | None = None,
    conversation: str | None = None,
    limit: int = 100,
    offset: int = 0,
    session_id: str | None = None,
) -> list[dict[str, Any]]:
    """Stored sessions, most recently updated first, with whether their owner is alive (``driven``)."""
    r = SessionRecord
    query = (
        select(r, Conversation.name)
        .join(Conversation, Conversation.id == r.conversation_id)
        .order_by(r.updated_at.desc(), r.id.desc())
        .limit(limit)
        .offset(offset)
    )
    query = query.where(*_conditions(status, conversation, session_id))
    now = time.time()
    with Session(engine) as db:
        locked = _locked_rows(db.connection())
        out = []
        for record, conversation_name in db.execute(query).all():
            if record.owner is None:
                driven = False
            elif locked is not None:
                driven = record.id in locked
            else:
                driven = (record.lease_expires_at or 0) > now
            out.append(
                {
                    "session_id": record.session_id,
                    "conversation_id": record.conversation_id,
                    "conversation": conversation_name,
                    "version": record.version,
                    "status": record.status,
                    "owner": record.owner,
                    "driven": driven,
                    "lease_expires_at": record.lease_expires_at,
                    "current_agent_id": record.current_agent_id,
                    "current_agent_name": record.current_agent_name,
                    "turn_count": record.turn_count,
                    "events": record.last_seq,
                    "created_at": record.created_at,
                    "updated_at": record.updated_at,
                    "ended_at": record.ended_at,
                }
            )
        return out


def purge_sessions(engine: Engine, *, older_than: timedelta | None = None, dry_run: bool = False) -> list[str]:
    """Delete ended sessions (ended before ``older_than`` ago, if given) with their log and snapshots; return
    their ids. Active sessions are never purged."""
    r = SessionRecord
    query = select(r.id, r.session_id).where(r.status == SessionStatus.ENDED.value)
    if older_than is not None:
        query = query.where(r.ended_at < datetime.now(UTC) - older_than)
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        pks = [pk for pk, _ in rows]
        if pks and not dry_run:
            conn.execute(delete(SessionEvent).where(SessionEvent.session_pk.in_(pks)))
            conn.execute(delete(SessionSnapshot).where(SessionSnapshot.session_pk.in_(pks)))
            conn.execute(delete(r).where(r.id.in_(pks)))
    return [session_id for _, session_id in rows]
