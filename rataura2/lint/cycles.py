"""Cycles of state conditions: transitions that read the session's state (rules, expressions, ``since_entered``
events) rather than the event being processed can stay true, so a session could be handed around such a cycle
event after event. The orchestrator caps hand-overs per turn; lint says where it would come to that."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from rataura2.core.conditions.base import reads_state
from rataura2.lint import codes
from rataura2.lint.findings import Finding
from rataura2.lint.subject import Edge, Subject


def bouncing_cycles(subject: Subject) -> list[list[Edge]]:
    """Each cycle of state-condition transitions, as its transitions in order (one per pair of agents: the first
    in evaluation order)."""
    state = nx.DiGraph()
    for agent_id in subject.spec.agents:
        for edge in subject.outgoing(agent_id):
            pair = (edge.spec.source_agent_id, edge.spec.target_agent_id)
            if reads_state(edge.condition) and not state.has_edge(*pair):
                state.add_edge(*pair, edge=edge)
    return [
        [state.edges[u, v]["edge"] for u, v in zip(cycle, [*cycle[1:], cycle[0]], strict=True)]
        for cycle in sorted(nx.simple_cycles(state), key=lambda c: (len(c), sorted(c)))
    ]


def bouncing(subject: Subject) -> Iterator[Finding]:
    for cycle in bouncing_cycles(subject):
        names = [subject.name(e.spec.source_agent_id) for e in cycle]
        ids = tuple(e.id for e in cycle)
        shown = ", ".join(str(i) for i in ids)
        yield codes.BOUNCING_CYCLE.finding(
            f"{' -> '.join([*names, names[0]])} (transitions {shown}) only reads state that can stay true: a "
            "session could bounce around it",
            "guard one side with something that changes on the way (turns_in_current_agent, the event being "
            "processed) or make one of them an event condition",
            agents=tuple(e.spec.source_agent_id for e in cycle),
            transitions=ids,
        )
