"""The nodes of a graph: agents, and the tools they can call.

The original project kept all its models and their enums in this module, so its imports from here keep working:
``Conversation`` (and its older name ``MetaAgent``), ``Transition``, ``BusinessRulesTransition``, ``AgentType``,
``LLMProvider``, ``STTProvider``, ``TTSProvider`` and ``TransitionConditionType`` (our ``ConditionType``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from rataura2.db.models.base import Base, agent_tools, checked_enum, conversation_agents
from rataura2.vocabulary.enums import AgentType, LLMProvider, STTProvider, TTSProvider

if TYPE_CHECKING:
    from rataura2.db.models.conversation import Conversation
    from rataura2.db.models.transition import Transition


class Tool(Base):
    """A function an agent can call; ``function_name`` keys the Python callable in the tool registry."""

    __tablename__ = "tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    """Unique within a conversation (checked at commit), not across the database."""
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
        return checked_enum(AgentType, key, value)

    @validates("llm_provider")
    def _check_llm_provider(self, key: str, value: Any) -> str:
        return checked_enum(LLMProvider, key, value)

    @validates("stt_provider")
    def _check_stt_provider(self, key: str, value: Any) -> str:
        return checked_enum(STTProvider, key, value)

    @validates("tts_provider")
    def _check_tts_provider(self, key: str, value: Any) -> str:
        return checked_enum(TTSProvider, key, value)


_ORIGINAL_NAMES = {
    "Conversation": "Conversation",
    "MetaAgent": "Conversation",
    "Transition": "Transition",
    "BusinessRulesTransition": "BusinessRulesTransition",
    "TransitionConditionType": "ConditionType",
}


def __getattr__(name: str) -> Any:
    # the original's import path for its models (``from rataura2.db.models.agent import Conversation``); looked up
    # when asked for, since those modules import this one
    if name in _ORIGINAL_NAMES:
        from rataura2.db import models

        return getattr(models, _ORIGINAL_NAMES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Agent", "AgentType", "LLMProvider", "STTProvider", "TTSProvider", "Tool"]
