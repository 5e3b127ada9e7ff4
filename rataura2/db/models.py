"""The conversation definitions, as SQLAlchemy 2.0 typed models.

A conversation is a graph: agents are its nodes and transitions its edges. Agents may be shared by several
conversations; a conversation's graph is its agents and the transitions between two of them.

Constructors take the brief's keyword arguments, and an id in place of an object for a many-to-one link
(``Transition(source_agent=3, ...)`` is ``Transition(source_agent_id=3, ...)``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Double, ForeignKey, String, Table, Text, UniqueConstraint, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship, validates

JsonType = JSON().with_variant(JSONB(), "postgresql")
ExactJson = JSON()
"""JSON kept as written (``json``, not ``jsonb``, on PostgreSQL): key order survives, so what is replayed from the
log is exactly what was processed."""


class AgentType(StrEnum):
    GENERAL = "general"
    ROUTER = "router"
    SPECIALIST = "specialist"
    SUPPORT = "support"
    COMBAT = "combat"
    INDUSTRY = "industry"
    MARKET = "market"
    EXPLORATION = "exploration"
    FACTION_WARFARE = "faction_warfare"
    CORPORATION = "corporation"
    ALLIANCE = "alliance"
    CUSTOM = "custom"


class LLMProvider(StrEnum):
    OFFLINE = "offline"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    GEMINI = "gemini"
    LIVEKIT = "livekit"


class STTProvider(StrEnum):
    NONE = "none"
    DEEPGRAM = "deepgram"
    OPENAI = "openai"
    GOOGLE = "google"
    LIVEKIT = "livekit"


class TTSProvider(StrEnum):
    NONE = "none"
    ELEVENLABS = "elevenlabs"
    CARTESIA = "cartesia"
    OPENAI = "openai"
    GOOGLE = "google"
    LIVEKIT = "livekit"


class ConditionType(StrEnum):
    USER_INPUT = "user_input"
    TOOL_RESULT = "tool_result"
    AGENT_DECISION = "agent_decision"
    EVENT = "event"
    LIVEKIT_EVENT = "livekit_event"
    BUSINESS_RULES = "business_rules"
    CUSTOM = "custom"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JsonType, list[Any]: JsonType}

    _id_links: dict[str, str] = {}
    """Many-to-one relationships that also accept an id: relationship name -> foreign key attribute."""

    def __init__(self, **kwargs: Any) -> None:
        for link, fk in self._id_links.items():
            if isinstance(kwargs.get(link), int):
                kwargs[fk] = kwargs.pop(link)
        cls = type(self)
        for key, value in kwargs.items():
            if not hasattr(cls, key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
            setattr(self, key, value)

    def __repr__(self) -> str:
        label = getattr(self, "name", None) or getattr(self, "id", None)
        return f"<{type(self).__name__} {label!r}>"


def _checked_enum(enum: type[StrEnum], field: str, value: Any) -> str:
    try:
        return enum(value).value
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValueError(f"{field} must be one of {allowed}; got {value!r}") from None


agent_tools = Table(
    "agent_tools",
    Base.metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("tool_id", ForeignKey("tools.id", ondelete="CASCADE"), primary_key=True),
)

conversation_agents = Table(
    "conversation_agents",
    Base.metadata,
    Column("conversation_id", ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("position_x", Double, nullable=True),
    Column("position_y", Double, nullable=True),
)
"""Which agents a conversation has, and where each sits on the conversation's canvas (the studio's layout)."""


class Tool(Base):
    """A function an agent can call; ``function_name`` keys the Python callable in the tool registry."""

    __tablename__ = "tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    function_name: Mapped[str] = mapped_column(String(255))
    parameters_schema: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)

    agents: Mapped[list[Agent]] = relationship(secondary=agent_tools, back_populates="tools")


class Agent(Base):
    """A node of the graph: what the assistant is told, which models it speaks with, which tools it has."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str] = mapped_column(Text, default="")
    agent_type: Mapped[str] = mapped_column(String(50), default=AgentType.GENERAL.value)
    llm_provider: Mapped[str] = mapped_column(String(50), default=LLMProvider.OFFLINE.value)
    llm_model: Mapped[str | None] = mapped_column(String(255))
    stt_provider: Mapped[str] = mapped_column(String(50), default=STTProvider.NONE.value)
    stt_model: Mapped[str | None] = mapped_column(String(255))
    tts_provider: Mapped[str] = mapped_column(String(50), default=TTSProvider.NONE.value)
    tts_model: Mapped[str | None] = mapped_column(String(255))
    config: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)

    tools: Mapped[list[Tool]] = relationship(secondary=agent_tools, back_populates="agents")
    conversations: Mapped[list[Conversation]] = relationship(secondary=conversation_agents, back_populates="agents")
    outgoing_transitions: Mapped[list[Transition]] = relationship(
        foreign_keys="Transition.source_agent_id", back_populates="source_agent", cascade="all, delete-orphan"
    )
    incoming_transitions: Mapped[list[Transition]] = relationship(
        foreign_keys="Transition.target_agent_id", back_populates="target_agent"
    )

    @validates("agent_type")
    def _check_agent_type(self, key: str, value: Any) -> str:
        return _checked_enum(AgentType, key, value)

    @validates("llm_provider")
    def _check_llm_provider(self, key: str, value: Any) -> str:
        return _checked_enum(LLMProvider, key, value)

    @validates("stt_provider")
    def _check_stt_provider(self, key: str, value: Any) -> str:
        return _checked_enum(STTProvider, key, value)

    @validates("tts_provider")
    def _check_tts_provider(self, key: str, value: Any) -> str:
        return _checked_enum(TTSProvider, key, value)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow, onupdate=_utcnow)

    initial_agent: Mapped[Agent | None] = relationship(foreign_keys=[initial_agent_id])
    agents: Mapped[list[Agent]] = relationship(secondary=conversation_agents, back_populates="conversations")


