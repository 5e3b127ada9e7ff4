"""Optimistic concurrency: every edit of a conversation moves its revision on by one, and an edit based on an
older revision is refused.

The check is a conditional ``UPDATE ... WHERE revision = expected``, made in the edit's own transaction: of two
editors that read the same revision, the database lets exactly one of them through, whatever the timing.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rataura2.db.models import Conversation
from rataura2.errors import StaleRevisionError, UnknownConversationError


def current_revision(db: Session, conversation_id: int) -> int:
    revision = db.scalar(select(Conversation.revision).where(Conversation.id == conversation_id))
    if revision is None:
        raise UnknownConversationError(f"no conversation {conversation_id}")
    return revision


def check_revision(db: Session, conversation_id: int, expected: int | None) -> int:
    """The conversation's revision; :class:`StaleRevisionError` at once if it is not ``expected`` (None: any)."""
    current = current_revision(db, conversation_id)
    if expected is not None and current != expected:
        raise StaleRevisionError(conversation_id, current, expected)
    return current


def bump_revision(db: Session, conversation_id: int, expected: int | None = None) -> int:
    """Move the revision on by one, in ``db``'s transaction, and return the new one. With ``expected``, only if
    the revision still is that: :class:`StaleRevisionError` if another edit got there first."""
    db.flush()
    statement = update(Conversation).where(Conversation.id == conversation_id)
    if expected is not None:
        statement = statement.where(Conversation.revision == expected)
    new = db.scalar(
        statement.values(revision=Conversation.revision + 1)
        .returning(Conversation.revision)
        .execution_options(synchronize_session=False)
    )
    if new is None:
        current = current_revision(db, conversation_id)
        raise StaleRevisionError(conversation_id, current, expected if expected is not None else current)
    conversation = db.get(Conversation, conversation_id)
    if conversation is not None:
        db.expire(conversation, ["revision", "updated_at"])
    return new
