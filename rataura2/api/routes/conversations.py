"""Conversations: list, read, create, change, delete; and their layout (where agents sit on the canvas)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB, IfMatch, RowId, set_etag
from rataura2.api.errors import FieldError
from rataura2.api.schemas.definitions import (
    ConversationCreate,
    ConversationOut,
    ConversationUpdate,
    Deleted,
    LayoutIn,
    LayoutOut,
)
from rataura2.api.state import api_state
from rataura2.api.views import conversation_out, conversations_out, editing, get_conversation, member_ids
from rataura2.db.loader import load_graph_spec
from rataura2.db.models import Conversation
from rataura2.document.apply import find_by_name
from rataura2.document.model import Position
from rataura2.editing.layout import positions, set_positions
from rataura2.editing.membership import remove_agent
from rataura2.editing.revision import check_revision
from rataura2.errors import InvalidGraphError, NameTakenError
from rataura2.persistence.versions import latest_version, spec_digest, spec_to_dict

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("", response_model=list[ConversationOut])
def list_conversations(db: DB, _: Viewer) -> list[ConversationOut]:
    rows = list(db.scalars(select(Conversation).options(selectinload(Conversation.agents)).order_by(Conversation.id)))
    return conversations_out(db, rows)


def _check_name(db: DB, name: str, conversation_id: int | None = None) -> None:
    other = find_by_name(db, name)
    if other is not None and other.id != conversation_id:
        raise NameTakenError(f"a conversation is already named {name!r}")


@router.post("", response_model=ConversationOut, status_code=status.HTTP_201_CREATED)
def create_conversation(body: ConversationCreate, db: DB, response: Response, _: Editor) -> ConversationOut:
    _check_name(db, body.name)
    conversation = Conversation(**body.model_dump(), agents=[])
    db.add(conversation)
    db.commit()
    set_etag(response, conversation.revision)
    return conversation_out(db, conversation)


def _published(db: DB, conversation: Conversation) -> bool:
    """Whether the latest version is the definition: yes at once when nobody edited it since it was published
    (its revision marker), else by comparing digests (an edit may have been undone)."""
    if conversation.published_revision is not None and conversation.published_revision == conversation.revision:
        return True
    latest = latest_version(db, conversation.id)
    if latest is None:
        return False
    try:
        spec = load_graph_spec(db, conversation.id)
    except InvalidGraphError:
        return False
    return spec_digest(spec_to_dict(spec)) == latest.digest


@router.get("/{conversation_id}", response_model=ConversationOut)
def read_conversation(conversation_id: RowId, db: DB, response: Response, _: Viewer) -> ConversationOut:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    return conversation_out(db, conversation, published=_published(db, conversation))


@router.patch("/{conversation_id}", response_model=ConversationOut)
def update_conversation(
    conversation_id: RowId, body: ConversationUpdate, db: DB, expected: IfMatch, response: Response, _: Editor
) -> ConversationOut:
    with editing(db, conversation_id, expected) as conversation:
        changes = body.model_dump(exclude_unset=True)
        if changes.get("name") is not None:
            _check_name(db, changes["name"], conversation_id)
        if "initial_agent_id" in changes:
            initial = changes["initial_agent_id"]
            if initial is not None and initial not in member_ids(conversation):
                raise FieldError(
                    ("body", "initial_agent_id"), f"agent {initial} is not in conversation {conversation_id}"
                )
        for field, value in changes.items():
            if field == "name" and value is None:
                raise FieldError(("body", "name"), "a conversation needs a name")
            setattr(conversation, field, value)
    set_etag(response, conversation.revision)
    return conversation_out(db, conversation)


@router.delete("/{conversation_id}", response_model=Deleted)
def delete_conversation(conversation_id: RowId, db: DB, expected: IfMatch, request: Request, _: Editor) -> Deleted:
    conversation = get_conversation(db, conversation_id)
    check_revision(db, conversation_id, expected)
    for agent in list(conversation.agents):
        remove_agent(db, conversation, agent)
    db.delete(conversation)
    db.commit()
    manager = api_state(request).manager
    for live in manager.list_sessions():
        if live["conversation_id"] == conversation_id:
            manager.release_session(live["session_id"])
    return Deleted()


@router.get("/{conversation_id}/layout", response_model=LayoutOut)
def read_layout(conversation_id: RowId, db: DB, response: Response, _: Viewer) -> LayoutOut:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    placed = positions(db, conversation_id)
    return LayoutOut(positions={a: Position(x=x, y=y) for a, (x, y) in placed.items()}, revision=conversation.revision)


@router.put("/{conversation_id}/layout", response_model=LayoutOut)
def save_layout(
    conversation_id: RowId, body: LayoutIn, db: DB, expected: IfMatch, response: Response, _: Editor
) -> LayoutOut:
    with editing(db, conversation_id, expected) as conversation:
        points = {a: (p.x, p.y) if p is not None else None for a, p in body.positions.items()}
        unknown = set_positions(db, conversation_id, points)
        if unknown:
            raise FieldError(
                ("body", "positions", unknown[0]), f"agent {unknown[0]} is not in conversation {conversation_id}"
            )
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    placed = positions(db, conversation_id)
    return LayoutOut(positions={a: Position(x=x, y=y) for a, (x, y) in placed.items()}, revision=conversation.revision)
