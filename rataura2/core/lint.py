"""What a designer should look at before publishing, as findings that name the agents and transitions they concern
(so an editor can mark them on the canvas).

Errors stop a graph from compiling, so it cannot be published: no initial agent, a condition or rule set that does
not compile. Warnings are legal graphs that probably do not do what was meant: an agent nobody reaches, a cycle of
level-triggered conditions that could bounce a session. Dead ends (no way out) are often intended, a closing agent:
they are notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rataura2.core.conditions import build_condition
from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import GraphSpec
from rataura2.errors import InvalidGraphError, RatauraError


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    code: str
    message: str
    agent_ids: tuple[int, ...] = field(default=())
    transition_ids: tuple[int, ...] = field(default=())


def lint_spec(spec: GraphSpec) -> list[Finding]:
    """Every finding about a conversation's graph; the graph compiles if none is an error."""
    errors: list[Finding] = []
    if spec.initial_agent_id not in spec.agents:
        message = f"the initial agent {spec.initial_agent_id} is not one of the conversation's agents"
        errors.append(Finding(Severity.ERROR, "no_initial_agent", message))
    for t in spec.transitions:
        outside = [end for end in (t.source_agent_id, t.target_agent_id) if end not in spec.agents]
        if outside:
            errors.append(
                Finding(Severity.ERROR, "outside_agent", f"{t.label}: agent {outside[0]} is not here", (), (t.id,))
            )
            continue
        try:
            build_condition(t, spec)
        except RatauraError as exc:
            code = "invalid_rules" if t.condition_type == "business_rules" else "invalid_condition"
            errors.append(Finding(Severity.ERROR, code, str(exc), (t.source_agent_id,), (t.id,)))
    if errors:
        return errors
    graph = CompiledGraph(spec)
    findings = [
        Finding(Severity.WARNING, "unreachable_agent", f"{a.name} cannot be reached from the initial agent", (a.id,))
        for a in graph.unreachable_agents()
    ]
    for cycle in graph.bouncing_cycles():
        names = [graph.get_agent(t.spec.source_agent_id).name for t in cycle]
        findings.append(
            Finding(
                Severity.WARNING,
                "bouncing_cycle",
                f"{' -> '.join([*names, names[0]])} only reads state that can stay true: a session could bounce "
                "around it; guard one side (e.g. turns_in_current_agent, an event condition)",
                tuple(t.spec.source_agent_id for t in cycle),
                tuple(t.id for t in cycle),
            )
        )
    findings.extend(
        Finding(Severity.INFO, "dead_end", f"{a.name} has no way out (fine for a closing agent)", (a.id,))
        for a in graph.dead_ends()
    )
    return findings


def no_initial_agent(error: InvalidGraphError) -> Finding:
    return Finding(Severity.ERROR, "no_initial_agent", str(error))
