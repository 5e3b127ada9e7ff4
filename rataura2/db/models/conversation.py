"""Conversations (graphs of agents) and their published, frozen versions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rataura2.db.models.base import Base, ExactJson, conversation_agents, utcnow

if TYPE_CHECKING:
    from rataura2.db.models.agent import Agent


class Conversation(Base):
    """The brief's "conversation": a graph of agents with one initial agent.

    ``version`` grows by one each time the conversation's graph is published again, so that running sessions
    can keep the graph they started on.
    """

    __tablename__ = "conversations"
    _id_links = {"initial_agent": "initial_agent_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    initial_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    config: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    revision: Mapped[int] = mapped_column(default=1, server_default="1")
    """Grows with every edit of the conversation's definition made through the HTTP API or a document import, so
    that two editors cannot overwrite each other unawares (``If-Match``)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    initial_agent: Mapped[Agent | None] = relationship(foreign_keys=[initial_agent_id])
    agents: Mapped[list[Agent]] = relationship(secondary=conversation_agents, back_populates="conversations")


class ConversationVersion(Base):
    """A published graph of a conversation, frozen as a :class:`~rataura2.core.spec.GraphSpec` in JSON.

    Sessions run on a version, not on the live rows: a session started on version 1 is resumed on version 1 in any
    process, however the agents and transitions have been edited since. ``digest`` (of the spec without its version
    number) tells whether the rows still match the latest version.
    """

    __tablename__ = "conversation_versions"
    __table_args__ = (UniqueConstraint("conversation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(ExactJson)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


__all__ = ["Conversation", "ConversationVersion"]
