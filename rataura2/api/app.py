"""The app factory: one FastAPI app over one database, with its session manager, metrics and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from opentelemetry.trace import TracerProvider
from sqlalchemy import Engine

from rataura2.api import business_rules, errors
from rataura2.api.auth import TokenCache
from rataura2.api.chat import Chats
from rataura2.api.errors import ERROR_RESPONSES
from rataura2.api.metrics import Metrics
from rataura2.api.requests_log import RequestLog
from rataura2.api.routes import (
    access,
    agents,
    conversations,
    documents,
    meta,
    ops,
    sessions,
    stream,
    tools,
    transitions,
    versions,
    vocabulary,
)
from rataura2.api.signals import SessionSignals
from rataura2.api.state import ApiState
from rataura2.api.static import mount_studio
from rataura2.db.session import init_db
from rataura2.sessions.manager import SessionManager

logger = logging.getLogger("rataura2.api")
ROUTERS = (
    access,
    conversations,
    agents,
    transitions,
    tools,
    vocabulary,
    meta,
    documents,
    versions,
    sessions,
    stream,
    business_rules,
    ops,
)
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", documents.SCHEMA_PATH})
"""The only routes that need no token."""


def _check_every_route_is_guarded() -> None:
    """A route without a role would be open to anyone: refuse to build an app with one."""
    for module in ROUTERS:
        for route in module.router.routes:
            if not isinstance(route, APIRoute) or route.path in OPEN_PATHS:
                continue
            roles = [getattr(d.call, "required_role", None) for d in route.dependant.dependencies]
            if not any(roles):
                raise RuntimeError(f"route {sorted(route.methods or ())} {route.path} does not require a role")


def create_app(
    database_url: str | None = None,
    *,
    engine: Engine | None = None,
    durability: Literal["sync", "async"] = "sync",
    cors_origins: Sequence[str] = (),
    studio_dir: Path | None = None,
    tracer_provider: TracerProvider | None = None,
    poll_seconds: float = 0.5,
) -> FastAPI:
    """The API over ``database_url`` (default: the configured one), brought to the latest migration first.

    Sessions it creates are durable (``durability``); the studio is served at ``/`` when its built files exist.
    """
    sessions_factory = init_db(database_url, engine=engine)
    bound = sessions_factory.engine
    manager = SessionManager(sessions_factory(), durability=durability, tracer_provider=tracer_provider)
    signals = SessionSignals()
    state = ApiState(
        engine=bound,
        sessions=sessions_factory,
        manager=manager,
        tokens=TokenCache(),
        metrics=Metrics(lambda: manager.backlog),
        signals=signals,
        tracing=manager.tracing,
        chats=Chats(manager, signals.notify),
        poll_seconds=poll_seconds,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await state.chats.close()
        state.close()

    app = FastAPI(
        responses=ERROR_RESPONSES,
        title="rataura2",
        summary="Conversations as graphs of agents: definitions, documents, versions and live sessions.",
        version="1",
        lifespan=lifespan,
    )
    app.state.api = state
    for module in ROUTERS:
        app.include_router(module.router)
    errors.install(app)
    _check_every_route_is_guarded()

    app.add_middleware(RequestLog, metrics=state.metrics)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Last-Event-ID"],
            expose_headers=["ETag"],
        )
    mount_studio(app, studio_dir)
    return app
