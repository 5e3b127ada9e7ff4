"""Every committed edit of a conversation's definition moves the conversation's ``revision`` on by one.

Starting a session must know whether the latest published version is still the definition, without reading the
definition (which grows with the graph). These session hooks keep that answer in one column: while a transaction
flushes agents, tools, transitions, rule sets or the conversation row itself, they note which conversations the
changes belong to (an agent belongs to every conversation that has it), and just before the transaction commits
they move each one's revision on, once per transaction. A session start then compares ``revision`` with
``published_revision`` in one indexed query (``rataura2.persistence.graphs``).

The hooks listen on every :class:`~sqlalchemy.orm.Session`, so edits made with plain ORM sessions count too. Edits
made with bulk statements or raw SQL bypass them: call :func:`note_edited` in that transaction, or publish
explicitly afterwards (``rataura2 graph publish NAME``). Code that moves a revision itself in the transaction (the
HTTP API's optimistic-concurrency check) calls :func:`note_revised` so the hooks do not move it a second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction, attributes
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE

from rataura2.db.models.agent import Agent, Tool
from rataura2.db.models.base import agent_tools, conversation_agents
from rataura2.db.models.conversation import Conversation
from rataura2.db.models.transition import BusinessRulesTransition, Transition

_EDITED = "rataura2.edited_conversations"
_REVISED = "rataura2.revised_conversations"
_CREATED = "rataura2.created_conversations"
"""Conversations inserted by the transaction: they start at revision 1 whatever else it adds to them."""

BOOKKEEPING = frozenset({"version", "revision", "published_revision", "created_at", "updated_at"})
"""Conversation columns that are not part of its definition: changing them is not an edit."""


def note_edited(session: Session, conversation_ids: Iterable[int]) -> None:
    """Count these conversations as edited by the session's transaction (for changes the hooks cannot see)."""
    session.info.setdefault(_EDITED, set()).update(conversation_ids)


def note_revised(session: Session, conversation_id: int) -> None:
    """The transaction moved this conversation's revision on itself: the hooks leave it alone."""
    session.info.setdefault(_REVISED, set()).add(conversation_id)


def _history_values(obj: Any, key: str) -> set[Any]:
    """The attribute's current value and, if it was changed in this flush, its previous one."""
    history = attributes.get_history(obj, key, passive=PASSIVE_NO_INITIALIZE)
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _conversation_edited(conversation: Conversation) -> bool:
    state = attributes.instance_state(conversation)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in BOOKKEEPING)


def _conversations_of(conn: Connection, objects: Iterable[Any]) -> set[int]:
    """The conversations whose definition the given (new, changed or deleted) rows are part of."""
    conversations: set[int] = set()
    agents: set[int] = set()
    tools: set[int] = set()
    transitions: set[int] = set()
    for obj in objects:
        if isinstance(obj, Conversation):
            if obj.id is not None and _conversation_edited(obj):
                conversations.add(obj.id)
        elif isinstance(obj, Agent):
            if obj.id is not None:
                agents.add(obj.id)
        elif isinstance(obj, Transition):
            agents |= _history_values(obj, "source_agent_id") | _history_values(obj, "target_agent_id")
        elif isinstance(obj, Tool):
            if obj.id is not None:
                tools.add(obj.id)
        elif isinstance(obj, BusinessRulesTransition):
            transitions |= _history_values(obj, "transition_id")
    if transitions:
        for source, target in conn.execute(
            select(Transition.source_agent_id, Transition.target_agent_id).where(Transition.id.in_(transitions))
        ):
            agents.update((source, target))
    if tools:
        agents.update(conn.scalars(select(agent_tools.c.agent_id).where(agent_tools.c.tool_id.in_(tools))))
    if agents:
        conversations.update(
            conn.scalars(
                select(conversation_agents.c.conversation_id).where(conversation_agents.c.agent_id.in_(agents))
            )
        )
        conversations.update(conn.scalars(select(Conversation.id).where(Conversation.initial_agent_id.in_(agents))))
    return conversations


def _modified(session: Session) -> list[Any]:
    """Dirty rows with a net change (setting a value to what it was is no edit)."""
    return [o for o in session.dirty if session.is_modified(o)]


def _relevant(objects: Iterable[Any]) -> list[Any]:
    return [o for o in objects if isinstance(o, Conversation | Agent | Tool | Transition | BusinessRulesTransition)]


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    # rows about to change or go: their links (which agent is in which conversation) are still in the database
    changing = _relevant([*_modified(session), *session.deleted])
    if changing:
        note_edited(session, _conversations_of(session.connection(), changing))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    # new rows have their ids and links now; changed ones may have moved (a transition to another agent)
    created = {o.id for o in session.new if isinstance(o, Conversation)}
    if created:
        session.info.setdefault(_CREATED, set()).update(created)
    changed = _relevant([*session.new, *_modified(session)])
    if changed:
        note_edited(session, _conversations_of(session.connection(), changed))


@event.listens_for(Session, "before_commit")
def _move_revisions(session: Session) -> None:
    session.flush()  # the hooks above see what the commit would flush
    edited = session.info.pop(_EDITED, set()) - session.info.get(_REVISED, set()) - session.info.get(_CREATED, set())
    if not edited:
        return
    session.connection().execute(
        update(Conversation)
        .where(Conversation.id.in_(sorted(edited)))
        .values(revision=Conversation.revision + 1)
        .execution_options(synchronize_session=False)
    )
    for obj in session.identity_map.values():
        if isinstance(obj, Conversation) and obj.id in edited:
            session.expire(obj, ["revision"])


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction committed or rolled back (not a savepoint)
        for key in (_EDITED, _REVISED, _CREATED):
            session.info.pop(key, None)


__all__ = ["BOOKKEEPING", "note_edited", "note_revised"]
