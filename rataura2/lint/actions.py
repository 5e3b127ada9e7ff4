"""What lint reads from an agent's enter and exit actions, when the graph has them (``on_enter`` / ``on_exit``:
say a text, run a tool, set context values, end the conversation, hand over): where they lead, whether they end the
conversation, the context keys they set, and the texts they say (templates)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rataura2.core.spec import AgentSpec, GraphSpec

HOOKS = ("on_enter", "on_exit")
END = "end_conversation"
HANDOVER = "handover"


def actions(agent: AgentSpec) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, action) of each of the agent's actions, ``where`` as ``on_enter[0]``."""
    for hook in HOOKS:
        for index, action in enumerate(getattr(agent, hook, None) or ()):
            if isinstance(action, Mapping):
                yield f"{hook}[{index}]", action


def ends_conversation(agent: AgentSpec) -> bool:
    return any(action.get("type") == END for _, action in actions(agent))


def handover_targets(spec: GraphSpec, agent: AgentSpec) -> Iterator[int]:
    """Agents the agent's actions hand the session over to."""
    for _, action in actions(agent):
        if action.get("type") == HANDOVER:
            target = spec.agent_by_name(str(action.get("agent", "")))
            if target is not None:
                yield target.id


def keys_set(agent: AgentSpec) -> Iterator[str]:
    for _, action in actions(agent):
        values = action.get("values")
        if action.get("type") == "set_context" and isinstance(values, Mapping):
            yield from (k for k in values if isinstance(k, str))


def texts(agent: AgentSpec) -> Iterator[tuple[str, str]]:
    """(where, text) of what the actions say, and of the string arguments of the tools they run."""
    for where, action in actions(agent):
        if action.get("type") == "say" and isinstance(action.get("text"), str):
            yield f"{where}.text", action["text"]
        arguments = action.get("arguments")
        if action.get("type") == "run_tool" and isinstance(arguments, Mapping):
            yield from ((f"{where}.arguments.{k}", v) for k, v in arguments.items() if isinstance(v, str))
