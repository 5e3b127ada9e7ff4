"""Who am I (the studio's login check), and tokens managed over HTTP by an admin."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from rataura2.api.auth import Admin, Viewer, may_run_sessions
from rataura2.api.deps import DB, RowId
from rataura2.api.schemas.common import UtcDateTime
from rataura2.api.state import api_state
from rataura2.api.tokens import create_token, list_tokens, revoke_token
from rataura2.db.models import ApiToken, Role

router = APIRouter(prefix="/api/v1", tags=["access"])


class Abilities(BaseModel):
    read: bool
    edit: bool = Field(description="Change definitions, import documents, publish, roll back.")
    operate: bool = Field(description="Run sessions: create them, send events, chat, end them.")
    admin: bool


class Me(BaseModel):
    id: int
    name: str
    role: str
    can: Abilities


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    name: str | None = Field(default=None, min_length=1, max_length=255)
    role: Role


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class NewToken(TokenOut):
    token: str = Field(description="Shown this once; only its hash is kept.")


def _out(row: ApiToken) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.get("/me", response_model=Me)
def me(principal: Viewer) -> Me:
    may = principal.may
    return Me(
        id=principal.token_id,
        name=principal.name,
        role=principal.role.value,
        can=Abilities(read=True, edit=may(Role.EDITOR), operate=may_run_sessions(principal), admin=may(Role.ADMIN)),
    )


@router.get("/tokens", response_model=list[TokenOut])
def tokens(db: DB, _: Admin) -> list[TokenOut]:
    return [_out(r) for r in list_tokens(db)]


@router.post("/tokens", response_model=NewToken, status_code=status.HTTP_201_CREATED)
def make_token(body: TokenCreate, db: DB, _: Admin) -> NewToken:
    row, token = create_token(db, str(body.role), body.name)
    return NewToken(**_out(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke(token_id: RowId, db: DB, request: Request, _: Admin) -> TokenOut:
    row = revoke_token(db, token_id)
    api_state(request).tokens.forget(token_id)
    return _out(row)
