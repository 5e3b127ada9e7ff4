"""Transition conditions: one registry from condition type to implementation (see ``base``)."""

from rataura2.core.conditions import builtin as _builtin  # noqa: F401  (registers the built-in types)
from rataura2.core.conditions import business_rules as _business_rules  # noqa: F401  (registers business_rules)
from rataura2.core.conditions.base import (
    Condition,
    ConditionData,
    ConditionInput,
    ConditionKind,
    Verdict,
    build_condition,
    condition_types,
    get_condition_kind,
    register_condition,
    validate_condition_data,
)

__all__ = [
    "Condition",
    "ConditionData",
    "ConditionInput",
    "ConditionKind",
    "Verdict",
    "build_condition",
    "condition_types",
    "get_condition_kind",
    "register_condition",
    "validate_condition_data",
]
