"""Checking a business-rules rule set before it is stored or compiled.

Every problem is reported, each naming its rule, the part at fault and what is wrong ("rule 2, condition 1: unknown
operator 'foo' for string variable user_input"), so nothing the library would only trip over at run time (or, worse,
silently accept) gets past: names are looked up in the whitelist of :mod:`rules_vocabulary`, never on the classes.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from business_rules.fields import FIELD_NO_INPUT, FIELD_NUMERIC, FIELD_SELECT, FIELD_SELECT_MULTIPLE, FIELD_TEXT

from rataura2.core.conditions.rules_vocabulary import ACTIONS, OPERATORS, VARIABLES, RuleScope, is_number
from rataura2.errors import InvalidRulesError, RuleProblem

LEAF_KEYS = frozenset({"name", "operator", "value"})
RULE_KEYS = frozenset({"conditions", "actions"})
ACTION_KEYS = frozenset({"name", "params"})


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def check_value(input_type: str, value: Any, options: tuple[str, ...], operator: str) -> str | None:
    """The problem with a comparison value for an operator taking ``input_type``, or None."""
    if input_type == FIELD_NO_INPUT:
        return None
    if input_type == FIELD_TEXT:
        if not isinstance(value, str):
            return f"needs a string value, got {_kind(value)}"
        if operator == "matches_regex":
            try:
                re.compile(value)
            except re.error as exc:
                return f"value {value!r} is not a valid regex: {exc}"
        return None
    if input_type == FIELD_NUMERIC:
        return None if is_number(value) else f"needs a finite number value (not a bool), got {_kind(value)}"
    allowed = {_fold(o) for o in options}
    if input_type == FIELD_SELECT:
        if not (isinstance(value, str | bool) or is_number(value)):
            return f"needs one option as value, got {_kind(value)}"
        if allowed and _fold(value) not in allowed:
            return f"value {value!r} is not one of the options: {', '.join(options)}"
        return None
    if input_type == FIELD_SELECT_MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(v, str | bool) or is_number(v) for v in value):
            return f"needs a list of options as value, got {_kind(value)}"
        unknown = [v for v in value if allowed and _fold(v) not in allowed]
        return f"values {unknown!r} are not among the options: {', '.join(options)}" if unknown else None
    return f"has an input type {input_type!r} that no check knows"  # pragma: no cover (a vocabulary bug)


class _Checker:
    def __init__(self, scope: RuleScope) -> None:
        self.scope = scope
        self.problems: list[RuleProblem] = []

    def problem(self, rule: int | None, part: str, message: str) -> None:
        self.problems.append(RuleProblem(rule, part, message))

    def rules(self, rules: Any) -> None:
        if not isinstance(rules, list):
            self.problem(None, "", f"must be a list of rules, got {type(rules).__name__}")
            return
        if not rules:
            self.problem(None, "", "a rule set needs at least one rule")
        targets: set[int] = set()
        for number, rule in enumerate(rules, start=1):
            targets |= self.rule(number, rule)
        target = self.scope.target_agent_id
        if rules and not self.problems and target is not None and target not in targets:
            name = (self.scope.agents or {}).get(target, "")
            self.problem(
                None,
                "",
                f"no rule moves the session to agent {target} {f'({name}) ' if name else ''}with transition_to_agent,"
                " and only that fires this transition",
            )

    def rule(self, number: int, rule: Any) -> set[int]:
        """Check one rule; the agents it moves the session to."""
        if not isinstance(rule, Mapping):
            self.problem(number, "", f"must be an object with conditions and actions, got {_kind(rule)}")
            return set()
        for key in sorted(RULE_KEYS - set(rule)):
            self.problem(number, "", f"has no {key!r}")
        for key in sorted(set(rule) - RULE_KEYS, key=str):
            self.problem(number, "", f"unknown key {key!r}; a rule has only conditions and actions")
        if "conditions" in rule:
            self.node(number, "", rule["conditions"])
        return self.actions(number, rule["actions"]) if "actions" in rule else set()

    def node(self, number: int, path: str, node: Any) -> None:
        part = f"condition {path}" if path else "conditions"
        if not isinstance(node, Mapping):
            self.problem(number, part, f"must be an object (all, any, or name/operator/value), got {_kind(node)}")
            return
        groups = [k for k in ("all", "any") if k in node]
        if groups:
            if len(node) != 1:
                self.problem(number, part, f"{groups[0]!r} must be the only key, got {sorted(map(str, node))}")
                return
            children = node[groups[0]]
            if not isinstance(children, list) or not children:
                self.problem(number, part, f"{groups[0]!r} must be a non-empty list of conditions")
                return
            for index, child in enumerate(children, start=1):
                self.node(number, f"{path}.{index}" if path else str(index), child)
            return
        self.leaf(number, f"condition {path}" if path else "condition", node)

    def leaf(self, number: int, part: str, leaf: Mapping[str, Any]) -> None:
        missing = sorted({"name", "operator"} - set(leaf))
        extra = sorted(set(leaf) - LEAF_KEYS, key=str)
        if missing or extra:
            what = "; ".join(
                [f"missing {', '.join(map(repr, missing))}"] * bool(missing)
                + [f"unknown key(s) {', '.join(map(repr, extra))}"] * bool(extra)
            )
            self.problem(number, part, f"{what} (a condition is all, any, or name/operator/value)")
            return
        name, operator = leaf["name"], leaf["operator"]
        variable = VARIABLES.get(name) if isinstance(name, str) else None
        if variable is None:
            self.problem(number, part, f"unknown variable {name!r}; variables: {', '.join(VARIABLES)}")
            return
        operators = OPERATORS[variable.type_name]
        found = operators.get(operator) if isinstance(operator, str) else None
        if found is None:
            self.problem(
                number,
                part,
                f"unknown operator {operator!r} for {variable.type_name} variable {name}; "
                f"operators: {', '.join(operators)}",
            )
            return
        if "value" not in leaf and found.input_type != FIELD_NO_INPUT:
            self.problem(number, part, f"{name} {operator} needs a value")
            return
        trouble = check_value(found.input_type, leaf.get("value"), variable.options, operator)
        if trouble:
            self.problem(number, part, f"{name} {operator} {trouble}")

    def actions(self, number: int, actions: Any) -> set[int]:
        if not isinstance(actions, list) or not actions:
            self.problem(number, "actions", f"must be a non-empty list of actions, got {_kind(actions)}")
            return set()
        targets: list[int] = []
        for index, action in enumerate(actions, start=1):
            target = self.action(number, f"action {index}", action)
            if target is not None:
                targets.append(target)
        if len(targets) > 1:
            self.problem(number, "actions", "more than one transition_to_agent; a rule moves to one agent")
        return set(targets)

    def action(self, number: int, part: str, action: Any) -> int | None:
        """Check one action; the agent it moves to, if it is a valid transition_to_agent."""
        if not isinstance(action, Mapping) or "name" not in action:
            self.problem(number, part, f"must be an object with a name (and params), got {_kind(action)}")
            return None
        for key in sorted(set(action) - ACTION_KEYS, key=str):
            self.problem(number, part, f"unknown key {key!r}; an action has only name and params")
        name = action["name"]
        info = ACTIONS.get(name) if isinstance(name, str) else None
        if info is None:
            self.problem(number, part, f"unknown action {name!r}; actions: {', '.join(ACTIONS)}")
            return None
        params = action.get("params") or {}
        if not isinstance(params, Mapping):
            self.problem(number, part, f"{name} params must be an object, got {_kind(params)}")
            return None
        ok = True
        for key in params:
            if key not in info.params:
                ok = False
                self.problem(number, part, f"{name} has no parameter {key!r}; parameters: {', '.join(info.params)}")
        for param in info.params.values():
            if param.name not in params:
                ok = False
                self.problem(number, part, f"{name} needs parameter {param.name!r}")
                continue
            trouble = param.check(params[param.name], self.scope)
            if trouble:
                ok = False
                self.problem(number, part, f"{name} {param.name} {trouble}")
        return params["agent_id"] if ok and name == "transition_to_agent" else None


def _normalised(node: Any) -> Any:
    """A plain copy, with ``value: null`` where an operator takes no value (the library still reads the key)."""
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        return {key: [_normalised(child) for child in node[key]]}
    name, operator = node["name"], node["operator"]
    takes_value = OPERATORS[VARIABLES[name].type_name][operator].input_type != FIELD_NO_INPUT
    return {"name": name, "operator": operator, "value": copy.deepcopy(node["value"]) if takes_value else None}


def validate_rules(rules: Any, scope: RuleScope | None = None) -> list[dict[str, Any]]:
    """The rule set, checked and normalised into plain JSON data; :class:`InvalidRulesError` listing every
    problem otherwise. With a ``scope``, agents are checked against the conversation and the transition's target."""
    checker = _Checker(scope or RuleScope())
    checker.rules(rules)
    if checker.problems:
        raise InvalidRulesError(checker.problems)
    normalised = [
        {
            "conditions": _normalised(rule["conditions"]),
            "actions": [{"name": a["name"], "params": dict(a.get("params") or {})} for a in rule["actions"]],
        }
        for rule in rules
    ]
    plain: list[dict[str, Any]] = json.loads(json.dumps(normalised, allow_nan=False))
    return plain
