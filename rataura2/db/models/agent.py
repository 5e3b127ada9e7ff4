"""The nodes of a graph: agents, and the tools they can call.

The original project kept its models here too (``rataura2.db.models.agent``); Conversation and Transition are
importable from this path as well.
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


def __getattr__(name: str) -> Any:
    # the original's import path for its models (``from rataura2.db.models.agent import Conversation``)
    if name in ("Conversation", "Transition", "BusinessRulesTransition"):
        from rataura2.db import models

        return getattr(models, name)
    raise AttributeError(name)


__all__ = ["Agent", "Tool"]
