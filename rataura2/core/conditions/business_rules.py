"""The ``business_rules`` condition type: designers' rules, validated and compiled once per graph.

A transition of this type keeps its rule set (the ``business-rules`` JSON format) in BusinessRulesTransition; the
loader puts it in ``TransitionSpec.rules``. Building the condition validates the rules against the conversation
and compiles them into a tree of checks that call the library's own operator functions, with each comparison value
cast once and each variable read at most once per evaluation: two to three times cheaper than the library's
``run_all`` (which re-reads variables and re-casts values for every condition), and it means exactly the same.

The condition holds when a rule that moves the session to this transition's target fires. Rules naming another
agent do not fire this edge. When it fires, the ``set_context_value`` updates of every rule that fired (except those
moving elsewhere) travel with the hand-over, in rule order, and the reason names the rules and the values they saw.

What rules may say lives in :mod:`rules_vocabulary` (variables, operators, actions) and how they are checked in
:mod:`rules_validation`; this module re-exports the names callers need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

from business_rules.fields import FIELD_NO_INPUT

from rataura2.core.conditions.base import ConditionData, ConditionInput, ConditionKind, Verdict, register_condition
from rataura2.core.conditions.rules_validation import validate_rules
from rataura2.core.conditions.rules_vocabulary import (
    ACTIONS,
    OPERATORS,
    VARIABLES,
    ConversationVariables,
    PlannedAction,
    RuleScope,
    TransitionActions,
    context_from_dict,
)
from rataura2.core.spec import GraphSpec, TransitionSpec
from rataura2.errors import InvalidConditionError
from rataura2.vocabulary.enums import ConditionType

Cache = dict[str, Any]
"""Each variable's value, wrapped in its field type, for one evaluation."""


class Node(Protocol):
    def holds(self, variables: ConversationVariables, cache: Cache) -> bool: ...

    def held(self, variables: ConversationVariables, cache: Cache) -> list[Leaf]:
        """The conditions that made this node hold (call only when it does)."""
        ...


class Leaf:
    """``variable operator value``: the library's operator function on the variable's typed value."""

    __slots__ = ("args", "field_type", "operator", "read", "test", "value", "variable")

    def __init__(self, variable: str, operator: str, value: Any) -> None:
        info = VARIABLES[variable]
        op = OPERATORS[info.type_name][operator]
        self.variable, self.operator, self.value = variable, operator, value
        self.field_type = info.field_type
        self.read: Callable[[ConversationVariables], Any] = info.read
        self.test = op.test
        if op.input_type == FIELD_NO_INPUT:
            self.args: tuple[Any, ...] = ()
        else:
            self.args = (info.field_type(value).value if op.casts_value else value,)

    def holds(self, variables: ConversationVariables, cache: Cache) -> bool:
        typed = cache.get(self.variable)
        if typed is None:
            typed = cache[self.variable] = self.field_type(self.read(variables))
        return bool(self.test(typed, *self.args))

    def held(self, variables: ConversationVariables, cache: Cache) -> list[Leaf]:
        return [self]

    def __str__(self) -> str:
        return f"{self.variable} {self.operator}" + (f" {self.value!r}" if self.args else "")


class AllOf:
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.children = tuple(children)

    def holds(self, variables: ConversationVariables, cache: Cache) -> bool:
        for child in self.children:  # noqa: SIM110  (a plain loop: ~1us less per evaluation than all(...))
            if not child.holds(variables, cache):
                return False
        return True

    def held(self, variables: ConversationVariables, cache: Cache) -> list[Leaf]:
        return [leaf for child in self.children for leaf in child.held(variables, cache)]


class AnyOf:
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.children = tuple(children)

    def holds(self, variables: ConversationVariables, cache: Cache) -> bool:
        for child in self.children:  # noqa: SIM110
            if child.holds(variables, cache):
                return True
        return False

    def held(self, variables: ConversationVariables, cache: Cache) -> list[Leaf]:
        first = next(child for child in self.children if child.holds(variables, cache))
        return first.held(variables, cache)


def compile_node(node: Mapping[str, Any]) -> Node:
    """The check tree of a validated condition."""
    if "all" in node:
        return AllOf([compile_node(child) for child in node["all"]])
    if "any" in node:
        return AnyOf([compile_node(child) for child in node["any"]])
    return Leaf(node["name"], node["operator"], node["value"])


@dataclass(frozen=True, slots=True)
class CompiledRule:
    number: int
    """1-based, as designers count."""
    condition: Node
    moves_to: int | None
    context_updates: tuple[tuple[str, Any], ...]
    log_messages: tuple[str, ...]


