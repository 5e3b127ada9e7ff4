"""The lint engine: every check over one conversation graph, in one call."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rataura2.core.spec import GraphSpec
from rataura2.lint.context_keys import unset_keys
from rataura2.lint.cycles import bouncing
from rataura2.lint.findings import Finding, LintReport
from rataura2.lint.order import shadowed_transitions
from rataura2.lint.shape import dead_ends, tools_not_offered, undescribed_decisions, unreachable_agents
from rataura2.lint.subject import Subject, prepare
from rataura2.lint.templates import template_findings

Check = Callable[[Subject], Iterable[Finding]]

CHECKS: tuple[Check, ...] = (
    unreachable_agents,
    dead_ends,
    shadowed_transitions,
    bouncing,
    unset_keys,
    template_findings,
    tools_not_offered,
    undescribed_decisions,
)
"""The checks run on what compiled (preparing the graph reports what did not)."""


def lint_graph(spec: GraphSpec) -> LintReport:
    """Every finding about the graph ``spec`` describes. Pure: reads nothing but ``spec``."""
    subject = prepare(spec)
    findings = list(subject.findings)
    for check in CHECKS:
        findings.extend(check(subject))
    return LintReport.of(spec.name, findings, {a.id: a.name for a in spec.agents.values()})
