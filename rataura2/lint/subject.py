"""The graph being linted, prepared once: each transition's condition compiled on its own (so one broken condition
is one finding, not the end of the analysis), and names for the messages.

Preparing reports what stops a graph from compiling at all: no initial agent, an edge leaving the conversation, a
condition or rule set that does not compile, a tool that does not exist. Every other check reads only the
transitions that compiled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from rataura2.core.conditions import Condition, build_condition
from rataura2.core.conditions.base import ConditionData, parse_condition_data
from rataura2.core.flow import compile_graph_flow
from rataura2.core.spec import GraphSpec, TransitionSpec
from rataura2.core.validation import check_strays, check_tool_names, transition_label
from rataura2.errors import DuplicateToolNameError, InvalidConditionError, InvalidFlowError, InvalidTemplateError
from rataura2.lint import codes
from rataura2.lint.findings import Finding


@dataclass(frozen=True, slots=True)
class Edge:
    """A transition whose condition compiled."""

    spec: TransitionSpec
    condition: Condition
    data: ConditionData

    @property
    def id(self) -> int:
        return self.spec.id


@dataclass(frozen=True, slots=True)
class Subject:
    spec: GraphSpec
    edges: Mapping[int, Edge]
    """Transition id -> the transition, for those that compiled."""
    findings: tuple[Finding, ...]
    """What preparing found."""

    @property
    def initial_ok(self) -> bool:
        return self.spec.initial_agent_id in self.spec.agents

    def name(self, agent_id: int) -> str:
        agent = self.spec.agents.get(agent_id)
        return agent.name if agent is not None else f"agent {agent_id}"

    def describe(self, t: TransitionSpec) -> str:
        """``transition 4 (General -> Combat, user_input)``, as every error names a transition."""
        return transition_label(t, {a.id: a.name for a in self.spec.agents.values()})

    def inside(self) -> Iterator[TransitionSpec]:
        """Transitions whose two ends are agents of the conversation, compiled or not."""
        agents = self.spec.agents
        return (t for t in self.spec.transitions if t.source_agent_id in agents and t.target_agent_id in agents)

    def outgoing(self, agent_id: int) -> list[Edge]:
        """The agent's compiled transitions in evaluation order: highest priority first, ties by lower id."""
        mine = [e for e in self.edges.values() if e.spec.source_agent_id == agent_id]
        return sorted(mine, key=lambda e: (-e.spec.priority, e.spec.id))


def prepare(spec: GraphSpec, strays: Iterable[tuple[TransitionSpec, str]] = ()) -> Subject:
    """``strays``: transitions of the conversation's agents to agents in no conversation with them, as the loader
    reads them (``rataura2.db.loader.read_graph``)."""
    findings: list[Finding] = []
    if spec.initial_agent_id not in spec.agents:
        findings.append(
            codes.NO_INITIAL_AGENT.finding(
                f"conversation {spec.name!r}: initial agent {spec.initial_agent_id} is not one of its agents",
                "make one of the conversation's agents its initial agent",
            )
        )
    subject = Subject(spec, {}, ())
    findings += _graph_wide(spec, strays)
    edges: dict[int, Edge] = {}
    tool_names = {tool.name for tool in spec.tools.values()}
    for t in spec.transitions:
        outside = [end for end in (t.source_agent_id, t.target_agent_id) if end not in spec.agents]
        if outside:
            findings.append(
                codes.OUTSIDE_AGENT.finding(
                    f"{subject.describe(t)}: agent {outside[0]} is not in conversation {spec.name!r}",
                    "add the agent to the conversation, or delete the transition",
                    transitions=(t.id,),
                )
            )
            continue
        problem = _missing_reference(subject, t, tool_names)
        if problem is not None:
            findings.append(problem)
            continue
        try:
            condition = build_condition(t, spec)
            data = parse_condition_data(t.condition_type, t.condition_data, label=t.label)
        except InvalidConditionError as exc:
            findings.append(_broken(subject, t, exc))
            continue
        edges[t.id] = Edge(t, condition, data)
    return Subject(spec, edges, tuple(findings))


def _graph_wide(spec: GraphSpec, strays: Iterable[tuple[TransitionSpec, str]]) -> Iterator[Finding]:
    """What the save-time checks of the whole graph refuse (:mod:`rataura2.core.validation`), as findings."""
    try:
        check_tool_names(spec)
    except DuplicateToolNameError as exc:
        yield codes.DUPLICATE_TOOL_NAME.finding(str(exc).split(": a tool name")[0], "rename one of the tools")
    for agent in spec.agents.values():
        try:
            compile_graph_flow(spec, agent)
        except InvalidTemplateError:
            pass  # reported with its position by the templates check (invalid_template)
        except InvalidFlowError as exc:
            yield codes.INVALID_FLOW.finding(
                str(exc),
                "fix the field the message names (the studio's agent form, or the document); the graph cannot be "
                "published until it is fixed",
                agents=(agent.id,),
            )
    for stray in strays:
        try:
            check_strays(spec, [stray])
        except InvalidConditionError as exc:
            message, _, hint = str(exc).rpartition("; ")
            yield codes.OUTSIDE_AGENT.finding(
                message, hint, agents=(stray[0].source_agent_id,), transitions=(stray[0].id,)
            )


def _missing_reference(subject: Subject, t: TransitionSpec, tool_names: set[str]) -> Finding | None:
    """A rule set or a tool the transition needs and does not have."""
    where = subject.describe(t)
    if t.condition_type == "business_rules" and not t.rules:
        return codes.MISSING_RULES.finding(
            f"{where} has no rule set: every session reaching {subject.name(t.source_agent_id)} would fail",
            "give it a rule set (the rule editor, or create_business_rules_transition), or change its condition type",
            agents=(t.source_agent_id,),
            transitions=(t.id,),
        )
    if t.condition_type != "tool_result":
        return None
    tool_id = t.condition_data.get("tool_id", t.tool_id if "tool_name" not in t.condition_data else None)
    tool_name = t.condition_data.get("tool_name")
    known = ", ".join(sorted(tool_names)) or "none"
    if isinstance(tool_id, int) and not isinstance(tool_id, bool) and tool_id not in subject.spec.tools:
        return codes.UNKNOWN_TOOL.finding(
            f"{where} waits for a result of tool id {tool_id}, which no agent of the conversation has",
            f"name one of the conversation's tools ({known}), or give the tool to the agent",
            agents=(t.source_agent_id,),
            transitions=(t.id,),
        )
    if isinstance(tool_name, str) and tool_name not in tool_names:
        return codes.UNKNOWN_TOOL.finding(
            f"{where} waits for a result of tool {tool_name!r}, which no agent of the conversation has: it can "
            "never fire",
            f"name one of the conversation's tools ({known}), or give the tool to the agent",
            agents=(t.source_agent_id,),
            transitions=(t.id,),
        )
    return None


def _broken(subject: Subject, t: TransitionSpec, exc: InvalidConditionError) -> Finding:
    message = str(exc).removeprefix(f"{t.label}: ")
    if t.condition_type == "business_rules":
        return codes.INVALID_RULES.finding(
            f"{subject.describe(t)}: {message}",
            "fix the rules the message names (the rule editor checks them as you type)",
            agents=(t.source_agent_id,),
            transitions=(t.id,),
        )
    return codes.INVALID_CONDITION.finding(
        f"{subject.describe(t)}: {message}",
        "fix the condition data the message names; nothing runs until every condition compiles",
        agents=(t.source_agent_id,),
        transitions=(t.id,),
    )
