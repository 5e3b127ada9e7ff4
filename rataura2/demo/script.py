"""The demo's scripted session: events as a LiveKit room, a pilot and the agents would send them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.vocabulary.events import EventType

START = 1_764_000_000.0


@dataclass(frozen=True)
class Step:
    """One scripted event: built lazily, since an agent reply names the agent that is current by then."""

    kind: str
    payload: dict[str, Any]
    source: str = "user"


SCRIPT: tuple[Step, ...] = (
    Step("livekit:participant_connected", {"participant_id": "pilot-7"}),
    Step("user", {"message": "Hi! I'm new to EVE Online. Can you help me?"}),
    Step("agent", {}),
    Step("user", {"message": "I'm interested in combat. What ships are good for PvP?"}),
    Step("agent", {}),
    Step("tool_called", {"tool_name": "fit_ship", "arguments": {"ship": "Rifter"}}, "agent"),
    Step("tool_result", {"tool_name": "fit_ship", "result": {"ship": "Rifter", "cost_isk": 3_200_000}}, "agent"),
    Step("user", {"message": "Where can I buy those modules cheaply?"}),
    Step("decision", {"decision_key": "transition_to", "value": "Industry"}, "agent"),
    Step("user", {"message": "How do I start manufacturing my own modules?"}),
    Step("user", {"message": "Thanks. Let's talk about something else."}),
    Step("user", {"message": "Before I go: what are ship prices like on the market in Jita?"}),
    Step("decision", {"decision_key": "transition_to", "value": "Industry"}, "agent"),
    Step("user", {"message": "I'll build them myself then. Now, something else: exploration."}),
    Step("custom", {"kind": "scan", "site": "wormhole"}, "game_client"),
    Step("agent_error", {"message": "LLM request timed out", "recoverable": False}, "agent"),
    Step("user", {"message": "Hello? Are you still there?"}),
    Step("livekit:participant_disconnected", {"participant_id": "pilot-7"}),
)

_TYPES = {
    "user": EventType.USER_MESSAGE,
    "tool_called": EventType.TOOL_CALLED,
    "tool_result": EventType.TOOL_RESULT,
    "decision": EventType.AGENT_DECISION,
    "custom": EventType.CUSTOM,
    "agent_error": EventType.AGENT_ERROR,
}


def build_event(step: Step, index: int, current_agent: str) -> EventData:
    timestamp = START + 4.0 * index
    event_id = f"demo-{index:02d}"
    if step.kind.startswith("livekit:"):
        return LivekitEventHandler.to_event(step.kind.split(":", 1)[1], step.payload, timestamp, event_id=event_id)
    if step.kind == "agent":
        return EventData(
            type=EventType.AGENT_MESSAGE,
            timestamp=timestamp,
            source="agent",
            id=event_id,
            data={"message": f"[{current_agent}] Here is what I suggest..."},
        )
    return EventData(type=_TYPES[step.kind], timestamp=timestamp, data=step.payload, source=step.source, id=event_id)
