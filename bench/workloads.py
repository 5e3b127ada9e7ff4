"""The routing workload every contender runs: a graph of agents with mixed transitions, and a stream of events.

Most conditions do not hold (the usual case: an event is checked against every outgoing transition and nothing
fires); one user_input transition per agent ("hop") moves the session on now and then, so sessions travel the
graph and every agent's transitions get evaluated.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rataura2.core.conditions import condition_types
from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec

HOP_WORD = "hop"


def _mixed_conditions(target: int) -> list[tuple[str, dict[str, Any], tuple[dict[str, Any], ...] | None]]:
    """One of each condition type that does not hold on the workload's events (the hop transition aside)."""
    kinds: list[tuple[str, dict[str, Any], tuple[dict[str, Any], ...] | None]] = [
        ("user_input", {"pattern": "refund"}, None),
        (
            "tool_result",
            {"tool_name": "scan", "result_key": "site.value", "operator": "gt", "expected_value": 10**9},
            None,
        ),
        ("custom", {"condition_code": 'context.turn_count > 100000 && context.user_input.contains("vip")'}, None),
        ("user_input", {"pattern": r"\b(cancel|complain\w*)\b", "match": "regex"}, None),
        ("agent_decision", {"expected_value": "escalate"}, None),
        ("event", {"event_type": "custom", "event_data": {"kind": "alarm"}}, None),
        ("livekit_event", {"event_name": "participant_disconnected"}, None),
    ]
    if "business_rules" in condition_types():
        rules = (
            {
                "conditions": {
                    "all": [
                        {"name": "user_input", "operator": "contains", "value": "manager"},
                        {"name": "conversation_turn_count", "operator": "greater_than", "value": 2},
                    ]
                },
                "actions": [{"name": "transition_to_agent", "params": {"agent_id": target}}],
            },
        )
        kinds.insert(2, ("business_rules", {}, rules))
    return kinds


@dataclass(frozen=True)
class Workload:
    agents: int
    transitions_per_agent: int
    spec: GraphSpec


def build_workload(agents: int, transitions_per_agent: int, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    tools = {1: ToolSpec(1, "scan", "scan")}
    agent_specs = {i: AgentSpec(id=i, name=f"agent-{i}", tool_ids=(1,)) for i in range(1, agents + 1)}
    transitions: list[TransitionSpec] = []
    next_id = 1
    for source in agent_specs:
        for j in range(transitions_per_agent):
            target = rng.randint(1, agents) if agents > 1 else 1
            if target == source and agents > 1:
                target = source % agents + 1
            if j == transitions_per_agent - 1:
                kind, data, rules = "user_input", {"pattern": HOP_WORD}, None
            else:
                options = _mixed_conditions(target)
                kind, data, rules = options[j % len(options)]
            transitions.append(TransitionSpec(next_id, source, target, kind, data, priority=-j, rules=rules))
            next_id += 1
    spec = GraphSpec(
        conversation_id=1,
        name=f"bench {agents}x{transitions_per_agent}",
        initial_agent_id=1,
        agents=agent_specs,
        transitions=tuple(transitions),
        tools=tools,
    )
    return Workload(agents, transitions_per_agent, spec)


def event_stream(count: int, seed: int = 11, start: float = 1_000.0) -> Iterator[EventData]:
    """Mixed events: user and agent messages (1 user message in 10 says "hop"), tool results, business events
    and LiveKit state changes."""
    rng = random.Random(seed)
    for i in range(count):
        ts = start + i
        roll = i % 5
        if roll == 0:
            words = HOP_WORD if rng.random() < 0.1 else "tell me more about mining lasers"
            yield EventData(type="user_message", timestamp=ts, data={"message": f"please {words} {i}"}, source="user")
        elif roll == 1:
            yield EventData(
                type="agent_message", timestamp=ts, data={"message": "Here is what I found."}, source="agent"
            )
        elif roll == 2:
            yield EventData(
                type="tool_result",
                timestamp=ts,
                source="agent",
                data={"tool_name": "scan", "result": {"site": {"value": rng.randint(1, 1000)}}},
            )
        elif roll == 3:
            yield EventData(type="custom", timestamp=ts, data={"kind": "heartbeat", "n": i}, source="game")
        else:
            yield LivekitEventHandler.to_event("agent_state_changed", {"new_state": "listening"}, ts)


def interleaved(sessions: int, per_session: int) -> list[tuple[int, EventData]]:
    """``sessions`` sessions' events taken in turns, one event of each in turn (as a worker serving many rooms sees
    them): (session index, event). Each session has a stream of its own."""
    streams = [list(event_stream(per_session, seed=1_000 + s)) for s in range(sessions)]
    return [(s, streams[s][k]) for k in range(per_session) for s in range(sessions)]
