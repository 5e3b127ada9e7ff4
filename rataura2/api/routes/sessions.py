"""Sessions over HTTP: list, create, read, timeline, send events, chat, end; and a conversation's traffic.

Sessions are the project's own durable sessions (``SessionManager``): created here they are driven by this process;
a stored session that no live process drives is taken over on its first event. Running sessions (create, events,
chat, end) is for operators, and for editors, who try what they design in the studio's playground.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from rataura2.api import sessions as service
from rataura2.api.auth import Runner, Viewer
from rataura2.api.deps import MAX_ID, RowId
from rataura2.api.errors import FieldError
from rataura2.api.schemas.sessions import (
    ChatHandoverOut,
    ChatIn,
    ChatOut,
    EndIn,
    EventIn,
    EventResult,
    ReplyOut,
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
from rataura2.errors import (
    InvalidGraphError,
    MessageTooLongError,
    ProviderUnavailableError,
    ToolConfigError,
)
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
    conversation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
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
def create(body: SessionCreate, request: Request, _: Runner) -> SessionState:
    manager = api_state(request).manager
    session_id = body.session_id or service.new_session_id()
    try:
        manager.create_session(
            session_id, body.conversation_id, initial_context=body.initial_context, version=body.version
        )
    except InvalidGraphError as exc:
        if body.version is None:
            raise
        raise FieldError(("body", "version"), str(exc)) from None
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


async def _process(state: ApiState, session_id: str, event: EventData) -> EventResult:
    """On the event loop when the session's store does not block (async durability, or the event seen before);
    the database work of sync durability, and taking a session over, in a worker thread."""
    manager = state.manager
    if session_id in manager:
        orchestrator = manager[session_id]
    else:
        orchestrator = await run_in_threadpool(service.live, manager, session_id)
    repeat = orchestrator.seen(event.id)
    started = time.perf_counter()
    with state.tracing.event(session_id, event.type.value) as span:
        result = await orchestrator.aprocess_event(event)
        state.tracing.result(span, result)
    if not repeat:
        state.metrics.event(orchestrator.graph.spec.name, event.type.value, result, time.perf_counter() - started)
        state.signals.notify(session_id)
    return _answer(orchestrator, result)


@router.post("/api/v1/sessions/{session_id}/events", response_model=EventResult)
async def send_event(session_id: str, body: EventIn, request: Request, _: Runner) -> EventResult:
    """Process one event; the answer is what it came to. Sending an event id again returns the first answer."""
    return await _process(api_state(request), session_id, _event(body))


@router.post("/api/v1/sessions/{session_id}/chat", response_model=ChatOut)
async def chat(session_id: str, body: ChatIn, request: Request, _: Runner) -> ChatOut:
    """Send the user's message as a turn and answer with what the agents said: the session's agents run on a
    livekit-agents AgentSession in text mode in this process (their own LLM when it can be built here, else the
    offline one, as ``offline`` says). The turn is routed first, so the agent it hands over to is the one that
    answers. Sending the same ``id`` again returns the first answer."""
    state = api_state(request)
    manager = state.manager
    orchestrator = (
        manager[session_id] if session_id in manager else await run_in_threadpool(service.live, manager, session_id)
    )
    try:
        turn = await state.chats.send(orchestrator, body.id or f"chat-{uuid.uuid4().hex}", body.message)
    except MessageTooLongError as exc:
        raise FieldError(("body", "message"), str(exc)) from None
    except (ProviderUnavailableError, ToolConfigError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"this conversation cannot run here: {exc}") from None
    agent = orchestrator.get_current_agent()
    return ChatOut(
        message_id=turn.message_id,
        replies=[ReplyOut.model_validate(r, from_attributes=True) for r in turn.replies],
        handovers=[ChatHandoverOut.model_validate(h, from_attributes=True) for h in turn.handovers],
        problems=list(turn.problems),
        offline=state.chats.fallbacks(session_id),
        current_agent_id=agent.id,
        current_agent_name=agent.name,
        session_status="ended" if orchestrator.ended else "active",
    )


@router.post("/api/v1/sessions/{session_id}/end", response_model=EventResult)
async def end(session_id: str, request: Request, _: Runner, body: EndIn | None = None) -> EventResult:
    state = api_state(request)
    await state.chats.detach(session_id)  # first: its AgentSession must not end the session with another reason
    return await run_in_threadpool(_end, state, session_id, body.reason if body is not None else None)


def _end(state: ApiState, session_id: str, reason: str | None) -> EventResult:
    orchestrator = service.live(state.manager, session_id)
    if session_id in state.manager:
        result = state.manager.end_session(session_id, reason=reason)
    else:  # an ended session, read back from the database
        result = TransitionResult.from_dict({"status": "no_transition", "reason": "session had ended already"})
    state.signals.notify(session_id)
    return _answer(orchestrator, result)


@router.get("/api/v1/conversations/{conversation_id}/traffic", response_model=Traffic)
def traffic(conversation_id: RowId, request: Request, _: Viewer) -> Traffic:
    state = api_state(request)
    with state.sessions() as db:
        get_conversation(db, conversation_id)
    return service.traffic(state.engine, conversation_id)