class Transition(Base):
    """An edge of the graph: when ``condition_type``/``condition_data`` hold, hand over to ``target_agent``.

    Among the outgoing transitions of an agent, the highest ``priority`` is evaluated first, ties by lower id.
    """

    __tablename__ = "transitions"
    _id_links = {"source_agent": "source_agent_id", "target_agent": "target_agent_id", "tool": "tool_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    source_agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    target_agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    condition_type: Mapped[str] = mapped_column(String(50))
    condition_data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    priority: Mapped[int] = mapped_column(default=0)
    description: Mapped[str | None] = mapped_column(Text)
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("tools.id", ondelete="SET NULL"))

    source_agent: Mapped[Agent] = relationship(foreign_keys=[source_agent_id], back_populates="outgoing_transitions")
    target_agent: Mapped[Agent] = relationship(foreign_keys=[target_agent_id], back_populates="incoming_transitions")
    tool: Mapped[Tool | None] = relationship()
    business_rules: Mapped[BusinessRulesTransition | None] = relationship(
        back_populates="transition", cascade="all, delete-orphan", uselist=False
    )

    def label(self) -> str:
        """How errors name this transition, before and after it has an id."""
        ident = f"transition {self.id}" if self.id is not None else "new transition"
        source = self.source_agent.name if self.source_agent else self.source_agent_id
        target = self.target_agent.name if self.target_agent else self.target_agent_id
        return f"{ident} ({source} -> {target}, {self.condition_type})"


class BusinessRulesTransition(Base):
    """The business-rules rule set that decides a ``business_rules`` transition."""

    __tablename__ = "business_rules_transitions"
    _id_links = {"transition": "transition_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    transition_id: Mapped[int] = mapped_column(ForeignKey("transitions.id", ondelete="CASCADE"), unique=True)
    rules: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow, onupdate=_utcnow)

    transition: Mapped[Transition] = relationship(back_populates="business_rules")


class ConversationVersion(Base):
    """A published graph of a conversation, frozen as a :class:`~rataura2.graph.spec.GraphSpec` in JSON.

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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


class Role(StrEnum):
    """What an API token may do; each role includes ``viewer``, and ``admin`` includes every other."""

    VIEWER = "viewer"
    EDITOR = "editor"
    OPERATOR = "operator"
    ADMIN = "admin"


class ApiToken(Base):
    """A bearer token of the HTTP API. Only the SHA-256 of the token is kept: it is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @validates("role")
    def _check_role(self, key: str, value: Any) -> str:
        return _checked_enum(Role, key, value)


class SessionStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow, onupdate=_utcnow)
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
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


class SessionSnapshot(Base):
    """The context of a session right after event ``seq`` (``SessionContext.to_json``), so that a resume replays
    only the events after it."""

    __tablename__ = "session_snapshots"

    session_pk: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


@event.listens_for(Transition, "before_insert")
@event.listens_for(Transition, "before_update")
def _validate_condition(mapper: Mapper[Transition], connection: Connection, target: Transition) -> None:
    """Refuse to store a transition whose condition would not compile: the flush fails, nothing is written."""
    from rataura2.conditions import validate_condition_data
    from rataura2.errors import InvalidConditionError

    data = target.condition_data or {}
    validate_condition_data(target.condition_type, data, label=target.label())
    has_tool = target.tool_id is not None or target.tool is not None or "tool_id" in data or "tool_name" in data
    if target.condition_type == ConditionType.TOOL_RESULT and not has_tool:
        raise InvalidConditionError(
            target.label(),
            "a tool_result condition needs tool_id or tool_name in condition_data, or the transition's tool",
        )
