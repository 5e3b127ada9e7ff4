"""The compiled graph of a conversation: built once, immutable, shared by every session on that version."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rataura2.core.conditions import Condition, ConditionInput, Verdict, build_condition
from rataura2.core.conditions.base import describe_condition, triggers_of
from rataura2.core.conditions.triggers import TRIGGER_NAMES, index_keys, trigger_of
from rataura2.core.flow import AgentFlow, compile_graph_flow
from rataura2.core.sensitive import SensitivePolicy, sensitive_paths
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.core.templates import compile_template
from rataura2.core.validation import check_tool_names
from rataura2.errors import InvalidConditionError, InvalidGraphError, UnknownAgentError
from rataura2.vocabulary.enums import ActionType

if TYPE_CHECKING:
    import networkx as nx

    from rataura2.core.events import EventData

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CompiledTransition:
    spec: TransitionSpec
    condition: Condition

    @property
    def id(self) -> int:
        return self.spec.id

    @property
    def target_agent_id(self) -> int:
        return self.spec.target_agent_id


@dataclass(frozen=True, slots=True)
class TransitionMatch:
    transition: CompiledTransition
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of checking one agent's transitions: the first that holds, and the conditions that raised."""

    match: TransitionMatch | None
    errors: tuple[tuple[int, str], ...] = ()


NOTHING_HOLDS = Evaluation(None)
"""The usual outcome, shared (tell it by identity): nothing holds and nothing raised."""


def first_holding(candidates: Iterable[CompiledTransition], given: ConditionInput) -> Evaluation:
    """The first of ``candidates`` whose condition holds (see :meth:`CompiledGraph.check_transitions`)."""
    errors: list[tuple[int, str]] | None = None
    for transition in candidates:
        try:
            verdict = transition.condition.evaluate(given)
        except Exception as exc:  # a broken condition must not break the session
            message = f"{type(exc).__name__}: {exc}"
            logger.warning("condition of %s raised, counted as false: %s", transition.spec.label, message)
            if errors is None:
                errors = []
            errors.append((transition.id, message))
            continue
        if verdict is not None:
            return Evaluation(TransitionMatch(transition, verdict), tuple(errors or ()))
    return NOTHING_HOLDS if errors is None else Evaluation(None, tuple(errors))


