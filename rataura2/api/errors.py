"""rataura2's errors as HTTP answers, in FastAPI's own shapes, so clients read one format.

Bad input is 422 with the path of the field at fault (``loc``), as pydantic's own validation answers; a conflict
with the state of things (a stale revision, a taken name, an ended or elsewhere-driven session) is 409; what does
not exist is 404; a store that cannot save right now is 503 (the same request, sent again later, is accepted).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from rataura2.errors import (
    BacklogFullError,
    InvalidConditionError,
    InvalidDocumentError,
    InvalidEventError,
    InvalidRulesError,
    NameTakenError,
    PersistenceError,
    RatauraError,
    SessionEndedError,
    SessionExistsError,
    SessionOwnedError,
    StaleRevisionError,
)

logger = logging.getLogger("rataura2.api")
CONFLICTS = (StaleRevisionError, NameTakenError, SessionEndedError, SessionExistsError, SessionOwnedError)


class FieldError(RatauraError):
    """Bad input at a known place in the request (``loc`` as FastAPI writes it, e.g. ``("body", "rules", 0)``)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)


def _item(loc: tuple[str | int, ...], message: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": message, "type": kind}


def validation_items(exc: RatauraError, body_path: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """The 422 ``detail`` list for an input error; ``body_path`` is where in the body the checked object sits."""
    body: tuple[str | int, ...] = ("body", *body_path)
    if isinstance(exc, FieldError):
        return [_item(exc.loc, str(exc), "value_error")]
    if isinstance(exc, InvalidDocumentError):
        return [_item((*body, *exc.path), exc.message, "document")]
    if isinstance(exc, InvalidRulesError):
        return [
            _item((*body, "rules") if p.rule is None else (*body, "rules", p.rule - 1), str(p), "rules")
            for p in exc.problems
        ]
    if isinstance(exc, InvalidConditionError):
        return [_item((*body, "condition_data"), str(exc), "condition")]
    if isinstance(exc, InvalidEventError):
        return [_item((*body, *exc.field.split(".")), str(exc), "event")]
    return [_item(body, str(exc), "value_error")]


def answer(exc: Exception) -> JSONResponse:
    """The HTTP answer for an error raised by rataura2 code."""
    if isinstance(exc, CONFLICTS):
        return JSONResponse({"detail": str(exc)}, status_code=409)
    if isinstance(exc, LookupError):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    if isinstance(exc, RatauraError):
        return JSONResponse({"detail": validation_items(exc)}, status_code=422)
    if isinstance(exc, BacklogFullError):
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})
    if isinstance(exc, PersistenceError):
        return JSONResponse({"detail": str(exc)}, status_code=503)
    if isinstance(exc, IntegrityError):
        return JSONResponse({"detail": f"refused by the database: {exc.orig}"}, status_code=409)
    raise exc


def install(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        response = answer(exc)
        request.app.state.api.metrics.error(type(exc).__name__)
        return response

    for kind in (RatauraError, PersistenceError, IntegrityError):
        app.add_exception_handler(kind, handle)
