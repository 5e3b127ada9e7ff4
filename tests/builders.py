"""Small graphs built with the public models, shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from rataura2.db.models import Agent, Conversation, Tool, Transition


@dataclass
class Graph:
    conversation: Conversation
    agents: dict[str, Agent]
    tools: dict[str, Tool]


def build_graph(
    db: Session,
    agents: list[str],
    transitions: list[tuple[str, str, str, dict[str, Any]] | tuple[str, str, str, dict[str, Any], int]],
    *,
    name: str = "test conversation",
    tools: dict[str, list[str]] | None = None,
) -> Graph:
    """A conversation whose first agent is the initial one; ``transitions`` are (source, target, type, data[,
    priority]); ``tools`` maps an agent to the names of its tools."""
    tool_rows: dict[str, Tool] = {}
    agent_rows: dict[str, Agent] = {}
    for agent_name in agents:
        names = (tools or {}).get(agent_name, [])
        for tool_name in names:
            tool_rows.setdefault(tool_name, Tool(name=tool_name, function_name=tool_name))
        agent_rows[agent_name] = Agent(
            name=agent_name, instructions=f"You are {agent_name}.", tools=[tool_rows[t] for t in names]
        )
    conversation = Conversation(name=name, initial_agent=agent_rows[agents[0]], agents=list(agent_rows.values()))
    db.add(conversation)
    db.flush()
    for source, target, kind, data, *rest in transitions:
        db.add(
            Transition(
                source_agent=agent_rows[source],
                target_agent=agent_rows[target],
                condition_type=kind,
                condition_data=data,
                priority=rest[0] if rest else 0,
            )
        )
    db.commit()
    return Graph(conversation, agent_rows, tool_rows)
