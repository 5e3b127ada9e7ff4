"""Conversations (graphs of agents) and their published, frozen versions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from rataura2.core.flow import check_sensitive_keys
from rataura2.core.templates import compile_template
from rataura2.db.models.base import Base, ExactJson, conversation_agents, conversation_tools, utcnow

if TYPE_CHECKING:
    from rataura2.db.models.agent import Agent, Tool


class Conversation(Base):
    """The brief's "conversation": a graph of agents with one initial agent.

    ``version`` (the latest published version) grows by one each time the conversation's graph is published again,
    so that running sessions can keep the graph they started on.
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
    """Grows with every committed edit of the conversation's definition: the conversation itself, its agents, their
    tools, the transitions between them and their rule sets (``rataura2.db.models.revision`` moves it on), so
    that a session start knows whether the latest version is current, and two editors of the HTTP API cannot
    overwrite each other unawares (``If-Match``)."""
    published_revision: Mapped[int | None] = mapped_column(default=None)
    """The revision whose definition ``version`` was published from, or found equal to. While it is ``revision``,
    the latest version is the current definition and a session starts on it without reading the definition."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    role_instructions: Mapped[str | None] = mapped_column(Text)
    """A prompt every agent of the conversation starts with (a template, like instructions)."""
    sensitive_keys: Mapped[list[Any] | None] = mapped_column(default=None)
    """Context keys whose values are sensitive: never recorded in clear text (``rataura2.core.sensitive``)."""

    initial_agent: Mapped[Agent | None] = relationship(foreign_keys=[initial_agent_id])
    agents: Mapped[list[Agent]] = relationship(secondary=conversation_agents, back_populates="conversations")
    tools: Mapped[list[Tool]] = relationship(secondary=conversation_tools)
    """Conversation-level tools, offered to every agent of the conversation."""


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


@event.listens_for(Conversation, "before_insert")
@event.listens_for(Conversation, "before_update")
def _validate_flow(mapper: Mapper[Conversation], connection: Connection, target: Conversation) -> None:
    """Refuse to store role instructions that would not compile, or a malformed list of sensitive keys."""
    where = f"conversation {target.name!r}"
    compile_template(target.role_instructions, f"{where}.role_instructions")
    check_sensitive_keys(target.sensitive_keys, where)


__all__ = ["Conversation", "ConversationVersion"]
