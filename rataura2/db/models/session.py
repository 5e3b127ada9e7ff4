"""The run-time tables: durable sessions, their event log and their snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Double, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rataura2.db.models.base import Base, ExactJson, utcnow
from rataura2.vocabulary.enums import SessionStatus


class SessionRecord(Base):
    """A durable session: which conversation version it runs on, who drives it, and a summary for listings.

    ``owner`` is the process holding the lease (on SQLite until ``lease_expires_at``, renewed by the owner; on
    PostgreSQL for as long as the owner holds the session's advisory lock). Every event write checks that the
    writer is still the owner, so a process that lost its lease can never write over its successor.
    """

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(Text, unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.ACTIVE.value, index=True)
    owner: Mapped[str | None] = mapped_column(Text)
    lease_expires_at: Mapped[float | None] = mapped_column(Double)
    last_seq: Mapped[int] = mapped_column(default=0)
    current_agent_id: Mapped[int | None]
    current_agent_name: Mapped[str | None] = mapped_column(String(255))
    turn_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SessionEvent(Base):
    """One processed event of a session and what it came to, in processing order (``seq`` from 1).

    ``event_id`` is unique per session: the log is the dedupe table that a resumed session reloads.
    """

    __tablename__ = "session_events"
    __table_args__ = (UniqueConstraint("session_pk", "event_id"),)

    session_pk: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(50))
    timestamp: Mapped[float] = mapped_column(Double)
    source: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    result: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SessionSnapshot(Base):
    """The context of a session right after event ``seq`` (``SessionContext.to_json``), so that a resume replays
    only the events after it."""

    __tablename__ = "session_snapshots"

    session_pk: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


__all__ = ["SessionEvent", "SessionRecord", "SessionSnapshot"]
