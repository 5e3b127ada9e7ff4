"""Replaying one recorded session on another version of its graph, and where its route first diverges.

A session's route is where each of its events took it: the hand-overs (from, to) that each event caused. Replay
processes the session's recorded input events, in order and with their own timestamps and ids, on a fresh
session of the other graph (in memory, nothing stored), and compares each event's hand-overs with the recorded
ones. Processing is deterministic, so replaying on the version the session ran on gives its route back exactly;
on another version, the first event whose hand-overs differ is where the edit changed the conversation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult


@dataclass(frozen=True, slots=True)
class RecordedSession:
    session_id: str
    version: int
    """The graph version the session ran on."""
    events: Sequence[tuple[EventData, TransitionResult]]
    """Each processed event with the result it got, in processing order."""


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first event after which the replayed session is not where the recorded one was."""

    index: int
    """1-based position of the event in the session's log."""
    event_id: str
    event_type: str
    event: str
    """The event in words."""
    agent_before: str
    old_after: str
    new_after: str
    old_reason: str
    new_reason: str
    old_transition: int | None
    new_transition: int | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class SessionReplay:
    session_id: str
    version: int
    events: int
    divergence: Divergence | None = None

    @property
    def changed(self) -> bool:
        return self.divergence is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "version": self.version,
            "events": self.events,
            "divergence": self.divergence.to_dict() if self.divergence is not None else None,
        }


def route(result: TransitionResult) -> tuple[tuple[int, int], ...]:
    """Where an event took the session: its hand-overs, as (from, to) agent ids."""
    return tuple((h.from_agent_id, h.to_agent_id) for h in result.hops)


def describe_event(event: EventData) -> str:
    data = event.data
    if event.text is not None:
        return f"{event.type.value} {event.text!r}"
    if "livekit_event" in data:
        return f"LiveKit {data['livekit_event']}"
    if "tool_name" in data and "result" in data:
        return f"{event.type.value} {data['tool_name']} -> {data['result']!r}"
    if "value" in data:
        return f"{event.type.value} {data.get('decision_key', 'transition_to')}={data['value']!r}"
    return f"{event.type.value} {data}" if data else event.type.value


def replay_session(recorded: RecordedSession, graph: CompiledGraph, recorded_names: Mapping[int, str]) -> SessionReplay:
    """Replay ``recorded`` on ``graph``; ``recorded_names`` names the agents of the version it ran on."""
    orchestrator = AgentOrchestrator(recorded.session_id, graph)
    new_names = {a.id: a.name for a in graph.agents()}

    def old(agent_id: int | None) -> str:
        return recorded_names.get(agent_id, f"agent {agent_id}") if agent_id is not None else "?"

    for index, (event, logged) in enumerate(recorded.events, start=1):
        before = orchestrator.current_agent_id
        try:
            result: TransitionResult | None = orchestrator.process_event(event)
            failure = ""
        except ValueError as exc:  # the new graph cannot take the event (a move to an agent it no longer has...)
            result, failure = None, f"refused: {exc}"
        if result is not None and route(result) == route(logged):
            continue
        old_after = logged.hops[-1].to_agent_id if logged.hops else logged.from_agent_id
        new_after = orchestrator.current_agent_id
        divergence = Divergence(
            index=index,
            event_id=event.id,
            event_type=event.type.value,
            event=describe_event(event),
            agent_before=old(logged.from_agent_id if logged.from_agent_id is not None else before),
            old_after=old(old_after),
            new_after=new_names.get(new_after, f"agent {new_after}"),
            old_reason=logged.reason if logged.hops else "stays (no transition held)",
            new_reason=failure
            or (result.reason if result is not None and result.hops else "stays (no transition held)"),
            old_transition=logged.hops[-1].transition_id if logged.hops else None,
            new_transition=result.hops[-1].transition_id if result is not None and result.hops else None,
        )
        return SessionReplay(recorded.session_id, recorded.version, len(recorded.events), divergence)
    return SessionReplay(recorded.session_id, recorded.version, len(recorded.events))
