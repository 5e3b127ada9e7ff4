"""Bearer tokens of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from rataura2.db.models.base import Base, checked_enum, utcnow
from rataura2.vocabulary.enums import Role


class ApiToken(Base):
    """A bearer token of the HTTP API. Only the SHA-256 of the token is kept: it is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @validates("role")
    def _check_role(self, key: str, value: Any) -> str:
        return checked_enum(Role, key, value)


__all__ = ["ApiToken"]
