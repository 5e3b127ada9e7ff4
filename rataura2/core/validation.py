"""What a conversation's definition must satisfy to be stored: the one place that decides it.

A mistake a designer makes (a rule set missing, an edge to an agent outside the conversation, a ``tool_result``
condition naming a tool no agent has, two tools of one conversation with the same name) must be an error when it
is saved, naming the transition and the fix, not a session failing (or a transition never firing) at run time. The
ORM checks each transition on its own as it is flushed (:func:`check_transition_data`) and each edited
conversation's graph at commit (:func:`check_graph`, through ``rataura2.db.validation``); the loader checks what it
reads, so rows written around the ORM are refused too; the HTTP API calls the same functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rataura2.core.conditions import build_condition, validate_condition_data
from rataura2.core.flow import check_flows
from rataura2.core.spec import GraphSpec, TransitionSpec
from rataura2.errors import DuplicateToolNameError, InvalidConditionError
from rataura2.vocabulary.enums import ConditionType


def transition_label(t: TransitionSpec, names: Mapping[int, str], conversation: str | None = None) -> str:
    """How errors name a transition: its id, its agents by name, its condition type (and its conversation)."""
    ident = f"transition {t.id}" if t.id else "new transition"
    source, target = (names.get(i, str(i)) for i in (t.source_agent_id, t.target_agent_id))
    where = f" in conversation {conversation!r}" if conversation else ""
    return f"{ident} ({source} -> {target}, {t.condition_type}){where}"


def check_transition_data(condition_type: str, data: Mapping[str, Any], *, has_tool: bool, label: str) -> None:
    """What a transition must satisfy on its own, whatever graph it is in: its condition data parses, and a
    ``tool_result`` condition says which tool it is about."""
    validate_condition_data(condition_type, data, label=label)
    if condition_type == ConditionType.TOOL_RESULT and not (has_tool or "tool_id" in data or "tool_name" in data):
        raise InvalidConditionError(
            label, "a tool_result condition needs tool_id or tool_name in condition_data, or the transition's tool"
        )


def check_tool_names(spec: GraphSpec) -> None:
    """Tool names are unique within a conversation: they are what the LLM calls and what ``tool_result``
    conditions and ``tool_results`` name. (Two conversations may each have a tool of the same name.)"""
    by_name: dict[str, set[int]] = defaultdict(set)
    for tool in spec.tools.values():
        by_name[tool.name].add(tool.id)
    for name, ids in sorted(by_name.items()):
        if len(ids) > 1:
            holders = sorted(a.name for a in spec.agents.values() if set(a.tool_ids) & ids)
            raise DuplicateToolNameError(
                f"conversation {spec.name!r} has {len(ids)} tools named {name!r} (tool ids "
                f"{', '.join(map(str, sorted(ids)))}, on agents {', '.join(holders)}): a tool name must be unique in "
                "a conversation; rename one of them, or give those agents the same Tool row"
            )


def check_strays(spec: GraphSpec, strays: Iterable[tuple[TransitionSpec, str]]) -> None:
    """``strays`` are transitions from an agent of this conversation to an agent (named) that shares no
    conversation with it: they belong to no graph and could never fire."""
    names = {a.id: a.name for a in spec.agents.values()}
    for transition, target in strays:
        label = transition_label(transition, {**names, transition.target_agent_id: target})
        raise InvalidConditionError(
            label,
            f"it leads to {target}, which is not an agent of conversation {spec.name!r} (nor of any conversation "
            f"with {names.get(transition.source_agent_id, 'its source')}), so it could never fire; add {target} to "
            "the conversation's agents, or delete the transition",
        )


def check_conditions(spec: GraphSpec) -> None:
    """Each transition's condition compiles against this graph (a tool no agent has, a business_rules transition
    without rules or with rules naming agents outside the conversation... are errors)."""
    names = {a.id: a.name for a in spec.agents.values()}
    for transition in spec.transitions:
        try:
            build_condition(transition, spec)
        except InvalidConditionError as exc:
            detail = str(exc).removeprefix(f"{exc.transition}: ")
            raise InvalidConditionError(transition_label(transition, names, spec.name), detail) from None


def check_graph(spec: GraphSpec, *, strays: Iterable[tuple[TransitionSpec, str]] = ()) -> None:
    """Raise the first problem of a conversation's graph, naming the transition (or tool) and the fix: tool names
    repeated (:func:`check_tool_names`), an edge leaving the conversation (:func:`check_strays`), a condition that
    does not compile against this graph (:func:`check_conditions`), an agent's action naming an agent or a tool the
    graph lacks (``rataura2.core.flow.check_flows``).

    ``spec`` may lack a usable initial agent (a conversation being built): only what is there is checked."""
    check_tool_names(spec)
    check_strays(spec, strays)
    check_conditions(spec)
    check_flows(spec)


__all__ = [
    "check_conditions",
    "check_graph",
    "check_strays",
    "check_tool_names",
    "check_transition_data",
    "transition_label",
]
