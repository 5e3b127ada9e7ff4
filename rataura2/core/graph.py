"""The compiled graph of a conversation: built once, immutable, shared by every session on that version."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from rataura2.core.conditions import Condition, ConditionInput, Verdict, build_condition
from rataura2.core.conditions.base import describe_condition, triggers_of
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.errors import InvalidConditionError, InvalidGraphError, UnknownAgentError
from rataura2.vocabulary.events import EventType

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
        self._by_event_type: Mapping[int, Mapping[EventType, tuple[CompiledTransition, ...]]] = {
            agent_id: {
                event_type: tuple(t for t in transitions if event_type in (triggers_of(t.condition) or (event_type,)))
                for event_type in EventType
            }
            for agent_id, transitions in self._outgoing.items()
        }
        """Per agent and event type, the transitions that can hold on such an event, in evaluation order."""
        self.graph = self._build_networkx()

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

    def get_agent_transitions(self, agent_id: int) -> tuple[CompiledTransition, ...]:
        """The agent's outgoing transitions in evaluation order: highest priority first, ties by lower id."""
        self.get_agent(agent_id)
        return self._outgoing[agent_id]

    def agents(self) -> Iterator[AgentSpec]:
        return iter(self.spec.agents.values())

    # evaluation ----------------------------------------------------------------------------------------------
    def check_transitions(self, agent_id: int, given: ConditionInput) -> Evaluation:
        """The first of ``agent_id``'s transitions whose condition holds. A condition that raises counts as
        false; it is logged and reported, and never stops the others from being checked."""
        errors: list[tuple[int, str]] = []
        event = given.event
        candidates = self._outgoing[agent_id] if event is None else self._by_event_type[agent_id][event.type]
        for transition in candidates:
            try:
                verdict = transition.condition.evaluate(given)
            except Exception as exc:  # a broken condition must not break the session
                message = f"{type(exc).__name__}: {exc}"
                logger.warning("condition of %s raised, counted as false: %s", transition.spec.label, message)
                errors.append((transition.id, message))
                continue
            if verdict is not None:
                return Evaluation(TransitionMatch(transition, verdict), tuple(errors))
        return Evaluation(None, tuple(errors))

    # analysis ------------------------------------------------------------------------------------------
    def _build_networkx(self) -> nx.MultiDiGraph:
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
        return graph

    def bouncing_cycles(self) -> list[list[CompiledTransition]]:
        """Cycles made only of transitions whose conditions read state (rules, expressions, ``since_entered``
        events) rather than the event being processed: such conditions can stay true, so a session could be
        handed around the cycle event after event. Each is a list of transitions, in order."""
        state_edges = nx.DiGraph()
        for transitions in self._outgoing.values():
            for t in transitions:
                if triggers_of(t.condition) is None:
                    state_edges.add_edge(t.spec.source_agent_id, t.target_agent_id, transition=t)
        return [
            [state_edges.edges[u, v]["transition"] for u, v in zip(cycle, [*cycle[1:], cycle[0]], strict=True)]
            for cycle in nx.simple_cycles(state_edges)
        ]

    def lint(self) -> list[str]:
        """What a designer should look at before publishing: agents nobody reaches, and cycles of level-triggered
        conditions that could bounce a session between agents."""
        warnings = [f"{a.name} cannot be reached from the initial agent" for a in self.unreachable_agents()]
        for cycle in self.bouncing_cycles():
            names = [self.get_agent(t.spec.source_agent_id).name for t in cycle] + [
                self.get_agent(cycle[0].spec.source_agent_id).name
            ]
            ids = ", ".join(str(t.id) for t in cycle)
            warnings.append(
                f"{' -> '.join(names)} (transitions {ids}) only reads state that can stay true: a session could "
                "bounce around it; guard one side (e.g. turns_in_current_agent, an event condition)"
            )
        return warnings

    def unreachable_agents(self) -> list[AgentSpec]:
        reachable = nx.descendants(self.graph, self.spec.initial_agent_id) | {self.spec.initial_agent_id}
        return [a for a in self.spec.agents.values() if a.id not in reachable]

    def dead_ends(self) -> list[AgentSpec]:
        """Agents with no way out (often intended: a closing agent)."""
        return [a for a in self.spec.agents.values() if not self._outgoing[a.id]]

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
            shape = f'(["{agent.name}"])' if agent.id == self.spec.initial_agent_id else f'["{agent.name}"]'
            lines.append(f"    a{agent.id}{shape}")
        for t in self.spec.transitions:
            label = edge_label(t).replace('"', "'")
            lines.append(f'    a{t.source_agent_id} -->|"{label}"| a{t.target_agent_id}')
        return "\n".join(lines) + "\n"


def edge_label(t: TransitionSpec) -> str:
    """A short label for drawings: what the condition looks at, and its priority when it has one."""
    summary = describe_condition(t)
    return f"{summary} [p{t.priority}]" if t.priority else summary


__all__ = ["CompiledGraph", "CompiledTransition", "Evaluation", "TransitionMatch", "edge_label"]
