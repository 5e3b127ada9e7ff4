"""Business-rules transitions in the database, and the brief's controller that evaluates them on demand.

This is the I/O side of :mod:`rataura2.core.conditions.business_rules`: rule sets are validated here when saved (against
every conversation whose graph holds the transition), so nothing that would not compile is ever stored. Sessions
never come here: their compiled graph already holds the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from rataura2.core.conditions import ConditionInput
from rataura2.core.conditions.rules_validation import validate_rules
from rataura2.core.conditions.rules_vocabulary import (
    ConversationVariables,
    RuleScope,
    TransitionActions,
    context_from_dict,
)
from rataura2.db.loader import load_graph
from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Transition
from rataura2.errors import (
    InvalidRulesError,
    RuleProblem,
    UnknownAgentError,
    UnknownConversationError,
    UnknownTransitionError,
)
from rataura2.vocabulary.enums import ConditionType

BUSINESS_RULES = ConditionType.BUSINESS_RULES.value


def _transition(db: Session, transition_id: int) -> Transition:
    row = db.get(Transition, transition_id)
    if row is None:
        raise UnknownTransitionError(f"no transition {transition_id}")
    return row


def _members(conversation: Conversation) -> dict[int, str]:
    members = {a.id: a.name for a in conversation.agents}
    if conversation.initial_agent is not None:
        members.setdefault(conversation.initial_agent.id, conversation.initial_agent.name)
    return members


def _conversations_with(db: Session, agent_id: int) -> list[Conversation]:
    """The conversations that have the agent among theirs (or as their initial agent), by id."""
    query = (
        select(Conversation)
        .where(or_(Conversation.agents.any(Agent.id == agent_id), Conversation.initial_agent_id == agent_id))
        .options(selectinload(Conversation.agents), selectinload(Conversation.initial_agent))
        .order_by(Conversation.id)
    )
    return list(db.scalars(query))


def _graphs_holding(db: Session, transition: Transition) -> list[Conversation]:
    """The conversations whose graph holds the transition: both its agents are theirs."""
    return [c for c in _conversations_with(db, transition.source_agent_id) if transition.target_agent_id in _members(c)]


def _validated(db: Session, transition: Transition, rules: Any) -> list[dict[str, Any]]:
    """The rules, valid in every conversation holding the transition (or, in none yet, naming existing agents)."""
    target = transition.target_agent_id
    scopes = [RuleScope(_members(c), target, c.name) for c in _graphs_holding(db, transition)]
    if not scopes:
        scopes = [RuleScope({row.id: row.name for row in db.execute(select(Agent.id, Agent.name))}, target)]
    problems: list[RuleProblem] = []
    plain: list[dict[str, Any]] = []
    for scope in scopes:
        try:
            plain = validate_rules(rules, scope)
        except InvalidRulesError as exc:
            problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise InvalidRulesError(problems)
    return plain


def _assign(db: Session, transition: Transition, plain: list[dict[str, Any]]) -> BusinessRulesTransition:
    row = transition.business_rules
    if row is None:
        row = BusinessRulesTransition(transition=transition, rules=plain)
        db.add(row)
    else:
        row.rules = plain
    transition.condition_type = BUSINESS_RULES
    transition.condition_data = {}  # the old type's data means nothing to business_rules
    return row


def assign_business_rules(db: Session, transition: Transition, rules: Any) -> BusinessRulesTransition:
    """Validate ``rules`` and make them the transition's (a ``business_rules`` transition from now on), without
    committing: for callers that change more in the same transaction. Invalid rules raise
    :class:`InvalidRulesError` before anything changes."""
    return _assign(db, transition, _validated(db, transition, rules))


def _save(db: Session, transition: Transition, rules: Any) -> BusinessRulesTransition:
    plain = _validated(db, transition, rules)  # raises before anything changes
    try:
        row = _assign(db, transition, plain)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return row


def create_business_rules_transition(db: Session, transition_id: int, rules: Any) -> BusinessRulesTransition:
    """Make the transition a ``business_rules`` transition decided by ``rules`` (replacing rules it had), and
    commit. Invalid rules raise :class:`InvalidRulesError` listing every problem, and nothing is stored."""
    return _save(db, _transition(db, transition_id), rules)


def get_business_rules_transition(db: Session, transition_id: int) -> BusinessRulesTransition | None:
    """The rule set of a transition, if it has one."""
    query = select(BusinessRulesTransition).where(BusinessRulesTransition.transition_id == transition_id)
    return db.scalars(query).first()


def update_business_rules_transition(db: Session, transition_id: int, rules: Any) -> BusinessRulesTransition:
    """Replace the rules of a transition that has some; validated like :func:`create_business_rules_transition`."""
    transition = _transition(db, transition_id)
    if transition.business_rules is None:
        raise UnknownTransitionError(
            f"transition {transition_id} has no business rules to update; create_business_rules_transition adds them"
        )
    return _save(db, transition, rules)


def remove_business_rules(db: Session, transition_id: int) -> bool:
    """Delete a transition's rules without committing; False if it had none. A ``business_rules`` transition
    cannot work without rules, so it is deleted with them; a transition since switched to another condition type
    stays."""
    row = get_business_rules_transition(db, transition_id)
    if row is None:
        return False
    transition = row.transition
    source, target = transition.source_agent, transition.target_agent
    if transition.condition_type == BUSINESS_RULES:
        db.delete(transition)  # its rules go with it (cascade)
        db.flush()
        # loaded collections keep deleted rows until expired (sessions here do not expire on commit)
        db.expire(source, ["outgoing_transitions"])
        db.expire(target, ["incoming_transitions"])
    else:
        transition.business_rules = None  # an orphan: deleted
    return True


def delete_business_rules_transition(db: Session, transition_id: int) -> bool:
    """Delete a transition's rules and commit; False if it had none (see :func:`remove_business_rules`)."""
    try:
        removed = remove_business_rules(db, transition_id)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return removed


