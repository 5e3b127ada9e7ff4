"""API tokens: made, listed and revoked from the command line (or by an admin over HTTP), checked on each request.

A token is ``r2_`` and 32 random bytes (URL-safe base64). Only its SHA-256 is stored, so a database leak gives no
usable token; the token itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.db.models import ApiToken, Role
from rataura2.errors import UnknownTokenError

PREFIX = "r2_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is: the token's id, name and role."""

    token_id: int
    name: str
    role: Role

    def may(self, needed: Role) -> bool:
        """``admin`` may do anything; every role may read; otherwise the role itself is needed."""
        return self.role is Role.ADMIN or needed is Role.VIEWER or self.role is needed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, role: str, name: str | None = None) -> tuple[ApiToken, str]:
    """Make a token with ``role`` and commit; return the row and the token (the only time it is seen)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name or f"{role} token", role=role, token_hash=token_hash(token))
    db.add(row)
    db.commit()
    return row, token


def list_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(db: Session, token_id: int) -> ApiToken:
    """Revoke a token (kept, marked revoked) and commit; :class:`UnknownTokenError` if there is no such token."""
    row = db.get(ApiToken, token_id)
    if row is None:
        raise UnknownTokenError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        db.commit()
    return row


def find_principal(db: Session, token: str) -> Principal | None:
    """The principal of a live (not revoked) token, or None."""
    row = db.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return Principal(row.id, row.name, Role(row.role))
