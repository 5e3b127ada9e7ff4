"""Linting conversations as they are in the database (the draft that designers edit)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.db.loader import load_graph_spec
from rataura2.db.models import Conversation
from rataura2.lint import LintReport, lint_graph


def lint_conversation(db: Session, conversation: int | str) -> LintReport:
    """The lint report of a conversation's current definition (by id or name)."""
    return lint_graph(load_graph_spec(db, conversation, require_initial=False))


def lint_all(db: Session) -> list[LintReport]:
    """The lint report of every conversation, by id."""
    return [lint_conversation(db, conv_id) for conv_id in db.scalars(select(Conversation.id).order_by(Conversation.id))]