class RulesDecision(TypedDict):
    next_agent_id: int
    context_updates: dict[str, Any]
    transition_id: int
    reason: str


class TransitionController:
    """The brief's API: which ``business_rules`` transition of an agent holds for a context dict.

    It reads and compiles the conversation's graph on each call, so it always sees the stored rules; sessions do
    not use it (their graph is compiled once), it is for tools, tests and callers outside a session.
    """

    def __init__(self, db: Session) -> None:
        self.db = db

    def check_transitions(self, agent_id: int, context: Mapping[str, Any]) -> RulesDecision | None:
        """The first (by priority, then id) of the agent's ``business_rules`` transitions whose rules fire, as
        ``{"next_agent_id", "context_updates", "transition_id", "reason"}``; None if none does. ``context`` is a
        context dict (``get_context()``'s, or a hand-made one); its ``conversation_id`` picks the conversation,
        else the first that has the agent."""
        conversation = context.get("conversation_id") or self._conversation_of(agent_id)
        graph = load_graph(self.db, conversation)
        agent = graph.get_agent(agent_id)
        given = ConditionInput(
            None, context_from_dict({**context, "current_agent_id": agent.id, "current_agent_name": agent.name})
        )
        for transition in graph.get_agent_transitions(agent.id):
            if transition.spec.condition_type != BUSINESS_RULES:
                continue
            verdict = transition.condition.evaluate(given)
            if verdict is not None:
                return RulesDecision(
                    next_agent_id=transition.target_agent_id,
                    context_updates=dict(verdict.context_updates),
                    transition_id=transition.id,
                    reason=verdict.reason,
                )
        return None

    def _conversation_of(self, agent_id: int) -> int:
        if self.db.get(Agent, agent_id) is None:
            raise UnknownAgentError(f"no agent {agent_id}")
        conversations = _conversations_with(self.db, agent_id)
        if not conversations:
            raise UnknownConversationError(f"agent {agent_id} is in no conversation")
        return conversations[0].id


__all__ = [
    "ConversationVariables",
    "RulesDecision",
    "TransitionActions",
    "TransitionController",
    "assign_business_rules",
    "create_business_rules_transition",
    "delete_business_rules_transition",
    "get_business_rules_transition",
    "remove_business_rules",
    "update_business_rules_transition",
]