def compile_rules(rules: Any, scope: RuleScope | None = None) -> tuple[CompiledRule, ...]:
    """Validate (raising :class:`~rataura2.errors.InvalidRulesError`) and compile a rule set. Each rule's actions
    are run once, here, on a recording :class:`TransitionActions`: they take constant parameters, so what a rule
    does when it fires is known before it ever fires."""
    compiled = []
    for number, rule in enumerate(validate_rules(rules, scope), start=1):
        plan = TransitionActions()
        for action in rule["actions"]:
            getattr(plan, action["name"])(**action["params"])  # the name is whitelisted by validate_rules
        compiled.append(
            CompiledRule(
                number,
                compile_node(rule["conditions"]),
                plan.next_agent_id,
                tuple(plan.context_updates.items()),
                tuple(plan.log_messages),
            )
        )
    return tuple(compiled)


_VALUED = frozenset({"string", "numeric"})


def _shown(value: Any) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    text = repr(value)
    return text if len(text) <= 70 else f"{text[:66]}...{text[-1]}"


@dataclass(frozen=True, slots=True)
class BusinessRulesCondition:
    """A compiled rule set deciding one transition (see the module's docstring)."""

    movers: tuple[CompiledRule, ...]
    """Rules that move the session to this transition's target: one of them must fire."""
    riders: tuple[CompiledRule, ...]
    """Rules that move nowhere: their context updates and notes join a firing."""
    graph: GraphSpec | None

    @classmethod
    def from_rules(
        cls, rules: Any, target_agent_id: int, scope: RuleScope, graph: GraphSpec | None
    ) -> BusinessRulesCondition:
        compiled = compile_rules(rules, scope)
        return cls(
            tuple(r for r in compiled if r.moves_to == target_agent_id),
            tuple(r for r in compiled if r.moves_to is None),
            graph,
        )

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        variables = ConversationVariables(given.context, given.event, self.graph)
        cache: Cache = {}
        fired = [rule for rule in self.movers if rule.condition.holds(variables, cache)]
        if not fired:
            return None
        fired += [rule for rule in self.riders if rule.condition.holds(variables, cache)]
        fired.sort(key=lambda rule: rule.number)
        updates: dict[str, Any] = {}
        reasons = []
        for rule in fired:
            updates.update(rule.context_updates)
            reasons.append(self._reason(rule, variables, cache))
        return Verdict("; ".join(reasons), MappingProxyType(updates))

    @staticmethod
    def _reason(rule: CompiledRule, variables: ConversationVariables, cache: Cache) -> str:
        leaves = rule.condition.held(variables, cache)
        text = f"rule {rule.number}: {' and '.join(map(str, leaves))}"
        # the values a condition does not already tell (a select's or a boolean's does)
        shown = dict.fromkeys(leaf.variable for leaf in leaves if VARIABLES[leaf.variable].type_name in _VALUED)
        if shown:
            text += " (" + ", ".join(f"{name}={_shown(cache[name].value)}" for name in shown) + ")"
        if rule.context_updates:
            text += ", sets " + ", ".join(f"{key}={value!r}" for key, value in rule.context_updates)
        for message in rule.log_messages:
            text += f", log: {message}"
        return text


def scope_of(graph: GraphSpec, target_agent_id: int | None) -> RuleScope:
    return RuleScope({a.id: a.name for a in graph.agents.values()}, target_agent_id, graph.name)


class BusinessRulesData(ConditionData):
    """No keys: a business_rules transition keeps its rules in BusinessRulesTransition, not in condition_data."""


def _build(data: BusinessRulesData, spec: TransitionSpec, graph: GraphSpec) -> BusinessRulesCondition:
    if not spec.rules:
        raise InvalidConditionError(
            spec.label, "a business_rules transition needs a rule set (BusinessRulesTransition) and has none"
        )
    return BusinessRulesCondition.from_rules(
        list(spec.rules), spec.target_agent_id, scope_of(graph, spec.target_agent_id), graph
    )


register_condition(
    ConditionKind(ConditionType.BUSINESS_RULES, BusinessRulesData, _build, lambda t: f"rules ({len(t.rules or ())})")
)

__all__ = [
    "ACTIONS",
    "OPERATORS",
    "VARIABLES",
    "BusinessRulesCondition",
    "BusinessRulesData",
    "CompiledRule",
    "ConversationVariables",
    "PlannedAction",
    "RuleScope",
    "TransitionActions",
    "compile_rules",
    "context_from_dict",
    "validate_rules",
]
