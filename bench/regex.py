"""A pattern that stalls backtracking regex engines, on the whole event path: a business rule ``user_input
matches_regex "(a+)+$"`` and user messages of 30 a's and a "!" (the classic catastrophic case: Python's ``re``
tries 2^30 ways before it gives up). rataura2's ``matches_regex`` is RE2, whose time is linear in the text.

``python -m bench.regex`` prints the figures; ``python -m bench`` holds them to the budget (10 ms per event).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bench.measure import Latency, latencies
from rataura2.core.events import EventData
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec

PATTERN = "(a+)+$"
EVIL = "a" * 30 + "!"


@dataclass(frozen=True)
class RegexCost:
    event: Latency
    """A user message through ``process_event``, the rule evaluated on it."""
    backtracking_ms: dict[int, float]
    """Python's ``re.search`` of the same pattern, by number of a's (it doubles with each one)."""


def _session() -> AgentOrchestrator:
    rules = (
        {
            "conditions": {"name": "user_input", "operator": "matches_regex", "value": PATTERN},
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": 2}}],
        },
    )
    spec = GraphSpec(
        1,
        "regex",
        1,
        {1: AgentSpec(1, "A"), 2: AgentSpec(2, "B")},
        (TransitionSpec(1, 1, 2, "business_rules", {}, rules=rules),),
    )
    return AgentOrchestrator("regex", CompiledGraph(spec))


def regex_cost(events: int = 1_000, backtracking: tuple[int, ...] = (16, 18, 20, 22)) -> RegexCost:
    orchestrator = _session()
    stream = [
        EventData(type="user_message", timestamp=float(i), data={"message": EVIL}, source="user") for i in range(events)
    ]
    latency = latencies(stream, orchestrator.process_event)
    assert orchestrator.current_agent_id == 1, "the pattern must not match"
    timings = {}
    compiled = re.compile(PATTERN)
    for n in backtracking:
        start = time.perf_counter()
        compiled.search("a" * n + "!")
        timings[n] = (time.perf_counter() - start) * 1e3
    return RegexCost(latency, timings)


def main() -> None:
    cost = regex_cost()
    print(f"matches_regex {PATTERN!r} on 30 a's and '!', whole event path (RE2), {cost.event.count} events:")
    print(f"  p50 {cost.event.p50:.1f} us, p99 {cost.event.p99:.1f} us, max budget 10 ms")
    print("Python's backtracking re on the same pattern, for comparison:")
    for n, ms in cost.backtracking_ms.items():
        print(f"  {n} a's and '!': {ms:,.1f} ms")
    last = max(cost.backtracking_ms)
    estimate = cost.backtracking_ms[last] * 2 ** (30 - last) / 1e3
    print(f"  30 a's and '!': about {estimate:,.0f} s (doubling per a)")


if __name__ == "__main__":
    main()
