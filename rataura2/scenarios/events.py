"""The events a scenario step stands for, as a session would receive them."""

from __future__ import annotations

from typing import Any

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.spec import GraphSpec
from rataura2.scenarios.model import Step
from rataura2.vocabulary.events import API_SOURCE, CONTEXT_UPDATES_KEY, EventType


def step_events(step: Step, timestamp: float, graph: GraphSpec, agent_name: str, event_id: str) -> list[EventData]:
    """The events of ``step`` (two for a tool: its call and its result), with ids ``event_id``, ``event_id/2``...

    Raises :class:`~rataura2.errors.InvalidEventError` (a ValueError) for an event the step cannot make, such as
    an unknown event type or LiveKit event name.
    """
    action = step.action
    events: list[tuple[EventType, dict[str, Any], str]] = []
    if action == "user":
        events.append((EventType.USER_MESSAGE, {"message": step.user}, "user"))
    elif action == "tool":
        call: dict[str, Any] = {"tool_name": step.tool, "arguments": step.arguments}
        tool_id = next((t.id for t in graph.tools.values() if t.name == step.tool), None)
        if tool_id is not None:
            call["tool_id"] = tool_id
        events.append((EventType.TOOL_CALLED, call, f"agent:{agent_name}"))
        events.append((EventType.TOOL_RESULT, {**call, "result": step.result, "is_error": step.error}, "agent"))
    elif action == "decide":
        data = {"decision_key": step.key, "value": step.decide, "reason": step.reason or "scenario"}
        events.append((EventType.AGENT_DECISION, data, f"agent:{agent_name}"))
    elif action == "event":
        events.append((EventType.parse(step.event), step.data, step.source or "scenario"))
    elif action == "context":
        events.append((EventType.CUSTOM, {CONTEXT_UPDATES_KEY: step.context}, API_SOURCE))
    elif action == "end":
        reason = step.end if isinstance(step.end, str) else "scenario ended"
        events.append((EventType.SESSION_ENDED, {"reason": reason}, "session_manager"))
    else:
        assert step.livekit is not None
        return [LivekitEventHandler.to_event(step.livekit, step.data, timestamp, event_id=event_id)]
    return [
        EventData(
            type=kind, data=data, source=source, timestamp=timestamp, id=event_id if n == 0 else f"{event_id}/{n}"
        )
        for n, (kind, data, source) in enumerate(events)
    ]
