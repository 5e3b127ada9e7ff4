"""The original project's functions for business-rules transitions, with its return shapes, over
:mod:`rataura2.rules` (nothing inside rataura2 imports this module; see docs/migrating.md).

Rules are validated as everywhere else: :class:`~rataura2.errors.InvalidRulesError` (a ``ValueError``, as the
original raised) lists every problem, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rataura2.db.models import Agent, BusinessRulesTransition, Transition
from rataura2.errors import UnknownAgentError
from rataura2.rules.editor import generate_ui_config, json_to_rules, rules_to_json
from rataura2.rules.repository import (
    RulesDecision,
    TransitionController,
    create_business_rules_transition,
    delete_business_rules_transition,
    get_business_rules_transition,
)


class TransitionRules(TypedDict):
    """A transition's rules: as data (``rules_definition``) and as the editor's JSON text (``rules_json``)."""

    id: int
    transition_id: int
    rules_definition: list[Any]
    rules_json: str


class StoredRules(TypedDict):
    id: int
    rules_definition: list[Any]
    rules_json: str


class _AgentTransition(TypedDict):
    id: int
    source_agent_id: int
    target_agent_id: int
    target_agent_name: str
    condition_type: str
    priority: int
    description: str | None
    tool_id: int | None
    has_business_rules: bool


class AgentTransition(_AgentTransition, total=False):
    """One outgoing transition of an agent; ``business_rules`` only when it has rules."""

    business_rules: StoredRules


def _rules(row: BusinessRulesTransition) -> TransitionRules:
    return TransitionRules(
        id=row.id, transition_id=row.transition_id, rules_definition=row.rules, rules_json=rules_to_json(row)
    )


def get_transition_rules(db: Session, transition_id: int) -> TransitionRules | None:
    """The transition's rules, or None if it has none."""
    row = get_business_rules_transition(db, transition_id)
    return None if row is None else _rules(row)


def create_or_update_transition_rules(
    db: Session, transition_id: int, rules_json: str | bytes | Sequence[Mapping[str, Any]]
) -> TransitionRules:
    """Give the transition these rules (JSON text, as the original took, or the rules as data), replacing any it
    had; it becomes a ``business_rules`` transition. Committed."""
    rules = json_to_rules(rules_json) if isinstance(rules_json, str | bytes) else rules_json
    return _rules(create_business_rules_transition(db, transition_id, rules))


def delete_transition_rules(db: Session, transition_id: int) -> bool:
    """Delete the transition's rules (and the transition, if it is a ``business_rules`` one: it cannot work
    without them); False if it had none. Committed."""
    return delete_business_rules_transition(db, transition_id)


def get_ui_config() -> dict[str, Any]:
    """What a rule editor offers: variables, operators per field type, actions with their parameters."""
    return generate_ui_config()


def check_transition(db: Session, agent_id: int, context: Mapping[str, Any]) -> RulesDecision:
    """The first of the agent's ``business_rules`` transitions that holds for ``context``, as
    ``{"next_agent_id", "context_updates", ...}``; ``{}`` if none does."""
    return TransitionController(db).check_transitions(agent_id, context)


def get_agent_transitions_with_rules(db: Session, agent_id: int) -> list[AgentTransition]:
    """The agent's outgoing transitions (by id), each with its rules when it has some. An unknown agent is an
    :class:`~rataura2.errors.UnknownAgentError` (the original answered ``[]``, which hid a wrong id)."""
    if db.get(Agent, agent_id) is None:
        raise UnknownAgentError(f"no agent {agent_id}")
    rows = db.scalars(
        select(Transition)
        .where(Transition.source_agent_id == agent_id)
        .options(selectinload(Transition.business_rules), selectinload(Transition.target_agent))
        .order_by(Transition.id)
    )
    answer = []
    for row in rows:
        entry = AgentTransition(
            id=row.id,
            source_agent_id=row.source_agent_id,
            target_agent_id=row.target_agent_id,
            target_agent_name=row.target_agent.name,
            condition_type=row.condition_type,
            priority=row.priority,
            description=row.description,
            tool_id=row.tool_id,
            has_business_rules=row.business_rules is not None,
        )
        if row.business_rules is not None:
            stored = _rules(row.business_rules)
            entry["business_rules"] = StoredRules(
                id=stored["id"], rules_definition=stored["rules_definition"], rules_json=stored["rules_json"]
            )
        answer.append(entry)
    return answer


__all__ = [
    "AgentTransition",
    "StoredRules",
    "TransitionRules",
    "check_transition",
    "create_or_update_transition_rules",
    "delete_transition_rules",
    "get_agent_transitions_with_rules",
    "get_transition_rules",
    "get_ui_config",
]
