"""A session's events and hand-overs as Server-Sent Events.

The stream reads the session's event log, so it shows events from whichever process drives the session, and a
client that reconnects with ``Last-Event-ID`` (the log's ``seq``) misses nothing. Events this process handles wake
the stream at once; others are found at the next poll.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from rataura2.api.auth import require
from rataura2.api.schemas.sessions import ResultOut
from rataura2.api.state import ApiState, api_state
from rataura2.core.result import TransitionResult
from rataura2.db.models import Role, SessionEvent, SessionRecord, SessionStatus
from rataura2.errors import UnknownSessionError

router = APIRouter(tags=["sessions"])
PING_SECONDS = 15.0
BATCH = 500


@dataclass(frozen=True, slots=True)
class _Batch:
    messages: list[str]
    last_seq: int
    ended: bool


def message(kind: str, data: dict[str, Any], seq: int | None = None) -> str:
    lines = [f"id: {seq}"] if seq is not None else []
    lines += [f"event: {kind}", f"data: {json.dumps(data, separators=(',', ':'))}", "", ""]
    return "\n".join(lines)


def _read(state: ApiState, session_id: str, after: int) -> _Batch:
    with state.engine.connect() as conn:
        row = conn.execute(
            select(SessionRecord.id, SessionRecord.conversation_id, SessionRecord.version, SessionRecord.status).where(
                SessionRecord.session_id == session_id
            )
        ).first()
        if row is None:
            raise UnknownSessionError(f"no session {session_id!r}")
        pk, conversation_id, version, status = row
        e = SessionEvent
        events = conn.execute(
            select(e.seq, e.event_id, e.type, e.timestamp, e.source, e.data, e.result)
            .where(e.session_pk == pk, e.seq > after)
            .order_by(e.seq)
            .limit(BATCH)
        ).all()
    graph = state.manager.compiled_version(conversation_id, version) if events else None
    messages = []
    last = after
    for seq, event_id, kind, timestamp, source, data, raw_result in events:
        result = TransitionResult.from_dict(raw_result)
        event = {"id": event_id, "type": kind, "timestamp": timestamp, "source": source, "data": data}
        messages.append(
            message("event", {"seq": seq, "event": event, "result": ResultOut.of(result).model_dump()}, seq)
        )
        for hop in result.hops:
            assert graph is not None
            handover = {
                "seq": seq,
                "from_agent_id": hop.from_agent_id,
                "from_agent_name": graph.get_agent(hop.from_agent_id).name,
                "to_agent_id": hop.to_agent_id,
                "to_agent_name": graph.get_agent(hop.to_agent_id).name,
                "transition_id": hop.transition_id,
                "reason": hop.reason,
                "trigger_event_id": event_id,
                "timestamp": timestamp,
            }
            messages.append(message("transition", handover, seq))
        last = seq
    return _Batch(messages, last, status == SessionStatus.ENDED.value and len(events) < BATCH)


async def _follow(request: Request, state: ApiState, session_id: str, after: int, first: _Batch) -> AsyncIterator[str]:
    wake = state.signals.subscribe(session_id)
    batch, last_sent = first, time.monotonic()
    try:
        while True:
            for text in batch.messages:
                yield text
            if batch.messages:
                last_sent = time.monotonic()
            after = batch.last_seq
            if batch.ended:
                yield message("ended", {"session_id": session_id, "status": SessionStatus.ENDED.value})
                return
            if await request.is_disconnected():
                return
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timeout=state.poll_seconds)
            except TimeoutError:
                if time.monotonic() - last_sent >= PING_SECONDS:
                    yield ": ping\n\n"
                    last_sent = time.monotonic()
            batch = await run_in_threadpool(_read, state, session_id, after)
    finally:
        state.signals.unsubscribe(session_id, wake)


@router.get(
    "/api/v1/sessions/{session_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream(
    session_id: str,
    request: Request,
    _: Annotated[Any, Depends(require(Role.VIEWER, query_token=True))],
    after: Annotated[int, Query(ge=0, le=2**62, description="Start after this seq (default: from the start).")] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The session's logged events (then its live ones) as SSE: ``event``, ``transition`` and a last ``ended``."""
    state = api_state(request)
    if last_event_id is not None and last_event_id.strip().isdigit():
        after = int(last_event_id)
    first = await run_in_threadpool(_read, state, session_id, after)  # 404 before the stream starts
    return StreamingResponse(
        _follow(request, state, session_id, after, first),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
