"""Transitions that can never fire because one checked before them always holds first.

An agent's transitions are checked highest priority first (ties by lower id) and the first that holds fires. A
transition T is shadowed by an earlier S when S is checked on every event T is and S holds whenever T holds: S's
condition is implied by T's. Implication is decided only where it is certain (a pattern inside a longer pattern,
a subset of event data, a looser threshold on the same tool result, the same rules...); where it is not (two
regexes, two different expressions), nothing is reported. When each of S and T implies the other they are the
same condition: a duplicate when they lead to the same agent, a conflict when they do not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from rataura2.core.conditions.base import triggers_of
from rataura2.core.conditions.builtin import (
    AgentDecisionCondition,
    EventCondition,
    ToolResultCondition,
    UserInputData,
)
from rataura2.core.conditions.expressions import CelCondition
from rataura2.core.spec import TransitionSpec
from rataura2.lint import codes
from rataura2.lint.findings import Finding
from rataura2.lint.subject import Edge, Subject


def shadowed_transitions(subject: Subject) -> Iterator[Finding]:
    for agent_id in subject.spec.agents:
        ordered = subject.outgoing(agent_id)
        for index, later in enumerate(ordered):
            for earlier in ordered[:index]:
                if covers(earlier, later):
                    yield _finding(subject, earlier, later)
                    break


def _finding(subject: Subject, s: Edge, t: Edge) -> Finding:
    first, then = subject.describe(s.spec), subject.describe(t.spec)
    ids = (t.id, s.id)  # the transition that never fires first: locations (file lines, SARIF) point at it
    agent = (t.spec.source_agent_id,)
    if covers(t, s) and s.spec.condition_type == t.spec.condition_type:
        if s.spec.target_agent_id == t.spec.target_agent_id:
            return codes.DUPLICATE_CONDITION.finding(
                f"{then} repeats the condition of {first}: it never fires",
                f"delete transition {t.id}",
                agents=agent,
                transitions=ids,
            )
        return codes.CONFLICTING_CONDITION.finding(
            f"{then} has the same condition as {first}, which is checked first: the session always goes to "
            f"{subject.name(s.spec.target_agent_id)}, never to {subject.name(t.spec.target_agent_id)}",
            "make the conditions differ, or decide which agent it is and delete the other transition",
            agents=agent,
            transitions=ids,
        )
    order = _order(s.spec, t.spec)
    return codes.SHADOWED_TRANSITION.finding(
        f"{then} never fires: {first} is checked before it ({order}) and holds whenever it would",
        f"give transition {t.id} a higher priority than transition {s.id} ({s.spec.priority}), or narrow "
        f"transition {s.id}'s condition",
        agents=agent,
        transitions=ids,
    )


def _order(s: TransitionSpec, t: TransitionSpec) -> str:
    if s.priority == t.priority:
        return f"same priority {s.priority}, lower id"
    return f"priority {s.priority} over {t.priority}"


def covers(s: Edge, t: Edge) -> bool:
    """Whether ``s`` holds on every event on which ``t`` holds (so, checked first, ``t`` never fires)."""
    if not _checked_whenever(s, t):
        return False
    if _always(s):
        return True
    if s.spec.condition_type != t.spec.condition_type:
        return False
    a, b = s.condition, t.condition
    if isinstance(s.data, UserInputData) and isinstance(t.data, UserInputData):
        return _text_covers(s.data, t.data)
    if isinstance(a, ToolResultCondition) and isinstance(b, ToolResultCondition):
        return _result_covers(a, b)
    if isinstance(a, EventCondition) and isinstance(b, EventCondition):
        return _event_covers(a, b)
    if isinstance(a, AgentDecisionCondition) and isinstance(b, AgentDecisionCondition):
        return a.decision_key == b.decision_key and set(b.accepted) <= set(a.accepted)
    if isinstance(a, CelCondition) and isinstance(b, CelCondition):
        return " ".join(a.source.split()) == " ".join(b.source.split())
    if s.spec.condition_type == "business_rules":
        moves = _movers(t.spec)
        return bool(moves) and moves <= _movers(s.spec)
    return False


def _checked_whenever(s: Edge, t: Edge) -> bool:
    """``s`` is evaluated on every event ``t`` is evaluated on (no triggers: every event)."""
    s_on, t_on = triggers_of(s.condition), triggers_of(t.condition)
    return s_on is None or (t_on is not None and t_on <= s_on)


def _always(edge: Edge) -> bool:
    """A CEL expression that reads nothing and is true."""
    condition = edge.condition
    if not isinstance(condition, CelCondition) or condition.program.variables():
        return False
    try:
        return condition.program.execute({}) is True
    except Exception:  # the engine's own errors: then it is not "always"
        return False


def _text_covers(s: UserInputData, t: UserInputData) -> bool:
    """Every message that ``t`` accepts is accepted by ``s``."""
    if "regex" in (s.match, t.match):
        same_case = s.case_sensitive == t.case_sensitive or not s.case_sensitive
        return s.match == t.match and s.pattern == t.pattern and same_case
    if s.case_sensitive and not t.case_sensitive:
        return False
    x, y = (s.pattern, t.pattern) if s.case_sensitive else (s.pattern.casefold(), t.pattern.casefold())
    if s.match == "contains":
        return x in y
    if s.match == "startswith":
        return t.match in ("startswith", "exact") and y.startswith(x)
    return t.match == "exact" and x == y


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _interval(op: str, value: Any) -> tuple[float, bool, float, bool] | None:
    """The numbers a comparison accepts: (low, low included, high, high included); None if not numeric."""
    number = _number(value)
    if number is None:
        return None
    return {
        "eq": (number, True, number, True),
        "gte": (number, True, math.inf, False),
        "gt": (number, False, math.inf, False),
        "lte": (-math.inf, False, number, True),
        "lt": (-math.inf, False, number, False),
    }.get(op)


def _result_covers(s: ToolResultCondition, t: ToolResultCondition) -> bool:
    if (s.tool_id, s.tool_name) != (t.tool_id, t.tool_name):
        return False
    if getattr(s, "on_error", None) != getattr(t, "on_error", None):
        return False
    if s.op_name == "exists":
        key, other = s.result_key, t.result_key or ""
        return key is None or other == key or other.startswith(key + ".")
    if s.result_key != t.result_key:
        return False
    if s.op_name == t.op_name and s.expected == t.expected:
        return True
    if s.op_name == "in" and t.op_name == "eq" and isinstance(s.expected, list):
        return t.expected in s.expected
    outer, inner = _interval(s.op_name, s.expected), _interval(t.op_name, t.expected)
    if outer is None or inner is None:
        return False
    low_ok = inner[0] > outer[0] or (inner[0] == outer[0] and (outer[1] or not inner[1]))
    high_ok = inner[2] < outer[2] or (inner[2] == outer[2] and (outer[3] or not inner[3]))
    return low_ok and high_ok


def _event_covers(s: EventCondition, t: EventCondition) -> bool:
    if s.event_type != t.event_type or s.since_entered or t.since_entered:
        return False
    if s.livekit_only and not t.livekit_only:
        return False
    if s.livekit_name is not None and s.livekit_name != t.livekit_name:
        return False
    return _implied(s.event_data, t.event_data)


def _implied(required: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
    """Data that has everything ``given`` asks for also has everything ``required`` asks for."""
    for key, want in required.items():
        if key not in given:
            return False
        have = given[key]
        if isinstance(want, Mapping):
            if not isinstance(have, Mapping) or not _implied(want, have):
                return False
        elif have != want:
            return False
    return True


def _movers(t: TransitionSpec) -> frozenset[str]:
    """The conditions of the rules that move the session to ``t``'s target, as canonical JSON."""
    out = set()
    for rule in t.rules or ():
        moves = [
            a.get("params", {}).get("agent_id")
            for a in rule.get("actions", ())
            if isinstance(a, Mapping) and a.get("name") == "transition_to_agent"
        ]
        if moves and moves[-1] == t.target_agent_id:
            out.add(json.dumps(rule.get("conditions"), sort_keys=True, default=str))
    return frozenset(out)
