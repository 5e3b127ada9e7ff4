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
from rataura2.lint.actions import keys_set
from rataura2.lint.findings import Finding
from rataura2.lint.subject import Subject
from rataura2.vocabulary.events import EventType
from rataura2.vocabulary.limits import CEL_MAX_WORK

DECLARED_KEYS = "context_keys"
"""The conversation config entry listing keys set from outside the graph (the API, tools, an initial context)."""

_FAILED_TOOL = {"tool_name": "probe", "result": "failed", "is_error": True}
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
    probes: list[tuple[EventType, dict[str, Any]]] = [
        (t, _PROBE_DATA.get(t, {})) for t in EventType if t is not EventType.SESSION_ENDED
    ]
    probes += [(EventType.TOOL_RESULT, _FAILED_TOOL), (EventType.SESSION_ENDED, {})]
    for number, (event_type, data) in enumerate(probes, start=1):
        orchestrator.process_event(EventData(type=event_type, timestamp=float(number), data=data, source="lint"))
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
        keys.update(keys_set(agent))
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


def unset_keys(subject: Subject) -> Iterator[Finding]:
    """CEL expressions reading context keys nothing sets (a read guarded by ``has(context.key)`` is fine), or the
    context as a whole."""
    known = known_keys(subject.spec)
    for edge in sorted(subject.edges.values(), key=lambda e: e.id):
        condition = edge.condition
        if not isinstance(condition, CelCondition):
            continue
        flattened = flatten_context_reads(condition.source)
        if flattened is None:  # which keys it reads is not known; it is given all of them, history included
            yield codes.WHOLE_CONTEXT_READ.finding(
                f"{subject.describe(edge.spec)} reads the context as a whole ({condition.source!r}): each evaluation "
                f"takes in every value and the whole history, and once a long session's context is past the cost "
                f"limit ({CEL_MAX_WORK} size units) the expression counts as false",
                "read the fields by name: context.vip, has(context.vip), context.events.exists(e, ...)",
                agents=(edge.spec.source_agent_id,),
                transitions=(edge.id,),
            )
            continue
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
