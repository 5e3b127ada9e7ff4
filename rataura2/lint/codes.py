"""The one table of lint codes: each code's severity and what it means (the SARIF rules and the docs read it)."""

from __future__ import annotations

from dataclasses import dataclass

from rataura2.lint.findings import Finding, Severity


@dataclass(frozen=True, slots=True)
class Code:
    name: str
    severity: Severity
    summary: str

    def finding(
        self, message: str, hint: str, *, agents: tuple[int, ...] = (), transitions: tuple[int, ...] = ()
    ) -> Finding:
        return Finding(self.name, self.severity, message, hint, agents, transitions)


_E, _W = Severity.ERROR, Severity.WARNING

NO_INITIAL_AGENT = Code("no_initial_agent", _E, "The conversation has no initial agent among its agents.")
OUTSIDE_AGENT = Code("outside_agent", _E, "A transition leads from or to an agent outside the conversation.")
INVALID_CONDITION = Code("invalid_condition", _E, "A transition's condition does not compile.")
MISSING_RULES = Code("missing_rules", _E, "A business_rules transition has no rule set.")
INVALID_RULES = Code("invalid_rules", _E, "A transition's rule set is not valid.")
DUPLICATE_TOOL_NAME = Code(
    "duplicate_tool_name", _E, "Two tools of the conversation have the same name (the name is what the LLM calls)."
)
UNKNOWN_TOOL = Code("unknown_tool", _E, "A tool_result condition names a tool that no agent of the conversation has.")
INVALID_TEMPLATE = Code("invalid_template", _E, "An agent's instructions template does not parse.")
INVALID_FLOW = Code(
    "invalid_flow",
    _E,
    "An agent's flow settings are refused: an action handing over to an agent outside the conversation, running a "
    "tool the agent is not offered, a bad context strategy or sensitive-data mark.",
)
UNREACHABLE_AGENT = Code("unreachable_agent", _W, "No path of transitions leads from the initial agent to the agent.")
DEAD_END = Code("dead_end", _W, "An agent has no way out and does not end the conversation.")
SHADOWED_TRANSITION = Code(
    "shadowed_transition", _W, "A transition never fires: one checked before it always holds whenever it would."
)
DUPLICATE_CONDITION = Code("duplicate_condition", _W, "Two transitions of an agent have the same condition and target.")
CONFLICTING_CONDITION = Code(
    "conflicting_condition", _W, "Two transitions of an agent have the same condition and different targets."
)
BOUNCING_CYCLE = Code(
    "bouncing_cycle", _W, "A cycle of state conditions that can stay true could hand a session around it."
)
UNSET_CONTEXT_KEY = Code("unset_context_key", _W, "A condition reads a context key that nothing in the graph sets.")
WHOLE_CONTEXT_READ = Code(
    "whole_context_read",
    _W,
    "A CEL expression reads the context as a whole: it takes in the whole history at each evaluation, and past the "
    "cost limit (a long session) counts as false.",
)
UNKNOWN_TEMPLATE_VALUE = Code(
    "unknown_template_value", _W, "An instructions template names a value that nothing in the graph sets."
)
TOOL_NOT_OFFERED = Code(
    "tool_not_offered", _W, "A tool_result transition waits for a tool its source agent does not have."
)
UNDESCRIBED_DECISION = Code(
    "undescribed_decision", _W, "An agent_decision transition has no description for the LLM to choose by."
)

CODES: dict[str, Code] = {
    c.name: c
    for c in (
        NO_INITIAL_AGENT,
        OUTSIDE_AGENT,
        INVALID_CONDITION,
        MISSING_RULES,
        INVALID_RULES,
        DUPLICATE_TOOL_NAME,
        UNKNOWN_TOOL,
        INVALID_TEMPLATE,
        INVALID_FLOW,
        UNREACHABLE_AGENT,
        DEAD_END,
        SHADOWED_TRANSITION,
        DUPLICATE_CONDITION,
        CONFLICTING_CONDITION,
        BOUNCING_CYCLE,
        UNSET_CONTEXT_KEY,
        WHOLE_CONTEXT_READ,
        UNKNOWN_TEMPLATE_VALUE,
        TOOL_NOT_OFFERED,
        UNDESCRIBED_DECISION,
    )
}
