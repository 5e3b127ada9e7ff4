"""Context keys that conditions and templates read, and whether anything sets them.

What the session itself keeps (``turn_count``, ``tool_results``, ``session``...) is learnt from the session core,
not listed here: :func:`session_keys` runs a throwaway session through one event of every type and reads the
keys its context ends up with, so a field a handler starts to keep is known to lint at once. On top of those, a
graph sets the keys its rules' ``set_context_value`` actions name, and a conversation can declare in its config
the keys that the API or its tools set (``"context_keys": ["vip", ...]``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from rataura2.core.conditions.expressions import CelCondition, flatten_context_reads
from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.lint import codes
from rataura2.lint.findings import Finding
from rataura2.lint.subject import Subject
from rataura2.vocabulary.events import EventType

DECLARED_KEYS = "context_keys"
"""The conversation config entry listing keys set from outside the graph (the API, tools, an initial context)."""

_PROBE_DATA: Mapping[EventType, dict[str, Any]] = {
    EventType.USER_MESSAGE: {"message": "probe"},
    EventType.AGENT_MESSAGE: {"message": "probe"},
    EventType.TOOL_CALLED: {"tool_name": "probe", "arguments": {}},
    EventType.TOOL_RESULT: {"tool_name": "probe", "result": {}},
    EventType.AGENT_DECISION: {"decision_key": "transition_to", "value": "probe"},
    EventType.USER_JOINED: {"participant_id": "probe"},
    EventType.USER_LEFT: {"participant_id": "probe"},
    EventType.AGENT_ERROR: {"message": "probe"},
    EventType.USER_STATE_CHANGED: {"new_state": "listening"},
    EventType.AGENT_STATE_CHANGED: {"new_state": "listening"},
    EventType.TRANSITION: {"to_agent_id": 2},
}


@cache
def session_keys() -> frozenset[str]:
    """The context keys the session core sets by itself, from its first event to a hand-over and its end."""
    agents = {1: AgentSpec(1, "probe"), 2: AgentSpec(2, "probe 2")}
    orchestrator = AgentOrchestrator("lint-probe", CompiledGraph(GraphSpec(0, "probe", 1, agents, ())))
    ordered = [t for t in EventType if t is not EventType.SESSION_ENDED] + [EventType.SESSION_ENDED]
    for number, event_type in enumerate(ordered, start=1):
        orchestrator.process_event(
            EventData(type=event_type, timestamp=float(number), data=_PROBE_DATA.get(event_type, {}), source="lint")
        )
    return frozenset(orchestrator.get_context())


def graph_keys(spec: GraphSpec) -> frozenset[str]:
    """Keys the graph sets, or declares as set from outside it."""
    keys: set[str] = set()
    for t in spec.transitions:
        keys.update(_rule_keys(t))
    declared = spec.config.get(DECLARED_KEYS)
    if isinstance(declared, list | tuple):
        keys.update(k for k in declared if isinstance(k, str))
    for agent in spec.agents.values():
        keys.update(_action_keys(agent))
    return frozenset(keys)


def known_keys(spec: GraphSpec) -> frozenset[str]:
    return session_keys() | graph_keys(spec)


def _rule_keys(t: TransitionSpec) -> Iterator[str]:
    for rule in t.rules or ():
        for action in rule.get("actions", ()) if isinstance(rule, Mapping) else ():
            if isinstance(action, Mapping) and action.get("name") == "set_context_value":
                key = (action.get("params") or {}).get("key")
                if isinstance(key, str):
                    yield key


def _action_keys(agent: AgentSpec) -> Iterator[str]:
    """Keys an agent's enter/exit actions set (``set_context`` actions with a ``values`` object), when it has any."""
    for hook in ("on_enter", "on_exit"):
        for action in getattr(agent, hook, None) or ():
            values = action.get("values") if isinstance(action, Mapping) else getattr(action, "values", None)
            if isinstance(values, Mapping):
                yield from (k for k in values if isinstance(k, str))


def unset_keys(subject: Subject) -> Iterator[Finding]:
    """CEL expressions reading context keys nothing sets (a read guarded by ``has(context.key)`` is fine)."""
    known = known_keys(subject.spec)
    for edge in sorted(subject.edges.values(), key=lambda e: e.id):
        condition = edge.condition
        if not isinstance(condition, CelCondition):
            continue
        flattened = flatten_context_reads(condition.source)
        if flattened is None:
            continue  # reads the context as a whole: which keys is not known
        _, fields, tested = flattened
        for key in fields:
            if key in known or key in tested:
                continue
            yield codes.UNSET_CONTEXT_KEY.finding(
                f"{subject.describe(edge.spec)} reads context.{key}, which nothing in the graph sets: until "
                "something does, the expression cannot see it",
                f"set {key!r} with a rule's set_context_value or the API (update_context), guard the read with "
                f"has(context.{key}), or, if a tool or the API sets it, list it in the conversation's config "
                f"{DECLARED_KEYS!r}",
                agents=(edge.spec.source_agent_id,),
                transitions=(edge.id,),
            )
