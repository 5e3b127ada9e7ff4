"""The save-time checks of :mod:`rataura2.core.validation`, wired to the ORM.

Each transition is checked on its own as it is flushed (``rataura2.db.models.transition``). What needs the whole
graph (an edge to an agent outside the conversation, a tool no agent has, a rule set missing, two tools of one
conversation with the same name) is checked at commit: a graph is built in several flushes (an id is needed before
rules can name it), so only then is it complete. Every conversation the transaction touched is checked as it will
be stored; the first problem is raised from ``commit()``, naming the transition (or tool) and the fix, and nothing
is committed (roll back, or fix and commit again).

Importing ``rataura2.db`` registers the listeners, for every SQLAlchemy session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from rataura2.core.validation import check_graph
from rataura2.db.loader import read_graph
from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Tool, Transition, agent_tools
from rataura2.db.models.base import conversation_agents

_KEY = "rataura2.touched_definitions"


@dataclass
class Touched:
    """What a transaction changed that a graph check must look at, by id."""

    conversations: set[int] = field(default_factory=set)
    agents: set[int] = field(default_factory=set)
    transitions: set[int] = field(default_factory=set)
    tools: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.conversations or self.agents or self.transitions or self.tools)


_RELEVANT: dict[type[Any], tuple[str, ...]] = {
    Conversation: ("agents", "initial_agent_id", "initial_agent", "tools"),
    Agent: ("tools", "conversations", "on_enter", "on_exit", "name"),
    Tool: ("name",),
}
"""Per model, the attributes whose change can make a graph invalid (others, like a conversation's version
number, cannot); transitions and rule sets count whatever changed."""


def _changed(obj: Any, attributes: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def touched(session: Session) -> Touched:
    """What the session's transaction has changed so far (flushed) that bears on graphs."""
    found: Touched = session.info.setdefault(_KEY, Touched())
    return found


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: UOWTransaction) -> None:
    found = touched(session)
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Transition):
            found.transitions.add(obj.id)
        elif isinstance(obj, BusinessRulesTransition):
            found.transitions.add(obj.transition_id)
        elif type(obj) in _RELEVANT and (obj in session.new or _changed(obj, _RELEVANT[type(obj)])):
            {Conversation: found.conversations, Agent: found.agents, Tool: found.tools}[type(obj)].add(obj.id)


@event.listens_for(Session, "before_commit")
def _check_before_commit(session: Session) -> None:
    session.flush()  # the last changes, collected by _collect
    check_touched(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_KEY, None)


def affected_conversations(db: Session, found: Touched) -> list[int]:
    """The conversations whose graphs hold what ``found`` names: those edited, and those with an edited agent, an
    agent that has an edited tool, or the source agent of an edited transition."""
    agents = set(found.agents)
    if found.transitions:
        agents |= set(db.scalars(select(Transition.source_agent_id).where(Transition.id.in_(found.transitions))))
    if found.tools:
        agents |= set(db.scalars(select(agent_tools.c.agent_id).where(agent_tools.c.tool_id.in_(found.tools))))
    conversations = set(found.conversations)
    if agents:
        conversations |= set(
            db.scalars(select(conversation_agents.c.conversation_id).where(conversation_agents.c.agent_id.in_(agents)))
        )
        conversations |= set(db.scalars(select(Conversation.id).where(Conversation.initial_agent_id.in_(agents))))
    return sorted(conversations)


def check_conversation(db: Session, conversation_id: int) -> None:
    """Check one conversation's graph as the session sees it now (``check_graph``)."""
    spec, strays = read_graph(db, conversation_id, need_initial_agent=False)
    check_graph(spec, strays=strays)


def check_touched(db: Session) -> None:
    """Check every conversation the session's transaction touched; what ``commit()`` runs (an API can call it
    before committing, after a flush). Raises the first problem; the session's changes stay for the caller to roll
    back or fix."""
    found = db.info.get(_KEY)
    if not found:
        return
    for conversation_id in affected_conversations(db, found):
        check_conversation(db, conversation_id)


__all__ = [
    "Touched",
    "affected_conversations",
    "check_conversation",
    "check_touched",
    "touched",
]
