"""Sessions over HTTP: list, create, read, timeline, send events, end; and a conversation's traffic.

Sessions are the project's own durable sessions (``SessionManager``): created here they are driven by this process;
a stored session that no live process drives is taken over on its first event.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from rataura2.api import sessions as service
from rataura2.api.auth import Operator, Viewer
from rataura2.api.errors import FieldError
from rataura2.api.schemas.sessions import (
    EndIn,
    EventIn,
    EventResult,
    ResultOut,
    SessionCreate,
    SessionPage,
    SessionState,
    SessionSummary,
    Timeline,
    Traffic,
)
from rataura2.api.state import ApiState, api_state
from rataura2.api.views import get_conversation
from rataura2.core.events import EventData
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.persistence.admin import count_sessions, list_sessions
from rataura2.vocabulary import EventType
from rataura2.vocabulary.events import ORCHESTRATOR_SOURCE

router = APIRouter(tags=["sessions"])
RESERVED_SOURCES = frozenset({ORCHESTRATOR_SOURCE, "session_manager"})
LIFECYCLE = {EventType.SESSION_CREATED: "POST /api/v1/sessions", EventType.SESSION_ENDED: "POST .../end"}


def _answer(orchestrator: AgentOrchestrator, result: TransitionResult) -> EventResult:
    agent = orchestrator.get_current_agent()
    return EventResult(
        **ResultOut.of(result).model_dump(),
        current_agent_id=agent.id,
        current_agent_name=agent.name,
        session_status="ended" if orchestrator.ended else "active",
    )


@router.get("/api/v1/sessions", response_model=SessionPage)
def list_all(
    request: Request,
    _: Viewer,
    conversation_id: int | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|ended)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> SessionPage:
    engine = api_state(request).engine
    conversation = str(conversation_id) if conversation_id is not None else None
    rows = list_sessions(engine, status=status_, conversation=conversation, limit=limit, offset=offset)
    return SessionPage(
        items=[SessionSummary.model_validate(r) for r in rows],
        total=count_sessions(engine, status=status_, conversation=conversation),
        limit=limit,
        offset=offset,
    )


@router.post("/api/v1/sessions", response_model=SessionState, status_code=status.HTTP_201_CREATED)
def create(body: SessionCreate, request: Request, _: Operator) -> SessionState:
    manager = api_state(request).manager
    session_id = body.session_id or service.new_session_id()
    manager.create_session(session_id, body.conversation_id, initial_context=body.initial_context)
    return service.state(manager, session_id)


@router.get("/api/v1/sessions/{session_id}", response_model=SessionState)
def read(session_id: str, request: Request, _: Viewer) -> SessionState:
    return service.state(api_state(request).manager, session_id)


@router.get("/api/v1/sessions/{session_id}/timeline", response_model=Timeline)
def timeline(
    session_id: str,
    request: Request,
    _: Viewer,
    after: Annotated[int, Query(ge=0, description="Only events after this seq.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Timeline:
    return service.timeline(api_state(request).manager, session_id, after=after, limit=limit)


def _event(body: EventIn) -> EventData:
    if body.source in RESERVED_SOURCES:
        raise FieldError(("body", "source"), f"{body.source!r} is kept for rataura2's own events")
    raw = body.model_dump(exclude_none=True)
    raw.setdefault("timestamp", time.time())
    event = EventData.parse(raw)
    if event.type in LIFECYCLE:
        raise FieldError(("body", "type"), f"{event.type.value} is not sent as an event; use {LIFECYCLE[event.type]}")
    return event


def _process(state: ApiState, session_id: str, event: EventData) -> EventResult:
    orchestrator = service.live(state.manager, session_id)
    repeat = orchestrator.seen(event.id)
    started = time.perf_counter()
    with state.tracing.event(session_id, event.type.value) as span:
        result = orchestrator.process_event(event)
        state.tracing.result(span, result)
    if not repeat:
        state.metrics.event(orchestrator.graph.spec.name, event.type.value, result, time.perf_counter() - started)
        state.signals.notify(session_id)
    return _answer(orchestrator, result)


@router.post("/api/v1/sessions/{session_id}/events", response_model=EventResult)
def send_event(session_id: str, body: EventIn, request: Request, _: Operator) -> EventResult:
    """Process one event; the answer is what it came to. Sending an event id again returns the first answer."""
    return _process(api_state(request), session_id, _event(body))


@router.post("/api/v1/sessions/{session_id}/end", response_model=EventResult)
def end(session_id: str, request: Request, _: Operator, body: EndIn | None = None) -> EventResult:
    state = api_state(request)
    orchestrator = service.live(state.manager, session_id)
    if session_id in state.manager:
        result = state.manager.end_session(session_id, reason=body.reason if body is not None else None)
    else:  # an ended session, read back from the database
        result = TransitionResult.from_dict({"status": "no_transition", "reason": "session had ended already"})
    state.signals.notify(session_id)
    return _answer(orchestrator, result)


@router.get("/api/v1/conversations/{conversation_id}/traffic", response_model=Traffic)
def traffic(conversation_id: int, request: Request, _: Viewer) -> Traffic:
    state = api_state(request)
    with state.sessions() as db:
        get_conversation(db, conversation_id)
    return service.traffic(state.engine, conversation_id)
