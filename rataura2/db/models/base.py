"""The declarative base of every model, and the JSON column types they share."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Double, ForeignKey, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

JsonType = JSON().with_variant(JSONB(), "postgresql")
ExactJson = JSON()
"""JSON kept as written (``json``, not ``jsonb``, on PostgreSQL): key order survives, so what is replayed from the
log is exactly what was processed."""


def utcnow() -> datetime:
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


def checked_enum(enum: type[StrEnum], field: str, value: Any) -> str:
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


__all__ = ["Base", "ExactJson", "JsonType", "agent_tools", "checked_enum", "conversation_agents", "utcnow"]
