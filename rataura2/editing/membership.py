"""Taking an agent out of a conversation, which agents may share.

An agent that no other conversation has is deleted with its transitions. One that another conversation still has
stays, and only the transitions that belonged to this conversation's graph alone go with its membership.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rataura2.db.models import Agent, Conversation, Transition, conversation_agents


def _conversations_of(db: Session, agent_id: int) -> set[int]:
    c = conversation_agents.c
    members = set(db.scalars(select(c.conversation_id).where(c.agent_id == agent_id)))
    members |= set(db.scalars(select(Conversation.id).where(Conversation.initial_agent_id == agent_id)))
    return members


def remove_agent(db: Session, conversation: Conversation, agent: Agent) -> bool:
    """Take ``agent`` out of ``conversation`` (not committed); True if it was deleted for good."""
    db.flush()
    others = _conversations_of(db, agent.id) - {conversation.id}
    touching = list(
        db.scalars(
            select(Transition).where(
                or_(Transition.source_agent_id == agent.id, Transition.target_agent_id == agent.id)
            )
        )
    )
    if conversation.initial_agent_id == agent.id:
        conversation.initial_agent = None
    if agent in conversation.agents:
        conversation.agents.remove(agent)
    if not others:
        for transition in touching:
            db.delete(transition)
        db.flush()
        db.delete(agent)
        return True
    for transition in touching:
        other = transition.target_agent_id if transition.source_agent_id == agent.id else transition.source_agent_id
        if not (_conversations_of(db, other) & others):
            db.delete(transition)  # it was in this conversation's graph only
    return False


def conversations_holding(db: Session, source_agent_id: int, target_agent_id: int) -> list[int]:
    """The conversations whose graph holds a transition between these agents (both are theirs)."""
    ends = {source_agent_id, target_agent_id}
    found = [c for c in _conversations_of(db, source_agent_id) if ends <= _agents_of(db, c)]
    return sorted(found)


def _agents_of(db: Session, conversation_id: int) -> set[int]:
    c = conversation_agents.c
    agents = set(db.scalars(select(c.agent_id).where(c.conversation_id == conversation_id)))
    initial = db.scalar(select(Conversation.initial_agent_id).where(Conversation.id == conversation_id))
    return agents | ({initial} if initial is not None else set())
