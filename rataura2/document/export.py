"""Reading a document: from a conversation's rows (the draft being edited) or from a published version.

Free-form JSON (configs, condition data, parameter schemas) is written with sorted keys and rule sets in their
normalised key order, so the same conversation gives the same text on SQLite and on PostgreSQL (whose ``jsonb``
keeps keys in an order of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.document.model import (
    AgentDocument,
    ConversationDocument,
    Position,
    ToolDocument,
    TransitionDocument,
)
from rataura2.editing.layout import positions
from rataura2.errors import InvalidDocumentError

TRANSITION_TO_AGENT = "transition_to_agent"


def canonical(value: Any) -> Any:
    """JSON data with every object's keys sorted."""
    if isinstance(value, Mapping):
        return {str(k): canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def _optional(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Free-form JSON in canonical form; empty and absent are the same (versions store absent as empty)."""
    if not value:
        return None
    plain: dict[str, Any] = canonical(value)
    return plain


def _condition(node: Mapping[str, Any]) -> dict[str, Any]:
    for group in ("all", "any"):
        if group in node:
            return {group: [_condition(child) for child in node[group]]}
    return {"name": node.get("name"), "operator": node.get("operator"), "value": canonical(node.get("value"))}


def rules_by_name(rules: Any, agent_name: Callable[[Any], str]) -> list[dict[str, Any]]:
    """A stored rule set as a document holds it: ``transition_to_agent`` names its agent (``{"agent": NAME}``)
    instead of giving its database id, and keys in their usual order."""
    out = []
    for rule in rules:
        actions = []
        for action in rule.get("actions", ()):
            params = dict(action.get("params") or {})
            if action.get("name") == TRANSITION_TO_AGENT and "agent_id" in params:
                params = {"agent": agent_name(params.pop("agent_id")), **params}
            actions.append({"name": action.get("name"), "params": canonical(params)})
        out.append({"conditions": _condition(rule.get("conditions") or {}), "actions": actions})
    return out


def _condition_data(data: Mapping[str, Any] | None, tool_names: Mapping[int, str]) -> dict[str, Any] | None:
    """Condition data with a ``tool_id`` named instead (``tool_name``), so it means the same in any database."""
    if not data:
        return None
    plain = dict(data)
    tool_id = plain.get("tool_id")
    if isinstance(tool_id, int) and tool_id in tool_names and "tool_name" not in plain:
        del plain["tool_id"]
        plain["tool_name"] = tool_names[tool_id]
    return _optional(plain)


def conversation_transitions(db: Session, agent_ids: list[int]) -> list[Transition]:
    """The transitions of a conversation's graph (both ends among its agents), by id."""
    return list(
        db.scalars(
            select(Transition)
            .options(selectinload(Transition.business_rules), selectinload(Transition.tool))
            .where(Transition.source_agent_id.in_(agent_ids), Transition.target_agent_id.in_(agent_ids))
            .order_by(Transition.id)
        )
    )


def conversation_agents_in_order(conversation: Conversation) -> list[Agent]:
    """The conversation's agents by id (the order they were added in), the initial agent included."""
    agents = {a.id: a for a in conversation.agents}
    if conversation.initial_agent is not None:
        agents.setdefault(conversation.initial_agent.id, conversation.initial_agent)
    return [agents[i] for i in sorted(agents)]


def export_document(db: Session, conversation: Conversation) -> ConversationDocument:
    """The conversation as it is in the database now."""
    agents = conversation_agents_in_order(conversation)
    names = {a.id: a.name for a in agents}
    duplicates = sorted({n for n in names.values() if list(names.values()).count(n) > 1})
    if duplicates:
        raise InvalidDocumentError(
            ("agents",), f"agent names must be unique in a conversation to export it; repeated: {duplicates}"
        )
    transitions = conversation_transitions(db, list(names))
    tools: dict[int, Tool] = {t.id: t for a in agents for t in a.tools}
    for t in transitions:
        if t.tool is not None:
            tools[t.tool.id] = t.tool
    tool_names = {i: t.name for i, t in tools.items()}

    def agent_name(agent_id: Any) -> str:
        return names.get(agent_id, str(agent_id)) if isinstance(agent_id, int) else str(agent_id)

    placed = positions(db, conversation.id)
    return ConversationDocument(
        name=conversation.name,
        description=conversation.description,
        initial_agent=names.get(conversation.initial_agent_id) if conversation.initial_agent_id else None,
        is_active=conversation.is_active,
        config=_optional(conversation.config),
        tools=[
            ToolDocument(
                name=t.name,
                function_name=t.function_name,
                description=t.description,
                parameters_schema=_optional(t.parameters_schema),
                is_active=t.is_active,
            )
            for t in sorted(tools.values(), key=lambda t: t.name)
        ],
        agents=[
            AgentDocument(
                name=a.name,
                agent_type=a.agent_type,
                description=a.description,
                instructions=a.instructions or "",
                llm_provider=a.llm_provider,
                llm_model=a.llm_model,
                stt_provider=a.stt_provider,
                stt_model=a.stt_model,
                tts_provider=a.tts_provider,
                tts_model=a.tts_model,
                config=_optional(a.config),
                is_active=a.is_active,
                tools=sorted(t.name for t in a.tools),
                position=Position(x=placed[a.id][0], y=placed[a.id][1]) if a.id in placed else None,
            )
            for a in agents
        ],
        transitions=[
            TransitionDocument(
                source=names[t.source_agent_id],
                target=names[t.target_agent_id],
                condition_type=t.condition_type,
                condition_data=_condition_data(t.condition_data, tool_names),
                priority=t.priority,
                description=t.description,
                tool=t.tool.name if t.tool is not None else None,
                rules=rules_by_name(t.business_rules.rules, agent_name) if t.business_rules is not None else None,
            )
            for t in transitions
        ],
    )


def document_from_spec(spec: Mapping[str, Any]) -> ConversationDocument:
    """A published version (its stored spec, ``spec_to_dict``'s shape) as a document. Versions keep no layout
    and no ``is_active`` flags: those are left at their defaults."""
    names = {a["id"]: a["name"] for a in spec["agents"]}
    tools = {t["id"]: t for t in spec["tools"]}
    tool_names = {i: t["name"] for i, t in tools.items()}

    def agent_name(agent_id: Any) -> str:
        return names.get(agent_id, str(agent_id)) if isinstance(agent_id, int) else str(agent_id)

    used_tools = {i for a in spec["agents"] for i in a.get("tool_ids", ())}
    used_tools |= {t["tool_id"] for t in spec["transitions"] if t.get("tool_id") is not None}
    return ConversationDocument(
        name=spec["name"],
        description=spec.get("description"),
        initial_agent=names.get(spec["initial_agent_id"]),
        config=_optional(spec.get("config")),
        tools=[
            ToolDocument(
                name=t["name"],
                function_name=t["function_name"],
                description=t.get("description"),
                parameters_schema=_optional(t.get("parameters_schema")),
            )
            for t in sorted((tools[i] for i in used_tools if i in tools), key=lambda t: t["name"])
        ],
        agents=[
            AgentDocument(
                name=a["name"],
                agent_type=a.get("agent_type", "general"),
                description=a.get("description"),
                instructions=a.get("instructions", ""),
                llm_provider=a.get("llm_provider", "offline"),
                llm_model=a.get("llm_model"),
                stt_provider=a.get("stt_provider", "none"),
                stt_model=a.get("stt_model"),
                tts_provider=a.get("tts_provider", "none"),
                tts_model=a.get("tts_model"),
                config=_optional(a.get("config")),
                tools=sorted(tool_names[i] for i in a.get("tool_ids", ()) if i in tool_names),
            )
            for a in sorted(spec["agents"], key=lambda a: a["id"])
        ],
        transitions=[
            TransitionDocument(
                source=agent_name(t["source_agent_id"]),
                target=agent_name(t["target_agent_id"]),
                condition_type=t["condition_type"],
                condition_data=_condition_data(t.get("condition_data"), tool_names),
                priority=t.get("priority", 0),
                description=t.get("description"),
                tool=tool_names.get(t["tool_id"]) if t.get("tool_id") is not None else None,
                rules=rules_by_name(t["rules"], agent_name) if t.get("rules") is not None else None,
            )
            for t in sorted(spec["transitions"], key=lambda t: t["id"])
        ],
    )
