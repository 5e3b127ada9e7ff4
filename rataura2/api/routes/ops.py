"""Health, readiness and metrics (no token: they are for the platform, and say nothing about the data)."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from rataura2.api.state import api_state
from rataura2.db.session import alembic_config

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process serves."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: the body says why."}})
def readyz(request: Request) -> Any:
    """The database answers and its schema is at the latest migration."""
    engine = api_state(request).engine
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"}, 503)
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "migrations": f"at {current}, head is {head}"}, 503
        )
    return {"status": "ready", "database": "ok", "migrations": "head"}


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(api_state(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
