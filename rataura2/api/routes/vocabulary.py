"""The rule editor's vocabulary, for one conversation (its agents are the options of transition_to_agent)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rataura2.api.auth import Viewer
from rataura2.api.deps import DB
from rataura2.api.views import get_conversation
from rataura2.rules.editor import generate_ui_config

router = APIRouter(prefix="/api/v1/rules", tags=["transitions"])


@router.get("/vocabulary")
def vocabulary(db: DB, _: Viewer, conversation_id: int | None = None) -> dict[str, Any]:
    """``generate_ui_config()``: variables, operators by field type and actions; with a conversation, its agents
    as the options of ``transition_to_agent``."""
    if conversation_id is None:
        return generate_ui_config()
    conversation = get_conversation(db, conversation_id)
    return generate_ui_config(sorted(conversation.agents, key=lambda a: a.id))
