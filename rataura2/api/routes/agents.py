"""Agents of a conversation: list, read, create, change, take out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB, IfMatch, RowId, set_etag
from rataura2.api.errors import FieldError
from rataura2.api.schemas.definitions import AgentCreate, AgentOut, AgentUpdate, Deleted
from rataura2.api.views import agent_out, editing, get_agent, get_conversation
from rataura2.db.models import Agent, Conversation, Tool
from rataura2.editing.layout import positions, set_positions
from rataura2.editing.membership import remove_agent
from rataura2.errors import NameTakenError

router = APIRouter(prefix="/api/v1/conversations/{conversation_id}/agents", tags=["agents"])
PLAIN_FIELDS = (
    "description",
    "instructions",
    "agent_type",
    "llm_provider",
    "llm_model",
    "stt_provider",
    "stt_model",
    "tts_provider",
    "tts_model",
    "config",
    "is_active",
)


def _tools(db: Session, ids: list[int]) -> list[Tool]:
    found = {t.id: t for t in db.scalars(select(Tool).where(Tool.id.in_(ids)))} if ids else {}
    for index, tool_id in enumerate(ids):
        if tool_id not in found:
            raise FieldError(("body", "tool_ids", index), f"no tool {tool_id}")
    return [found[i] for i in dict.fromkeys(ids)]


def _check_name(conversation: Conversation, name: str, agent_id: int | None = None) -> None:
    if any(a.name == name and a.id != agent_id for a in conversation.agents):
        raise NameTakenError(f"conversation {conversation.id} already has an agent named {name!r}")


@router.get("", response_model=list[AgentOut])
def list_agents(conversation_id: RowId, db: DB, response: Response, _: Viewer) -> list[AgentOut]:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    agents = sorted(conversation.agents, key=lambda a: a.id)
    layout = positions(db, conversation.id)  # one query for the list, not one per agent
    return [agent_out(db, conversation, a, conversation.revision, layout) for a in agents]


@router.get("/{agent_id}", response_model=AgentOut)
def read_agent(conversation_id: RowId, agent_id: int, db: DB, response: Response, _: Viewer) -> AgentOut:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    return agent_out(db, conversation, get_agent(conversation, agent_id), conversation.revision)


@router.post("", response_model=AgentOut, status_code=status.HTTP_201_CREATED)
def create_agent(
    conversation_id: RowId, body: AgentCreate, db: DB, expected: IfMatch, response: Response, _: Editor
) -> AgentOut:
    with editing(db, conversation_id, expected) as conversation:
        _check_name(conversation, body.name)
        fields: dict[str, Any] = {f: getattr(body, f) for f in PLAIN_FIELDS}
        agent = Agent(name=body.name, tools=_tools(db, body.tool_ids), **fields)
        conversation.agents.append(agent)
        if body.make_initial or conversation.initial_agent_id is None:
            conversation.initial_agent = agent
        db.flush()
        if body.position is not None:
            set_positions(db, conversation_id, {agent.id: (body.position.x, body.position.y)})
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return agent_out(db, conversation, agent, conversation.revision)


@router.patch("/{agent_id}", response_model=AgentOut)
def update_agent(
    conversation_id: RowId, agent_id: int, body: AgentUpdate, db: DB, expected: IfMatch, response: Response, _: Editor
) -> AgentOut:
    with editing(db, conversation_id, expected) as conversation:
        agent = get_agent(conversation, agent_id)
        changes = body.model_dump(exclude_unset=True)
        if "name" in changes:
            if changes["name"] is None:
                raise FieldError(("body", "name"), "an agent needs a name")
            _check_name(conversation, changes["name"], agent_id)
            agent.name = changes["name"]
        for field in PLAIN_FIELDS:
            if field in changes:
                value = changes[field]
                if value is None and field in (
                    "instructions",
                    "agent_type",
                    "llm_provider",
                    "stt_provider",
                    "tts_provider",
                    "is_active",
                ):
                    raise FieldError(("body", field), f"{field} cannot be null")
                setattr(agent, field, value)
        if "tool_ids" in changes:
            agent.tools = _tools(db, changes["tool_ids"] or [])
        if "position" in changes:
            p = body.position
            set_positions(db, conversation_id, {agent_id: (p.x, p.y) if p is not None else None})
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return agent_out(db, conversation, agent, conversation.revision)


@router.delete("/{agent_id}", response_model=Deleted)
def delete_agent(
    conversation_id: RowId, agent_id: int, db: DB, expected: IfMatch, response: Response, _: Editor
) -> Deleted:
    with editing(db, conversation_id, expected) as conversation:
        remove_agent(db, conversation, get_agent(conversation, agent_id))
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return Deleted(revision=conversation.revision)
