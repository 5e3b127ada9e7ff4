"""Checks of the graph's shape: agents nobody reaches, agents nobody leaves, tools an agent cannot call, decisions
the LLM has nothing to choose by."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import networkx as nx

from rataura2.core.conditions.base import triggers_of
from rataura2.core.spec import AgentSpec
from rataura2.lint import codes
from rataura2.lint.findings import Finding
from rataura2.lint.subject import Subject
from rataura2.vocabulary.events import EventType

_USER_GONE = frozenset({EventType.USER_LEFT, EventType.SESSION_ENDED})
_ANY_EVENT = frozenset(EventType)
END_ACTIONS = frozenset({"end_conversation", "end_session", "end"})


def reachable(subject: Subject) -> set[int]:
    """Agents a session can reach from the initial agent along transitions inside the conversation."""
    spec = subject.spec
    if not subject.initial_ok:
        return set(spec.agents)
    graph = nx.DiGraph()
    graph.add_nodes_from(spec.agents)
    graph.add_edges_from((t.source_agent_id, t.target_agent_id) for t in subject.inside())
    found: set[int] = nx.descendants(graph, spec.initial_agent_id)
    return found | {spec.initial_agent_id}


def unreachable_agents(subject: Subject) -> Iterator[Finding]:
    reached = reachable(subject)
    initial = subject.name(subject.spec.initial_agent_id)
    for agent in subject.spec.agents.values():
        if agent.id not in reached:
            yield codes.UNREACHABLE_AGENT.finding(
                f"{agent.name} cannot be reached from the initial agent {initial}",
                f"add a transition into {agent.name}, or remove it from the conversation",
                agents=(agent.id,),
            )


def ends_conversation(agent: AgentSpec) -> bool:
    """Whether entering or leaving the agent ends the conversation (an ``end_conversation`` enter/exit action)."""
    for hook in ("on_enter", "on_exit"):
        for action in getattr(agent, hook, None) or ():
            kind = action.get("type", action.get("action")) if isinstance(action, dict) else getattr(action, "type", "")
            if kind in END_ACTIONS:
                return True
    return False


def dead_ends(subject: Subject) -> Iterator[Finding]:
    """Agents with no way out that do not end the conversation. A conversation of one agent has nowhere to go, and
    an agent entered only when the user has left (a closing agent) has no one to talk to: neither is a dead end."""
    spec = subject.spec
    if len(spec.agents) < 2:
        return
    leaving = {t.source_agent_id for t in subject.inside()}
    reached = reachable(subject)
    for agent in spec.agents.values():
        if agent.id in leaving or agent.id not in reached or ends_conversation(agent) or _closing(subject, agent):
            continue
        yield codes.DEAD_END.finding(
            f"{agent.name} has no way out and does not end the conversation: a session that reaches it stays there",
            f"add a transition out of {agent.name}, or give it an end_conversation action if it closes the session",
            agents=(agent.id,),
        )


def _closing(subject: Subject, agent: AgentSpec) -> bool:
    incoming = [e for e in subject.edges.values() if e.spec.target_agent_id == agent.id]
    return bool(incoming) and all((triggers_of(e.condition) or _ANY_EVENT) <= _USER_GONE for e in incoming)


def tools_not_offered(subject: Subject) -> Iterator[Finding]:
    """tool_result transitions waiting for a tool that their source agent cannot call."""
    for edge in subject.edges.values():
        if edge.spec.condition_type != "tool_result":
            continue
        source = subject.spec.agents[edge.spec.source_agent_id]
        names = _tool_names(subject, source)
        tool_id: Any = getattr(edge.condition, "tool_id", None)
        tool_name: Any = getattr(edge.condition, "tool_name", None)
        known_ids = set(source.tool_ids)
        if (tool_id is not None and tool_id in known_ids) or (tool_name is not None and tool_name in names):
            continue
        shown = tool_name or f"id {tool_id}"
        yield codes.TOOL_NOT_OFFERED.finding(
            f"{subject.describe(edge.spec)} waits for a result of {shown}, which {source.name} does not have: only "
            "an injected result could fire it",
            f"give {shown} to {source.name}, or start the transition from the agent that calls it",
            agents=(source.id,),
            transitions=(edge.id,),
        )


def _tool_names(subject: Subject, agent: AgentSpec) -> set[str]:
    tools = subject.spec.tools
    return {tools[i].name for i in agent.tool_ids if i in tools}


def undescribed_decisions(subject: Subject) -> Iterator[Finding]:
    """agent_decision transitions without a description: the LLM's transfer tool has nothing to choose by."""
    for edge in subject.edges.values():
        t = edge.spec
        if t.condition_type == "agent_decision" and not (t.description or "").strip():
            target = subject.name(t.target_agent_id)
            yield codes.UNDESCRIBED_DECISION.finding(
                f"{subject.describe(t)} has no description: the LLM choosing to hand over to {target} has only "
                "the name to go by",
                f"describe when the LLM should hand over to {target} (the transfer tool shows it)",
                agents=(t.source_agent_id,),
                transitions=(t.id,),
            )
