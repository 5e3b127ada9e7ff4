"""What a rule editor needs: the vocabulary of business rules as data, and rules to and from JSON.

:func:`generate_ui_config` is derived from the same whitelist that validation uses (the decorated variables and
actions, the field types' operators), in the library's ``export_rule_data`` shape plus descriptions, so an editor
offers exactly what will be accepted when the rules are saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from rataura2.core.conditions.rules_validation import validate_rules
from rataura2.core.conditions.rules_vocabulary import ACTIONS, OPERATORS, VARIABLES, RuleScope
from rataura2.db.models import BusinessRulesTransition
from rataura2.errors import InvalidRulesError, RuleProblem


class AgentLike(Protocol):
    """An Agent row or an AgentSpec."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


def _agent_names(agents: Iterable[AgentLike] | Mapping[int, str]) -> dict[int, str]:
    if isinstance(agents, Mapping):
        return dict(agents)
    return {a.id: a.name for a in agents}


def generate_ui_config(agents: Iterable[AgentLike] | Mapping[int, str] | None = None) -> dict[str, Any]:
    """Variables (name, label, field type, options, description), actions with their parameters, and the
    operators of each field type. Given the conversation's agents (rows, specs or ``{id: name}``), the
    ``agent_id`` parameter lists them as options."""
    names = None if agents is None else _agent_names(agents)
    actions = []
    for action in ACTIONS.values():
        params = []
        for param in action.params.values():
            entry: dict[str, Any] = {"name": param.name, "label": param.label, "fieldType": param.field_type}
            if param.name == "agent_id" and names is not None:
                entry["options"] = [{"name": i, "label": n} for i, n in sorted(names.items())]
            params.append(entry)
        actions.append(
            {"name": action.name, "label": action.label, "description": action.description, "params": params}
        )
    return {
        "variables": [
            {
                "name": v.name,
                "label": v.label,
                "field_type": v.type_name,
                "options": list(v.options),
                "description": v.description,
            }
            for v in VARIABLES.values()
        ],
        "actions": actions,
        "variable_type_operators": {
            type_name: [{"name": o.name, "label": o.label, "input_type": o.input_type} for o in operators.values()]
            for type_name, operators in OPERATORS.items()
        },
    }


def rules_to_json(rules: BusinessRulesTransition | Sequence[Mapping[str, Any]], *, indent: int | None = 2) -> str:
    """A rule set (or a transition's stored one) as JSON text for an editor."""
    data = rules.rules if isinstance(rules, BusinessRulesTransition) else list(rules)
    return json.dumps(data, indent=indent)


def json_to_rules(
    text: str | bytes,
    agents: Iterable[AgentLike] | Mapping[int, str] | None = None,
    *,
    target_agent_id: int | None = None,
    conversation: str | None = None,
) -> list[dict[str, Any]]:
    """Rules from an editor's JSON text, validated and normalised; :class:`InvalidRulesError` listing every
    problem otherwise. Given the conversation's ``agents`` (rows, specs or ``{id: name}``; and its name for the
    messages), the agents rules move to must be among them; given the transition's target, some rule must move
    there."""
    try:
        rules = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRulesError([RuleProblem(None, "", f"not valid JSON: {exc}")]) from None
    scope = RuleScope(None if agents is None else _agent_names(agents), target_agent_id, conversation)
    return validate_rules(rules, scope)
