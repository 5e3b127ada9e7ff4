"""Transitions of a conversation and their rule sets: list, read, create, change, delete.

Conditions are checked by the model's own hook when the row is flushed, and rule sets by the business-rules
adapter: the checks of the Python API, answered as 422 with the field at fault, nothing stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB, IfMatch, RowId, set_etag
from rataura2.api.errors import FieldError
from rataura2.api.schemas.definitions import (
    Deleted,
    RulesIn,
    RulesOut,
    TransitionCreate,
    TransitionOut,
    TransitionUpdate,
)
from rataura2.api.views import editing, get_conversation, get_transition, member_ids, transition_out
from rataura2.core.conditions.base import get_condition_kind
from rataura2.db.models import ConditionType, Conversation, Tool, Transition
from rataura2.document.export import conversation_transitions
from rataura2.errors import InvalidConditionError, UnknownTransitionError
from rataura2.rules.repository import assign_business_rules, remove_business_rules

router = APIRouter(prefix="/api/v1/conversations/{conversation_id}/transitions", tags=["transitions"])
BUSINESS_RULES = ConditionType.BUSINESS_RULES.value


def _check_ends(conversation: Conversation, changes: dict[str, Any]) -> None:
    members = member_ids(conversation)
    for field in ("source_agent_id", "target_agent_id"):
        if field in changes and changes[field] not in members:
            raise FieldError(("body", field), f"agent {changes[field]} is not in conversation {conversation.id}")


def _check_tool(db: Session, tool_id: int | None) -> None:
    if tool_id is not None and db.get(Tool, tool_id) is None:
        raise FieldError(("body", "tool_id"), f"no tool {tool_id}")


def _check_condition_fields(condition_type: str | None, data: Any) -> None:
    """Each field of ``condition_data`` its condition type's model refuses, as a 422 item naming that field
    (``["body", "condition_data", "pattern"]``), so a form shows each message on its field. What only the whole
    graph can tell (a tool no agent has) is left to the model's own hook, on ``condition_data``."""
    if condition_type is None or not isinstance(data, dict):
        return
    try:
        model = get_condition_kind(condition_type).data_model
    except InvalidConditionError:
        return  # an unknown type: the hook names it
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "condition_data", *e["loc"]),
                    "msg": e["msg"].removeprefix("Value error, "),
                    "type": e["type"],
                }
                for e in exc.errors()
            ]
        ) from None


def _apply(db: Session, row: Transition, changes: dict[str, Any], rules: list[Any] | None) -> None:
    """Set the fields, then the rules: each checked by the Python API's own code."""
    _check_condition_fields(
        changes.get("condition_type", row.condition_type), changes.get("condition_data", row.condition_data)
    )
    for field, value in changes.items():
        setattr(row, field, value)
    is_rules = row.condition_type == BUSINESS_RULES
    if is_rules and rules is None and row.business_rules is None:
        raise FieldError(("body", "rules"), "a business_rules transition needs rules")
    if not is_rules and rules is not None:
        raise FieldError(("body", "rules"), f"only business_rules transitions have rules, not {row.condition_type}")
    if not is_rules and row.business_rules is not None:
        row.business_rules = None
    db.add(row)
    db.flush()
    if rules is not None:
        assign_business_rules(db, row, rules)
        db.flush()


@router.get("", response_model=list[TransitionOut])
def list_transitions(conversation_id: RowId, db: DB, response: Response, _: Viewer) -> list[TransitionOut]:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    rows = conversation_transitions(db, sorted(member_ids(conversation)))
    return [transition_out(r, conversation.revision) for r in rows]


@router.get("/{transition_id}", response_model=TransitionOut)
def read_transition(conversation_id: RowId, transition_id: int, db: DB, response: Response, _: Viewer) -> TransitionOut:
    conversation = get_conversation(db, conversation_id)
    set_etag(response, conversation.revision)
    return transition_out(get_transition(db, conversation, transition_id), conversation.revision)


@router.post("", response_model=TransitionOut, status_code=status.HTTP_201_CREATED)
def create_transition(
    conversation_id: RowId, body: TransitionCreate, db: DB, expected: IfMatch, response: Response, _: Editor
) -> TransitionOut:
    with editing(db, conversation_id, expected) as conversation:
        changes = body.model_dump(exclude={"rules"})
        _check_ends(conversation, changes)
        _check_tool(db, body.tool_id)
        row = Transition(source_agent_id=body.source_agent_id, target_agent_id=body.target_agent_id)
        _apply(db, row, changes, body.rules)
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return transition_out(row, conversation.revision)


@router.patch("/{transition_id}", response_model=TransitionOut)
def update_transition(
    conversation_id: RowId,
    transition_id: RowId,
    body: TransitionUpdate,
    db: DB,
    expected: IfMatch,
    response: Response,
    _: Editor,
) -> TransitionOut:
    with editing(db, conversation_id, expected) as conversation:
        row = get_transition(db, conversation, transition_id)
        changes = body.model_dump(exclude_unset=True, exclude={"rules"})
        for field in ("source_agent_id", "target_agent_id", "condition_type", "priority"):
            if field in changes and changes[field] is None:
                raise FieldError(("body", field), f"{field} cannot be null")
        _check_ends(conversation, changes)
        _check_tool(db, changes.get("tool_id"))
        _apply(db, row, changes, body.rules)
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return transition_out(row, conversation.revision)


@router.delete("/{transition_id}", response_model=Deleted)
def delete_transition(
    conversation_id: RowId, transition_id: int, db: DB, expected: IfMatch, response: Response, _: Editor
) -> Deleted:
    with editing(db, conversation_id, expected) as conversation:
        db.delete(get_transition(db, conversation, transition_id))
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return Deleted(revision=conversation.revision)


@router.get("/{transition_id}/rules", response_model=RulesOut)
def read_rules(conversation_id: RowId, transition_id: int, db: DB, response: Response, _: Viewer) -> RulesOut:
    conversation = get_conversation(db, conversation_id)
    row = get_transition(db, conversation, transition_id)
    if row.business_rules is None:
        raise UnknownTransitionError(f"transition {transition_id} has no business rules")
    set_etag(response, conversation.revision)
    return RulesOut(transition_id=row.id, rules=list(row.business_rules.rules), revision=conversation.revision)


@router.put("/{transition_id}/rules", response_model=RulesOut)
def save_rules(
    conversation_id: RowId, transition_id: int, body: RulesIn, db: DB, expected: IfMatch, response: Response, _: Editor
) -> RulesOut:
    with editing(db, conversation_id, expected) as conversation:
        row = get_transition(db, conversation, transition_id)
        stored = assign_business_rules(db, row, body.rules)
        db.flush()
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return RulesOut(transition_id=row.id, rules=list(stored.rules), revision=conversation.revision)


@router.delete("/{transition_id}/rules", response_model=Deleted)
def delete_rules(
    conversation_id: RowId, transition_id: int, db: DB, expected: IfMatch, response: Response, _: Editor
) -> Deleted:
    with editing(db, conversation_id, expected) as conversation:
        get_transition(db, conversation, transition_id)
        if not remove_business_rules(db, transition_id):
            raise UnknownTransitionError(f"transition {transition_id} has no business rules")
    db.refresh(conversation)
    set_etag(response, conversation.revision)
    return Deleted(revision=conversation.revision)
