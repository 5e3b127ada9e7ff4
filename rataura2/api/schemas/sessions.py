"""Bodies of the session routes: sessions, events and what they came to, timelines, traffic."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from rataura2.api.deps import MAX_ID
from rataura2.api.schemas.common import UtcDateTime
from rataura2.core.result import TransitionResult
from rataura2.vocabulary import EventType

EVENT_TYPES = ", ".join(t.value for t in EventType)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(_In):
    conversation_id: Annotated[int, Field(ge=1, le=MAX_ID)] | str = Field(description="The conversation's id or name.")
    session_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: a new id, http:<random>."
    )
    initial_context: dict[str, Any] | None = Field(default=None, description="Context values to start with.")
    version: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(
        default=None,
        description="Start on this published version; default: the latest, publishing the definition if it changed.",
    )


class SessionSummary(BaseModel):
    session_id: str
    conversation_id: int
    conversation: str
    version: int
    status: str
    current_agent_id: int | None
    current_agent_name: str | None
    turn_count: int
    events: int
    driven: bool
    created_at: UtcDateTime
    updated_at: UtcDateTime
    ended_at: UtcDateTime | None


class SessionState(SessionSummary):
    context: dict[str, Any] = Field(description="get_context(), without its event history.")


class SessionPage(BaseModel):
    items: list[SessionSummary]
    total: int
    limit: int
    offset: int


class EventIn(_In):
    id: str | None = Field(default=None, description="Sending the same id again is answered, not applied again.")
    type: str = Field(description=f"An event type, by value or name: {EVENT_TYPES}.")
    data: dict[str, Any] | None = None
    timestamp: float | None = Field(default=None, description="Seconds since the epoch; default: now.")
    source: str = Field(default="http", min_length=1, max_length=200)


class EndIn(_In):
    reason: str | None = None


class ChatIn(_In):
    message: str = Field(min_length=1, description="What the user says: one user turn.")
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The message's id: sending the same id again returns the first answer, the turn is not sent again.",
    )


class ReplyOut(BaseModel):
    agent_id: int | None
    agent_name: str
    text: str


class ChatHandoverOut(BaseModel):
    from_agent_id: int
    from_agent_name: str
    to_agent_id: int
    to_agent_name: str
    reason: str


class ChatOut(BaseModel):
    message_id: str
    replies: list[ReplyOut] = Field(description="What the agents said in answer, in order (after any hand-over).")
    handovers: list[ChatHandoverOut] = Field(description="Hand-overs the turn led to, with the orchestrator's reason.")
    problems: list[str] = Field(description="Why the session did not move where a transition failed or was refused.")
    offline: dict[str, str] = Field(
        description="Agents that answer on the offline LLM instead of the one they name (not installed, no key), "
        "by name, with the reason."
    )
    current_agent_id: int
    current_agent_name: str
    session_status: str


class HopOut(BaseModel):
    from_agent_id: int
    to_agent_id: int
    transition_id: int | None
    reason: str


class ConditionErrorOut(BaseModel):
    transition_id: int
    message: str


class ResultOut(BaseModel):
    status: str = Field(description="success, no_transition or error.")
    from_agent_id: int | None
    to_agent_id: int | None
    transition_id: int | None
    reason: str
    event_id: str | None
    hops: list[HopOut]
    errors: list[ConditionErrorOut]

    @classmethod
    def of(cls, result: TransitionResult) -> ResultOut:
        return cls(
            status=result.status.value,
            from_agent_id=result.from_agent_id,
            to_agent_id=result.to_agent_id,
            transition_id=result.transition_id,
            reason=result.reason,
            event_id=result.event_id,
            hops=[
                HopOut(
                    from_agent_id=h.from_agent_id,
                    to_agent_id=h.to_agent_id,
                    transition_id=h.transition_id,
                    reason=h.reason,
                )
                for h in result.hops
            ],
            errors=[ConditionErrorOut(transition_id=t, message=m) for t, m in result.errors],
        )


class EventResult(ResultOut):
    current_agent_id: int
    current_agent_name: str
    session_status: str


class LoggedEventOut(BaseModel):
    id: str
    type: str
    timestamp: float
    source: str
    data: dict[str, Any]


class HandoverOut(BaseModel):
    from_agent_id: int
    from_agent_name: str
    to_agent_id: int
    to_agent_name: str
    transition_id: int | None
    reason: str


class TimelineStep(BaseModel):
    seq: int
    event: LoggedEventOut
    result: ResultOut
    transitions: list[HandoverOut]
    agent_id: int
    agent_name: str
    context: dict[str, Any]


class Timeline(BaseModel):
    session_id: str
    conversation_id: int
    version: int
    status: str
    steps: list[TimelineStep]


class EdgeTraffic(BaseModel):
    transition_id: int
    count: int = Field(description="Hand-overs along it.")
    sessions: int = Field(description="Sessions that took it at least once.")


class AgentTraffic(BaseModel):
    agent_id: int
    active: int = Field(description="Active sessions now on this agent.")
    ended: int = Field(description="Ended sessions that ended on this agent.")


class Traffic(BaseModel):
    conversation_id: int
    sessions: int
    transitions: list[EdgeTraffic]
    agents: list[AgentTraffic]
