"""A conversation's graph as plain, immutable data, detached from the database.

The loader turns rows into these once; conditions and sessions only ever see these, so nothing on the event path
can reach the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class ToolSpec:
    id: int
    name: str
    function_name: str
    description: str | None = None
    parameters_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent as a session sees it; ``get_current_agent()`` returns one of these."""

    id: int
    name: str
    instructions: str = ""
    agent_type: str = "general"
    description: str | None = None
    llm_provider: str = "offline"
    llm_model: str | None = None
    stt_provider: str = "none"
    stt_model: str | None = None
    tts_provider: str = "none"
    tts_model: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    tool_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    id: int
    source_agent_id: int
    target_agent_id: int
    condition_type: str
    condition_data: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 0
    description: str | None = None
    tool_id: int | None = None
    rules: tuple[Mapping[str, Any], ...] | None = None
    """The business-rules rule set of a ``business_rules`` transition."""

    @property
    def label(self) -> str:
        return f"transition {self.id} ({self.source_agent_id} -> {self.target_agent_id}, {self.condition_type})"


@dataclass(frozen=True, slots=True)
class GraphSpec:
    conversation_id: int
    name: str
    initial_agent_id: int
    agents: Mapping[int, AgentSpec]
    transitions: tuple[TransitionSpec, ...]
    tools: Mapping[int, ToolSpec] = field(default_factory=dict)
    description: str | None = None
    version: int = 1
    config: Mapping[str, Any] = field(default_factory=dict)

    def agent_by_name(self, name: str) -> AgentSpec | None:
        wanted = name.casefold()
        return next((a for a in self.agents.values() if a.name.casefold() == wanted), None)
