"""The nodes of a graph: agents, and the tools they can call.

The original project kept all its models and their enums in this module, so its imports from here keep working:
``Conversation`` (and its older name ``MetaAgent``), ``Transition``, ``BusinessRulesTransition``, ``AgentType``,
``LLMProvider``, ``STTProvider``, ``TTSProvider`` and ``TransitionConditionType`` (our ``ConditionType``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text, event, false
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship, validates

from rataura2.core.flow import compile_agent_flow
from rataura2.core.sensitive import check_marks
from rataura2.db.models.base import Base, agent_tools, checked_enum, conversation_agents
from rataura2.vocabulary.enums import AgentType, ContextStrategy, LLMProvider, STTProvider, TTSProvider

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
    """The JSON schema of its arguments; an argument marked ``"sensitive": true`` is never recorded in clear."""
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
    on_enter: Mapped[list[Any] | None] = mapped_column(default=None)
    """Actions, in order, when the session enters this agent: say, run_tool, set_context, end_conversation,
    handover (``rataura2.core.flow``)."""
    on_exit: Mapped[list[Any] | None] = mapped_column(default=None)
    """Actions, in order, when the session leaves this agent for another: say, run_tool, set_context."""
    context_strategy: Mapped[str] = mapped_column(
        String(30), default=ContextStrategy.APPEND.value, server_default=ContextStrategy.APPEND.value
    )
    """The chat history the agent starts with at a hand-over (``ContextStrategy``)."""
    context_options: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """``n`` for last_n; ``summary_prompt`` or ``summary_template`` for reset_with_summary."""
    sensitive_input: Mapped[bool] = mapped_column(default=False, server_default=false())
    """What the user says to this agent is sensitive: its LLM hears it, the records say ``[redacted]``."""

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

    @validates("context_strategy")
    def _check_context_strategy(self, key: str, value: Any) -> str:
        return checked_enum(ContextStrategy, key, value)


@event.listens_for(Agent, "before_insert")
@event.listens_for(Agent, "before_update")
def _validate_flow(mapper: Mapper[Agent], connection: Connection, target: Agent) -> None:
    """Refuse to store an agent whose instructions, actions or context strategy would not compile."""
    compile_agent_flow(
        f"agent {target.name!r}",
        instructions=target.instructions,
        on_enter=target.on_enter,
        on_exit=target.on_exit,
        context_strategy=target.context_strategy,
        context_options=target.context_options,
        config=target.config,
    )


@event.listens_for(Tool, "before_insert")
@event.listens_for(Tool, "before_update")
def _validate_marks(mapper: Mapper[Tool], connection: Connection, target: Tool) -> None:
    check_marks(target.parameters_schema, f"tool {target.name!r}.parameters_schema")


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
