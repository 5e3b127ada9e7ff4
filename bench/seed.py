"""A benchmark workload kept in a database as a conversation, the way users keep theirs (rows, then sessions
started on it through ``SessionManager``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bench.workloads import Workload
from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Tool, Transition


@dataclass(frozen=True)
class Seeded:
    conversation_id: int
    agent_ids: dict[int, int]
    """The workload's agent ids -> their ids in the database."""

    def names(self) -> dict[int, int]:
        """Database agent ids -> the workload's (to compare routes with contenders that run on the workload)."""
        return {db_id: spec_id for spec_id, db_id in self.agent_ids.items()}


def _rules(rules: tuple[Mapping[str, Any], ...], agent_ids: dict[int, int]) -> list[dict[str, Any]]:
    """The rule set with its actions' agent ids as they are in the database."""
    out = []
    for rule in rules:
        actions = []
        for action in rule["actions"]:
            params = dict(action.get("params") or {})
            if "agent_id" in params:
                params["agent_id"] = agent_ids[params["agent_id"]]
            actions.append({**action, "params": params})
        out.append({**rule, "actions": actions})
    return out


def seed_workload(db: Session, workload: Workload, name: str) -> Seeded:
    """Store ``workload`` as the conversation ``name`` (new ids, the same graph) and commit."""
    spec = workload.spec
    tools = {t.id: Tool(name=t.name, function_name=t.function_name) for t in spec.tools.values()}
    agents = {
        a.id: Agent(name=a.name, instructions=f"You are {a.name}.", tools=[tools[i] for i in a.tool_ids])
        for a in spec.agents.values()
    }
    conversation = Conversation(name=name, initial_agent=agents[spec.initial_agent_id], agents=list(agents.values()))
    db.add(conversation)
    db.flush()
    agent_ids = {spec_id: agent.id for spec_id, agent in agents.items()}
    for t in spec.transitions:
        transition = Transition(
            source_agent=agents[t.source_agent_id],
            target_agent=agents[t.target_agent_id],
            condition_type=t.condition_type,
            condition_data=dict(t.condition_data),
            priority=t.priority,
        )
        if t.rules is not None:
            transition.business_rules = BusinessRulesTransition(rules=_rules(t.rules, agent_ids))
        db.add(transition)
    db.commit()
    return Seeded(conversation.id, agent_ids)
