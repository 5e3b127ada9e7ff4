"""Bearer-token authentication and roles, as FastAPI dependencies.

Every route under ``/api`` depends on :func:`require` with the role it needs (``create_app`` refuses to build an
app where one does not), so a route cannot be added without deciding who may call it. Checked tokens are kept for
a few seconds, so a burst of requests costs one database read (and no hop to a worker thread); a token revoked in
another process stops working within that time, one revoked through this API at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

if TYPE_CHECKING:
    from rataura2.api.state import ApiState

from rataura2.api.tokens import Principal, find_principal, token_hash
from rataura2.db.models import Role

CACHE_SECONDS = 5.0
bearer = HTTPBearer(auto_error=False, description="A token from `rataura2 token create`.")


class TokenCache:
    def __init__(self, ttl: float = CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[1] < time.monotonic():
                return None
            return entry[0]

    def put(self, digest: str, principal: Principal) -> None:
        with self._lock:
            self._entries[digest] = (principal, time.monotonic() + self.ttl)

    def forget(self, token_id: int) -> None:
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if v[0].token_id != token_id}


async def _authenticate(request: Request, token: str | None) -> Principal:
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a bearer token is needed (Authorization: Bearer ...); make one with `rataura2 token create`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state: ApiState = request.app.state.api
    digest = token_hash(token)
    principal = state.tokens.get(digest)
    if principal is None:

        def lookup() -> Principal | None:
            with state.sessions() as db:
                return find_principal(db, token)

        principal = await run_in_threadpool(lookup)
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"}
            )
        state.tokens.put(digest, principal)
    return principal


def require(
    role: Role, *, also: tuple[Role, ...] = (), query_token: bool = False
) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the request's principal, who must have ``role`` or one of ``also`` (401 without a valid token,
    403 without the role). ``query_token`` also takes the token from ``?token=`` (for EventSource, which cannot send
    headers)."""
    needed = " or ".join(r.value for r in (role, *also))

    async def check(request: Request, given: str | None) -> Principal:
        principal = await _authenticate(request, given)
        if not (principal.may(role) or any(principal.may(other) for other in also)):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the {needed} role; the token has {principal.role.value}"
            )
        return principal

    async def from_header(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Principal:
        return await check(request, credentials.credentials if credentials is not None else None)

    async def from_header_or_query(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        token: Annotated[str | None, Query(include_in_schema=False)] = None,
    ) -> Principal:
        return await check(request, credentials.credentials if credentials is not None else token)

    dependency = from_header_or_query if query_token else from_header
    dependency.required_role = role  # type: ignore[attr-defined]
    dependency.also_roles = also  # type: ignore[attr-defined]
    return dependency


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Editor = Annotated[Principal, Depends(require(Role.EDITOR))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
SESSION_RUNNERS = (Role.OPERATOR, Role.EDITOR)
"""Who may run sessions (create them, send events, chat, end them): operators, and editors, who try what they
design in the studio's playground."""
Runner = Annotated[Principal, Depends(require(SESSION_RUNNERS[0], also=SESSION_RUNNERS[1:]))]


def may_run_sessions(principal: Principal) -> bool:
    return any(principal.may(role) for role in SESSION_RUNNERS)


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
