"""The edges of a graph: transitions, and the business-rules rule sets that decide some of them.

A transition is validated as it is flushed (the condition registry compiles its condition), so a condition that
would not compile is never stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, ForeignKey, String, Text, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from rataura2.core.conditions import validate_condition_data
from rataura2.db.models.base import Base, utcnow
from rataura2.errors import InvalidConditionError
from rataura2.vocabulary.enums import ConditionType

if TYPE_CHECKING:
    from rataura2.db.models.agent import Agent, Tool


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    transition: Mapped[Transition] = relationship(back_populates="business_rules")


@event.listens_for(Transition, "before_insert")
@event.listens_for(Transition, "before_update")
def _validate_condition(mapper: Mapper[Transition], connection: Connection, target: Transition) -> None:
    """Refuse to store a transition whose condition would not compile: the flush fails, nothing is written."""
    data = target.condition_data or {}
    validate_condition_data(target.condition_type, data, label=target.label())
    has_tool = target.tool_id is not None or target.tool is not None or "tool_id" in data or "tool_name" in data
    if target.condition_type == ConditionType.TOOL_RESULT and not has_tool:
        raise InvalidConditionError(
            target.label(),
            "a tool_result condition needs tool_id or tool_name in condition_data, or the transition's tool",
        )


__all__ = ["BusinessRulesTransition", "Transition"]
