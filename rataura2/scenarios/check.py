"""Checking a step's expectations against what the session did, and saying why when they fail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rataura2.core.conditions.base import triggers_of
from rataura2.core.graph import CompiledGraph
from rataura2.scenarios.model import Expect, HandoverExpect
from rataura2.scenarios.words import condition_words
from rataura2.vocabulary.events import EventType

_MISSING = object()


@dataclass(frozen=True, slots=True)
class Observed:
    """The session after a step."""

    agent: str
    agent_id: int
    handovers: Sequence[Mapping[str, Any]]
    """The hand-overs the step caused, as the context records them (from/to names, transition id, reason)."""
    context: Mapping[str, Any]
    ended: bool
    livekit_agent: str | None = None
    """The agent the LiveKit AgentSession runs (``--livekit`` runs), which must be the orchestrator's."""
    errors: Sequence[tuple[int, str]] = field(default=())
    """Conditions that raised on the step's events (transition id, message)."""


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The context value at a key, or a dotted path into it; ``_MISSING`` when there is none."""
    if path in context:
        return context[path]
    value: Any = context
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def handover_text(h: Mapping[str, Any]) -> str:
    return f"{h.get('from_agent_name')} -> {h.get('to_agent_name')} (transition {h.get('transition_id')})"


def _matches(wanted: HandoverExpect, h: Mapping[str, Any]) -> bool:
    def same(a: str | None, b: Any) -> bool:
        return a is None or a.casefold() == str(b).casefold()

    reason = str(h.get("reason", "")).casefold()
    return (
        same(wanted.to, h.get("to_agent_name"))
        and same(wanted.from_, h.get("from_agent_name"))
        and (wanted.reason is None or wanted.reason.casefold() in reason)
        and (wanted.transition is None or wanted.transition == h.get("transition_id"))
    )


def _wanted_text(wanted: HandoverExpect) -> str:
    text = f"{wanted.from_ or '?'} -> {wanted.to or '?'}"
    if wanted.transition is not None:
        text += f" (transition {wanted.transition})"
    if wanted.reason is not None:
        text += f" with a reason containing {wanted.reason!r}"
    return text


ROUTE = frozenset({"agent", "handover", "livekit"})
"""Problems about where the session went: a report explains them with the transitions that fired, or not."""


def check(expect: Expect | None, observed: Observed) -> list[tuple[str, str]]:
    """What differs from ``expect``: (what, one sentence) each, ``what`` being agent, handover, context, ended or
    livekit (empty: the step passed)."""
    problems: list[tuple[str, str]] = []
    if observed.livekit_agent is not None and observed.livekit_agent != observed.agent:
        problems.append(
            ("livekit", f"the AgentSession runs {observed.livekit_agent} while the orchestrator is on {observed.agent}")
        )
    if expect is None:
        return problems
    if expect.agent is not None and expect.agent.casefold() != observed.agent.casefold():
        problems.append(("agent", f"expected agent {expect.agent}, got {observed.agent}"))
    got = "; ".join(handover_text(h) for h in observed.handovers) or "none"
    if expect.handover is False and observed.handovers:
        problems.append(("handover", f"expected no hand-over, got {got}"))
    elif isinstance(expect.handover, HandoverExpect) and not any(
        _matches(expect.handover, h) for h in observed.handovers
    ):
        reasons = "".join(f"; reason: {h.get('reason')}" for h in observed.handovers)
        problems.append(("handover", f"expected a hand-over {_wanted_text(expect.handover)}, got {got}{reasons}"))
    for path, wanted in expect.context.items():
        actual = lookup(observed.context, path)
        if actual is _MISSING:
            problems.append(("context", f"expected context {path} = {wanted!r}, it is not set"))
        elif actual != wanted:
            problems.append(("context", f"expected context {path} = {wanted!r}, got {actual!r}"))
    if expect.ended is not None and expect.ended != observed.ended:
        said = "expected the session to have ended, it has not" if expect.ended else "the session has ended"
        problems.append(("ended", said))
    return problems


def explain(graph: CompiledGraph, observed: Observed, start_agent_id: int, event_types: Iterable[EventType]) -> str:
    """Why the session is where it is after a step: the transitions that fired, or why none did."""
    if observed.handovers:
        return "because " + "; then ".join(
            f"transition {h.get('transition_id')} ({h.get('from_agent_name')} -> {h.get('to_agent_name')}) fired: "
            f"{h.get('reason')}"
            for h in observed.handovers
        )
    agent = graph.get_agent(start_agent_id)
    kinds = list(dict.fromkeys(event_types))
    shown = " / ".join(k.value for k in kinds) or "event"
    candidates = [
        t
        for t in graph.get_agent_transitions(start_agent_id)
        if (triggers_of(t.condition) is None or any(k in (triggers_of(t.condition) or ()) for k in kinds))
    ]
    text = f"because no transition of {agent.name} held on this {shown}"
    if candidates:
        listed = "; ".join(
            f"{t.id} -> {graph.get_agent(t.target_agent_id).name}: {condition_words(t.spec)}" for t in candidates
        )
        text += f" (checked: {listed})"
    else:
        text += f": {agent.name} has no transition that such an event can fire"
    if observed.errors:
        text += "; conditions that failed: " + "; ".join(f"transition {i}: {m}" for i, m in observed.errors)
    return text