class CompiledGraph:
    """A conversation's graph, compiled: agents, their outgoing transitions in evaluation order with conditions
    ready to run, and a networkx ``MultiDiGraph`` (several transitions may join the same two agents) for analysis
    and drawing.

    Built from a :class:`GraphSpec` (``rataura2.db.loader.load_graph`` reads one from the database). It does no
    I/O, so one instance serves every session of the conversation version.
    """

    def __init__(self, spec: GraphSpec) -> None:
        if spec.initial_agent_id not in spec.agents:
            raise InvalidGraphError(
                f"conversation {spec.name!r}: initial agent {spec.initial_agent_id} is not one of its agents"
            )
        check_tool_names(spec)
        self.spec = spec
        outgoing: dict[int, list[CompiledTransition]] = {agent_id: [] for agent_id in spec.agents}
        for t in spec.transitions:
            for end in (t.source_agent_id, t.target_agent_id):
                if end not in spec.agents:
                    raise InvalidConditionError(t.label, f"agent {end} is not in conversation {spec.name!r}")
            outgoing[t.source_agent_id].append(CompiledTransition(t, build_condition(t, spec)))
        for transitions in outgoing.values():
            transitions.sort(key=lambda c: (-c.spec.priority, c.spec.id))
        self._outgoing: Mapping[int, tuple[CompiledTransition, ...]] = {k: tuple(v) for k, v in outgoing.items()}
        keys = {t.id: _keys(t) for transitions in self._outgoing.values() for t in transitions}
        self._by_trigger: Mapping[int, Mapping[str, tuple[CompiledTransition, ...]]] = {
            agent_id: {key: tuple(t for t in transitions if key in keys[t.id]) for key in TRIGGER_NAMES}
            for agent_id, transitions in self._outgoing.items()
        }
        """Per agent and trigger (an event type, or ``context_update``), the transitions evaluated on such an event,
        in evaluation order: conditions on the current event under its type, conditions that read state under
        their trigger events only (see :mod:`~rataura2.core.conditions.triggers`)."""
        self.role = compile_template(spec.role_instructions, f"conversation {spec.name!r}.role_instructions")
        self.flows: Mapping[int, AgentFlow] = {a.id: compile_graph_flow(spec, a) for a in spec.agents.values()}
        """Per agent, its instructions template, on_enter / on_exit actions and history policy."""
        self.sensitive = SensitivePolicy(
            keys=frozenset(spec.sensitive_keys),
            tool_paths={t.name: paths for t in spec.tools.values() if (paths := sensitive_paths(t.parameters_schema))},
            agents=frozenset(a.id for a in spec.agents.values() if a.sensitive_input),
        )

    # reading ------------------------------------------------------------------------------------------------
    @property
    def conversation_id(self) -> int:
        return self.spec.conversation_id

    @property
    def version(self) -> int:
        return self.spec.version

    def get_initial_agent(self) -> AgentSpec:
        return self.spec.agents[self.spec.initial_agent_id]

    def get_agent(self, agent: int | str) -> AgentSpec:
        """An agent of this conversation by id or name; :class:`UnknownAgentError` otherwise."""
        found = self.spec.agents.get(agent) if isinstance(agent, int) else self.spec.agent_by_name(agent)
        if found is None:
            known = ", ".join(f"{a.id} ({a.name})" for a in self.spec.agents.values())
            raise UnknownAgentError(f"no agent {agent!r} in conversation {self.spec.name!r}; agents: {known}")
        return found

    @cached_property
    def directory(self) -> dict[str, dict[str, Any]]:
        """The agents as a session's context lists them (its ``agents`` field), by id: one dict shared by every
        session on this version (context values are replaced, never changed in place), so that an idle session
        does not hold a copy the size of the graph."""
        return {
            str(a.id): {"id": a.id, "name": a.name, "agent_type": a.agent_type, "description": a.description}
            for a in self.spec.agents.values()
        }

    def get_agent_transitions(self, agent_id: int) -> tuple[CompiledTransition, ...]:
        """The agent's outgoing transitions in evaluation order: highest priority first, ties by lower id."""
        self.get_agent(agent_id)
        return self._outgoing[agent_id]

    def agents(self) -> Iterator[AgentSpec]:
        return iter(self.spec.agents.values())

    def get_flow(self, agent_id: int) -> AgentFlow:
        self.get_agent(agent_id)
        return self.flows[agent_id]

    def tools_of(self, agent_id: int) -> tuple[int, ...]:
        """The ids of the tools the agent is offered: its own, then the conversation's."""
        own = self.get_agent(agent_id).tool_ids
        return (*own, *(t for t in self.spec.tool_ids if t not in own))

    def instructions(self, agent_id: int, values: Mapping[str, Any]) -> str:
        """The agent's instructions for a session whose context is ``values``: the conversation's role
        instructions, then the agent's own, both rendered (a template that fails to render is used as written)."""
        agent = self.get_agent(agent_id)
        own = self.flows[agent_id].instructions.render_or_source(values, f"agent {agent.name!r}.instructions")
        own = own or f"You are {agent.name}."
        if not self.role.source:
            return own
        role = self.role.render_or_source(values, f"conversation {self.spec.name!r}.role_instructions")
        return f"{role}\n\n{own}" if role.strip() else own

    # evaluation ----------------------------------------------------------------------------------------------
    def listens(self, agent_id: int, event: EventData) -> bool:
        """Whether any of ``agent_id``'s transitions is evaluated on ``event`` (most events concern none)."""
        return bool(self._by_trigger[agent_id][trigger_of(event)])

    def candidates(self, agent_id: int, event: EventData) -> tuple[CompiledTransition, ...]:
        """``agent_id``'s transitions evaluated on ``event``, in evaluation order (empty for most events)."""
        return self._by_trigger[agent_id][trigger_of(event)]

    def check_transitions(self, agent_id: int, given: ConditionInput) -> Evaluation:
        """The first of ``agent_id``'s transitions whose condition holds, among those evaluated on the event (all
        of them without one). A condition that raises counts as false; it is logged and reported, and never stops
        the others from being checked."""
        event = given.event
        candidates = self._outgoing[agent_id] if event is None else self._by_trigger[agent_id][trigger_of(event)]
        return first_holding(candidates, given)

    # analysis ------------------------------------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The networkx form, built on first use (analysis and drawing; sessions never need it)."""
        import networkx as nx

        graph = nx.MultiDiGraph(name=self.spec.name, conversation_id=self.spec.conversation_id)
        for agent in self.spec.agents.values():
            graph.add_node(
                agent.id,
                name=agent.name,
                agent_type=agent.agent_type,
                initial=agent.id == self.spec.initial_agent_id,
            )
        for t in self.spec.transitions:
            graph.add_edge(
                t.source_agent_id,
                t.target_agent_id,
                key=t.id,
                id=t.id,
                condition_type=t.condition_type,
                priority=t.priority,
                label=edge_label(t),
            )
        for agent_id, flow in self.flows.items():  # hand-over actions are edges too
            for hook, actions in (("on_enter", flow.on_enter), ("on_exit", flow.on_exit)):
                for action in actions:
                    target = self.spec.agent_by_name(action.agent) if action.type is ActionType.HANDOVER else None
                    if target is not None:
                        graph.add_edge(
                            agent_id,
                            target.id,
                            key=f"{hook}:handover",
                            condition_type="action",
                            label=f"{hook} hand-over",
                        )
        return graph

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation": {
                "id": self.spec.conversation_id,
                "name": self.spec.name,
                "version": self.spec.version,
                "initial_agent_id": self.spec.initial_agent_id,
            },
            "nodes": [{"id": a.id, "name": a.name, "agent_type": a.agent_type} for a in self.agents()],
            "edges": [
                {
                    "id": t.id,
                    "source": t.source_agent_id,
                    "target": t.target_agent_id,
                    "condition_type": t.condition_type,
                    "condition_data": dict(t.condition_data),
                    "priority": t.priority,
                    "description": t.description,
                }
                for t in self.spec.transitions
            ],
        }

    def to_mermaid(self) -> str:
        """The graph as Mermaid flowchart text (renders on GitHub and in most docs tools)."""
        lines = ["flowchart LR"]
        for agent in self.agents():
            name = mermaid_text(agent.name)
            shape = f'(["{name}"])' if agent.id == self.spec.initial_agent_id else f'["{name}"]'
            lines.append(f"    a{agent.id}{shape}")
        for t in self.spec.transitions:
            lines.append(f'    a{t.source_agent_id} -->|"{mermaid_text(edge_label(t))}"| a{t.target_agent_id}')
        for source, target, data in self.graph.edges(data=True):
            if data.get("condition_type") == "action":
                lines.append(f'    a{source} -.->|"{mermaid_text(data["label"])}"| a{target}')
        return "\n".join(lines) + "\n"


def _keys(transition: CompiledTransition) -> frozenset[str]:
    triggers = triggers_of(transition.condition)
    return frozenset(TRIGGER_NAMES) if triggers is None else index_keys(triggers)


_MERMAID_ENTITIES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "`": "#96;", "|": "#124;", "&": "#38;"}


def mermaid_text(text: str) -> str:
    """``text`` as a quoted Mermaid label that shows exactly it: quotes, entity and HTML characters, backticks
    (Markdown labels) and pipes (edge labels) as entity codes, line breaks as spaces, so a name can neither end the
    label nor add nodes, edges or markup to the chart."""
    out = "".join(_MERMAID_ENTITIES.get(char, char) for char in text)
    return " ".join(out.splitlines()) if "\n" in out or "\r" in out else out


def edge_label(t: TransitionSpec) -> str:
    """A short label for drawings: what the condition looks at, and its priority when it has one."""
    summary = describe_condition(t)
    return f"{summary} [p{t.priority}]" if t.priority else summary


__all__ = [
    "NOTHING_HOLDS",
    "CompiledGraph",
    "CompiledTransition",
    "Evaluation",
    "TransitionMatch",
    "edge_label",
    "first_holding",
    "mermaid_text",
]
