"""The brief's path for business-rules transitions: a re-export of :mod:`rataura2.rules.repository`."""

from rataura2.rules.repository import (
    ConversationVariables,
    RulesDecision,
    TransitionActions,
    TransitionController,
    create_business_rules_transition,
    delete_business_rules_transition,
    get_business_rules_transition,
    update_business_rules_transition,
)

__all__ = [
    "ConversationVariables",
    "RulesDecision",
    "TransitionActions",
    "TransitionController",
    "create_business_rules_transition",
    "delete_business_rules_transition",
    "get_business_rules_transition",
    "update_business_rules_transition",
]
