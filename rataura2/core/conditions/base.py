"""What a condition is, and the one registry that maps a condition type to its implementation.

A condition type is a pair of steps. ``parse`` checks the stored ``condition_data`` on its own (run when a
transition is saved, so bad data never reaches the database). ``build`` turns parsed data into a ready
:class:`Condition` with regexes and expressions compiled, knowing the whole graph (run once per graph load).
Evaluation is then pure CPU over the event and the context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from rataura2.errors import InvalidConditionError

if TYPE_CHECKING:
    from rataura2.core.context import SessionContext
    from rataura2.core.events import EventData
    from rataura2.core.spec import GraphSpec, TransitionSpec
    from rataura2.vocabulary.events import EventType


@dataclass(frozen=True, slots=True)
class Verdict:
    """A condition that holds: why (for people), and context values to set together with the hand-over."""

    reason: str
    context_updates: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class ConditionInput:
    """What a condition may read. ``event`` is None when re-checking without a new event."""

    event: EventData | None
    context: SessionContext


class Condition(Protocol):
    """A compiled condition. One that can only hold on certain event types (it looks at the event being
    processed, never at older ones) says so in a ``triggers`` attribute, a frozenset of EventType; the compiled
    graph then skips it for every other event. Without the attribute it is checked on every event."""

    def evaluate(self, given: ConditionInput) -> Verdict | None: ...


def triggers_of(condition: Condition) -> frozenset[EventType] | None:
    """The event types on which ``condition`` can hold; None for any (and for checks without an event)."""
    triggers: frozenset[EventType] | None = getattr(condition, "triggers", None)
    return triggers


class ConditionData(BaseModel):
    """Base of each type's ``condition_data`` model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class ConditionKind:
    """One condition type: the one place that says how its data is checked, compiled and described."""

    name: str
    data_model: type[ConditionData]
    build: Callable[[Any, TransitionSpec, GraphSpec], Condition]
    describe: Callable[[TransitionSpec], str] = lambda spec: spec.condition_type
    """A few words for drawings and listings: what the condition looks at."""


_REGISTRY: dict[str, ConditionKind] = {}


def register_condition(kind: ConditionKind) -> None:
    """Add or replace a condition type (plug-ins such as ``business_rules`` register here)."""
    _REGISTRY[kind.name] = kind


def condition_types() -> list[str]:
    return sorted(_REGISTRY)


def get_condition_kind(condition_type: str, *, label: str = "transition") -> ConditionKind:
    kind = _REGISTRY.get(condition_type)
    if kind is None:
        raise InvalidConditionError(
            label, f"unknown condition type {condition_type!r}; known types: {', '.join(condition_types())}"
        )
    return kind


def parse_condition_data(condition_type: str, data: Mapping[str, Any], *, label: str) -> ConditionData:
    kind = get_condition_kind(condition_type, label=label)
    if not isinstance(data, Mapping):
        raise InvalidConditionError(label, f"condition_data must be an object, got {type(data).__name__}")
    try:
        return kind.data_model.model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'condition_data'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise InvalidConditionError(label, f"invalid {condition_type} condition_data: {problems}") from None


def describe_condition(spec: TransitionSpec) -> str:
    """The condition in a few words (its kind's ``describe``), e.g. ``says 'combat'``."""
    kind = _REGISTRY.get(spec.condition_type)
    return kind.describe(spec) if kind is not None else spec.condition_type


def validate_condition_data(condition_type: str, data: Mapping[str, Any], *, label: str) -> None:
    """Raise :class:`InvalidConditionError` naming ``label`` if the data would not compile."""
    parse_condition_data(condition_type, data, label=label)


def build_condition(spec: TransitionSpec, graph: GraphSpec) -> Condition:
    parsed = parse_condition_data(spec.condition_type, spec.condition_data, label=spec.label)
    kind = get_condition_kind(spec.condition_type, label=spec.label)
    try:
        return kind.build(parsed, spec, graph)
    except InvalidConditionError:
        raise
    except ValueError as exc:
        raise InvalidConditionError(spec.label, str(exc)) from None
