"""The original project's business-rules routes, kept with their shapes for existing clients (under ``/api``).

They read and write the same rows as the rest of the API, with the same validation, and move the revision of every
conversation holding the transition, so a studio open on it sees the change.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rataura2.api.auth import Editor, Viewer
from rataura2.api.deps import DB
from rataura2.api.errors import FieldError
from rataura2.db.models import Agent, BusinessRulesTransition, Transition
from rataura2.editing.membership import conversations_holding
from rataura2.editing.revision import bump_revision
from rataura2.errors import UnknownAgentError, UnknownTransitionError
from rataura2.rules.editor import generate_ui_config, rules_to_json
from rataura2.rules.repository import (
    assign_business_rules,
    get_business_rules_transition,
    remove_business_rules,
)

router = APIRouter(prefix="/api/business-rules", tags=["business-rules (original)"])
NOT_FOUND = "Rules not found"


class RulesBody(BaseModel):
    """Either the rules as JSON text (the original's ``rules_json``) or as data."""

    rules_json: str | None = None
    rules_definition: list[Any] | None = None


class RulesAnswer(BaseModel):
    id: int
    transition_id: int
    rules_definition: list[Any]
    rules_json: str


class BusinessRulesOut(BaseModel):
    id: int
    rules_definition: list[Any]
    rules_json: str


class AgentTransitionOut(BaseModel):
    id: int
    source_agent_id: int
    target_agent_id: int
    target_agent_name: str
    condition_type: str
    priority: int
    description: str | None
    tool_id: int | None
    has_business_rules: bool
    business_rules: BusinessRulesOut | None = None


class Success(BaseModel):
    success: bool


def _answer(row: BusinessRulesTransition) -> RulesAnswer:
    return RulesAnswer(
        id=row.id, transition_id=row.transition_id, rules_definition=list(row.rules), rules_json=rules_to_json(row)
    )


def _touch(db: Session, transition: Transition) -> None:
    for conversation_id in conversations_holding(db, transition.source_agent_id, transition.target_agent_id):
        bump_revision(db, conversation_id)


@router.get("/ui-config")
def ui_config(_: Viewer) -> dict[str, Any]:
    """What a rule editor offers: variables, operators per field type, actions (``generate_ui_config()``)."""
    return generate_ui_config()


@router.get("/transitions/{agent_id}", response_model=list[AgentTransitionOut])
def agent_transitions(agent_id: int, db: DB, _: Viewer) -> list[AgentTransitionOut]:
    """The agent's outgoing transitions, with their rules where they have some."""
    if db.get(Agent, agent_id) is None:
        raise UnknownAgentError(f"no agent {agent_id}")
    rows = db.scalars(
        select(Transition)
        .where(Transition.source_agent_id == agent_id)
        .options(selectinload(Transition.business_rules), selectinload(Transition.target_agent))
        .order_by(Transition.id)
    )
    out = []
    for t in rows:
        rules = t.business_rules
        out.append(
            AgentTransitionOut(
                id=t.id,
                source_agent_id=t.source_agent_id,
                target_agent_id=t.target_agent_id,
                target_agent_name=t.target_agent.name,
                condition_type=t.condition_type,
                priority=t.priority,
                description=t.description,
                tool_id=t.tool_id,
                has_business_rules=rules is not None,
                business_rules=None
                if rules is None
                else BusinessRulesOut(id=rules.id, rules_definition=list(rules.rules), rules_json=rules_to_json(rules)),
            )
        )
    return out


@router.get("/transition/{transition_id}/rules", response_model=RulesAnswer)
def read_rules(transition_id: int, db: DB, _: Viewer) -> RulesAnswer:
    row = get_business_rules_transition(db, transition_id)
    if row is None:
        raise UnknownTransitionError(NOT_FOUND)
    return _answer(row)


def _save(db: Session, transition_id: int, body: RulesBody | None, rules_json: str | None) -> RulesAnswer:
    transition = db.get(Transition, transition_id)
    if transition is None:
        raise UnknownTransitionError(f"no transition {transition_id}")
    text = body.rules_json if body is not None and body.rules_json is not None else rules_json
    if body is not None and body.rules_definition is not None:
        rules: Any = body.rules_definition
    elif text is not None:
        try:
            rules = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FieldError(("body", "rules_json"), f"not valid JSON: {exc}") from None
    else:
        raise FieldError(("body",), "send the rules as rules_json (JSON text) or rules_definition")
    row = assign_business_rules(db, transition, rules)
    _touch(db, transition)
    db.commit()
    return _answer(row)


@router.put("/transition/{transition_id}/rules", response_model=RulesAnswer)
def save_rules(
    transition_id: int,
    db: DB,
    _: Editor,
    body: RulesBody | None = None,
    rules_json: Annotated[str | None, Query(description="The original's way: the rules as JSON text.")] = None,
) -> RulesAnswer:
    """Create or replace a transition's rules (it becomes a business_rules transition)."""
    return _save(db, transition_id, body, rules_json)


@router.post("/transition/{transition_id}/rules", response_model=RulesAnswer)
def save_rules_post(
    transition_id: int,
    db: DB,
    _: Editor,
    body: RulesBody | None = None,
    rules_json: Annotated[str | None, Query(description="The original's way: the rules as JSON text.")] = None,
) -> RulesAnswer:
    """As PUT: the original project's clients POST."""
    return _save(db, transition_id, body, rules_json)


@router.delete("/transition/{transition_id}/rules", response_model=Success)
def delete_rules(transition_id: int, db: DB, _: Editor) -> Success:
    row = get_business_rules_transition(db, transition_id)
    if row is None:
        raise UnknownTransitionError(NOT_FOUND)
    transition = row.transition
    source, target = transition.source_agent_id, transition.target_agent_id
    for conversation_id in conversations_holding(db, source, target):
        bump_revision(db, conversation_id)
    remove_business_rules(db, transition_id)
    db.commit()
    return Success(success=True)
