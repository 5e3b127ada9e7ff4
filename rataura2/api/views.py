"""Rows as the API shows them, and finding rows of a conversation (404 when they are not there)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from rataura2.api.schemas.definitions import AgentOut, ConversationOut, ToolOut, TransitionOut
from rataura2.db.models import Agent, Conversation, ConversationVersion, Tool, Transition, conversation_agents
from rataura2.document.model import Position
from rataura2.editing.layout import positions
from rataura2.editing.revision import bump_revision, check_revision
from rataura2.errors import UnknownAgentError, UnknownConversationError, UnknownTransitionError


def get_conversation(db: Session, conversation_id: int) -> Conversation:
    conversation = db.scalars(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .options(selectinload(Conversation.agents).selectinload(Agent.tools))
    ).first()
    if conversation is None:
        raise UnknownConversationError(f"no conversation {conversation_id}")
    return conversation


def member_ids(conversation: Conversation) -> set[int]:
    ids = {a.id for a in conversation.agents}
    if conversation.initial_agent_id is not None:
        ids.add(conversation.initial_agent_id)
    return ids


def get_agent(conversation: Conversation, agent_id: int) -> Agent:
    agent = next((a for a in conversation.agents if a.id == agent_id), None)
    if agent is None:
        raise UnknownAgentError(f"no agent {agent_id} in conversation {conversation.id}")
    return agent


def get_transition(db: Session, conversation: Conversation, transition_id: int) -> Transition:
    row = db.get(Transition, transition_id)
    members = member_ids(conversation)
    if row is None or row.source_agent_id not in members or row.target_agent_id not in members:
        raise UnknownTransitionError(f"no transition {transition_id} in conversation {conversation.id}")
    return row


@contextmanager
def editing(db: Session, conversation_id: int, expected: int | None) -> Iterator[Conversation]:
    """An edit of a conversation: refused at once if ``expected`` is stale; on success its revision moves on
    (refused then if another edit got there first) and everything is committed together."""
    conversation = get_conversation(db, conversation_id)
    check_revision(db, conversation_id, expected)
    yield conversation
    bump_revision(db, conversation_id, expected)
    db.commit()


def _latest_versions(db: Session, ids: list[int]) -> dict[int, int]:
    v = ConversationVersion
    rows = db.execute(
        select(v.conversation_id, func.max(v.version)).where(v.conversation_id.in_(ids)).group_by(v.conversation_id)
    )
    return {c: n for c, n in rows}


def _transition_counts(db: Session, ids: list[int]) -> dict[int, int]:
    source, target = aliased(conversation_agents), aliased(conversation_agents)
    rows = db.execute(
        select(source.c.conversation_id, func.count(func.distinct(Transition.id)))
        .join(source, source.c.agent_id == Transition.source_agent_id)
        .join(
            target,
            (target.c.agent_id == Transition.target_agent_id) & (target.c.conversation_id == source.c.conversation_id),
        )
        .where(source.c.conversation_id.in_(ids))
        .group_by(source.c.conversation_id)
    )
    return {c: n for c, n in rows}


def conversations_out(db: Session, conversations: list[Conversation]) -> list[ConversationOut]:
    ids = [c.id for c in conversations]
    versions, counts = _latest_versions(db, ids), _transition_counts(db, ids)
    return [
        ConversationOut(
            id=c.id,
            name=c.name,
            description=c.description,
            initial_agent_id=c.initial_agent_id,
            config=c.config,
            is_active=c.is_active,
            revision=c.revision,
            version=versions.get(c.id, 0),
            agent_count=len(member_ids(c)),
            transition_count=counts.get(c.id, 0),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in conversations
    ]


def conversation_out(db: Session, conversation: Conversation, *, published: bool | None = None) -> ConversationOut:
    db.refresh(conversation)
    out = conversations_out(db, [conversation])[0]
    return out.model_copy(update={"published": published})


def agent_out(
    db: Session,
    conversation: Conversation,
    agent: Agent,
    revision: int,
    layout: dict[int, tuple[float, float]] | None = None,
) -> AgentOut:
    """``layout``: the conversation's positions, read once for a list (else read here)."""
    placed = (positions(db, conversation.id) if layout is None else layout).get(agent.id)
    return AgentOut(
        id=agent.id,
        name=agent.name,
        description=agent.description,
        instructions=agent.instructions or "",
        agent_type=agent.agent_type,
        llm_provider=agent.llm_provider,
        llm_model=agent.llm_model,
        stt_provider=agent.stt_provider,
        stt_model=agent.stt_model,
        tts_provider=agent.tts_provider,
        tts_model=agent.tts_model,
        config=agent.config,
        is_active=agent.is_active,
        tool_ids=sorted(t.id for t in agent.tools),
        position=Position(x=placed[0], y=placed[1]) if placed else None,
        is_initial=conversation.initial_agent_id == agent.id,
        revision=revision,
    )


def transition_out(row: Transition, revision: int) -> TransitionOut:
    return TransitionOut(
        id=row.id,
        source_agent_id=row.source_agent_id,
        target_agent_id=row.target_agent_id,
        condition_type=row.condition_type,
        condition_data=row.condition_data,
        priority=row.priority,
        description=row.description,
        tool_id=row.tool_id,
        rules=list(row.business_rules.rules) if row.business_rules is not None else None,
        revision=revision,
    )


def tool_out(tool: Tool) -> ToolOut:
    return ToolOut(
        id=tool.id,
        name=tool.name,
        function_name=tool.function_name,
        description=tool.description,
        parameters_schema=tool.parameters_schema,
        is_active=tool.is_active,
    )
