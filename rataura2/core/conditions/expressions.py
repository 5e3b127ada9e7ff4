"""``custom`` conditions: CEL expressions over ``context`` and ``event``, which can read data and never run code.

Expressions are checked when saved: they must be within the limits of :mod:`rataura2.vocabulary.limits` (checked by
a pre-parse that cannot recurse, before the engine's parser, which can crash on deep nesting), parse, read only
``context`` and ``event``, and call only CEL's standard functions. An evaluation is bounded too: its inputs are
measured before it starts, and each comprehension step is counted (see :class:`Steps`); past the limits it stops
and counts as false, with an error that says so.
Reading a key that is not there (a context value nobody has set yet, an event without that data) makes the
expression false, not an error: a designer writes ``context.plan == "gold"`` before any plan is known, and the
session must not report an error on every event until it is.

For speed, an expression that only reads named context fields (``context.turn_count``, ``has(context.vip)``) is
compiled a second time with those fields as plain variables: the engine converts a nested map on every call, a
plain value almost for free, and the expression is given only the fields it names. Such an expression that only
compares fields with literals (joined with ``&&``, ``||``, ``!``) is also compiled to Python
(:mod:`~rataura2.core.conditions.cel_fast`), which answers where its meaning is exactly CEL's and hands every other
case to the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from rataura2.core.conditions.base import ConditionInput, StateConditionData, Verdict
from rataura2.core.conditions.cel_fast import INT64 as _INT64
from rataura2.core.conditions.cel_fast import Unsure, compile_plain, encodes
from rataura2.core.conditions.cel_syntax import (
    ACCUMULATING,
    FIELD_PREFIX,
    HAS_PREFIX,
    STEP_PREFIX,
    CelShape,
    analyse,
    apply_edits,
    flatten,
    step_counters,
)
from rataura2.core.context import SessionContext
from rataura2.core.spec import GraphSpec, TransitionSpec
from rataura2.errors import CelEvaluationError
from rataura2.vocabulary.limits import CEL_MAX_STEPS, CEL_MAX_WORK, CEL_SIZE_UNIT, CEL_STRING_UNITS

CEL_VARIABLES = frozenset({"context", "event"})
CEL_FUNCTIONS = frozenset(
    [
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "timestamp",
        "duration",
        "type",
        "dyn",
        "max",
        "min",
        "getFullYear",
        "getMonth",
        "getDayOfYear",
        "getDayOfMonth",
        "getDate",
        "getDayOfWeek",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    ]
)
"""The CEL standard functions the engine provides; an expression calling anything else is refused when saved."""

_OPERATOR = re.compile(r"^@|\W")
"""Operators and internal helpers (``_&&_``, ``!_``, ``@in``) are named with symbols or ``@``."""

_SPARED = (KeyboardInterrupt, SystemExit, GeneratorExit)


def _engine_compile(source: str) -> Any:
    """The engine's compile, any failure (a pyo3 PanicException is a BaseException) as a ValueError. The engine
    loads with the first expression: it takes longer to import than the whole core, and most graphs have none."""
    import cel

    try:
        return cel.compile(source)
    except _SPARED:
        raise
    except BaseException as exc:
        raise ValueError(f"CEL expression does not parse: {exc}") from None


def compile_cel(source: str) -> tuple[Any, CelShape]:
    """A compiled CEL program over ``context`` and ``event``, and its shape; ``ValueError`` naming the problem
    otherwise."""
    shape = analyse(source)  # first: the engine's parser must never see what could crash it
    program = _engine_compile(source)
    unknown_functions = sorted(f for f in program.functions() if f not in CEL_FUNCTIONS and not _OPERATOR.search(f))
    if unknown_functions:
        raise ValueError(f"CEL expression calls unknown function(s) {', '.join(unknown_functions)}")
    unknown = set(program.variables()) - CEL_VARIABLES - shape.bound
    if unknown:
        raise ValueError(
            f"CEL expression reads unknown variable(s) {', '.join(sorted(unknown))}; only context and event exist"
        )
    return program, shape


def flatten_context_reads(source: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """``source`` with each ``context.field`` read as a plain variable, and the fields read and tested with
    ``has``; None when the expression uses ``context`` as a whole (then it gets the whole context)."""
    flattened = flatten(analyse(source))
    if flattened is None:
        return None
    edits, fields, tested = flattened
    return apply_edits(source, edits), fields, tested


def size_of(value: Any, cap: int) -> int:
    """What taking ``value`` in costs the engine, in size units (see ``CEL_MAX_WORK``), counted up to ``cap``: the
    walk stops there, so measuring costs at most ``cap`` steps whatever the value."""
    total = 0
    stack = [value]
    while stack and total <= cap:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bytes:
            total += CEL_STRING_UNITS + len(item) // CEL_SIZE_UNIT
        elif kind is int or kind is float or kind is bool or item is None:
            total += 1
        elif isinstance(item, Mapping):  # each key is a string the engine converts too
            total += 2 + CEL_STRING_UNITS * len(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            total += 2
            stack.extend(item)
        elif isinstance(item, str | bytes):
            total += CEL_STRING_UNITS + len(item) // CEL_SIZE_UNIT
        else:
            total += 1
    return total


def context_size(context: SessionContext, cap: int) -> int:
    """:func:`size_of` the whole context, measured in place (copying it costs as much as the engine's conversion),
    counted up to ``cap``."""
    total = 2
    for key in context.keys():  # noqa: SIM118  (a SessionContext is not iterable)
        if total > cap:
            break
        total += CEL_STRING_UNITS + size_of(context.get(key), cap - total)
    return total


class Steps:
    """The step counter of one evaluation: each comprehension calls its ``__rataura_stepN()`` before its body, and
    gets False-y garbage (a string, which makes the engine stop with an error) once the budget is spent."""

    __slots__ = ("accumulating", "base", "children", "counts", "exhausted", "spent")

    def __init__(self, plan: CostPlan, sizes: Mapping[str, int]) -> None:
        self.base = [1 + sum(sizes.get(name, 0) for name in reads) // 32 for reads in plan.reads]
        self.accumulating = plan.accumulating
        self.children = plan.children
        self.counts = [0] * len(plan.reads)
        self.spent = 0
        self.exhausted = False

    def functions(self) -> dict[str, Any]:
        return {f"{STEP_PREFIX}{i}": (lambda i=i: self.step(i)) for i in range(len(self.counts))}

    def step(self, index: int) -> bool | str:
        counts = self.counts
        counts[index] += 1
        for child in self.children[index]:  # an inner comprehension starts again at each outer step
            counts[child] = 0
        self.spent += self.base[index] + (counts[index] // 8 if self.accumulating[index] else 0)
        if self.spent > CEL_MAX_STEPS:
            self.exhausted = True
            return "cost limit"
        return True


@dataclass(frozen=True, slots=True)
class CostPlan:
    """What the step counter needs to know of an expression's comprehensions, by index."""

    reads: tuple[tuple[str, ...], ...]
    accumulating: tuple[bool, ...]
    children: tuple[tuple[int, ...], ...]
    plus_operators: int

    @classmethod
    def of(cls, shape: CelShape, whole_context: bool) -> CostPlan:
        comprehensions = shape.comprehensions
        reads = tuple(
            tuple(sorted({"context" if whole_context and r.startswith(FIELD_PREFIX) else r for r in c.reads}))
            for c in comprehensions
        )
        children = []
        for c in comprehensions:
            below = []
            for other in comprehensions:
                parent = other.parent
                while parent is not None and parent != c.index:
                    parent = comprehensions[parent].parent
                if parent == c.index:
                    below.append(other.index)
            children.append(tuple(below))
        return cls(reads, tuple(c.macro in ACCUMULATING for c in comprehensions), tuple(children), shape.plus_operators)


_ABSENT = object()
"""What ``SessionContext.get`` is given as the default, to tell a field that is not set from one set to None."""

_UNDEFINED = "Undefined variable or function: '"
"""How the engine reports a variable it was not given (a context field the flattened expression reads)."""


class CustomData(StateConditionData):
    condition_code: str = Field(min_length=1)

    @field_validator("condition_code")
    @classmethod
    def _compiles(cls, value: str) -> str:
        compile_cel(value)
        return value


@dataclass(frozen=True, slots=True)
class CelCondition:
    program: Any
    source: str
    fields: tuple[str, ...] | None
    """Context fields passed as plain variables; None: the whole context is passed as ``context``."""
    tested: tuple[str, ...]
    reads_event: bool
    triggers: frozenset[str]
    plan: CostPlan
    """How to bound an evaluation: every one is measured before it starts (see :meth:`_measured`)."""
    verdict: Verdict
    """What a true evaluation returns (the same every time)."""
    plain: Callable[[Mapping[str, Any]], bool] | None = None
    """The expression in Python (see :mod:`~rataura2.core.conditions.cel_fast`), for flattened expressions within
    its subset; it raises ``Unsure`` where only the engine can tell."""
    variables: tuple[tuple[str, str], ...] = ()
    """With ``plain``: each field read, and the variable it is given as."""
    reads_state: bool = True

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        context = given.context
        if self.plain is not None:
            held = self._plainly(context)
            if held is not None:
                return self.verdict if held else None
        activation: dict[str, Any] = {}
        sizes: dict[str, int] = {}
        if self.fields is None:
            sizes["context"] = context_size(context, CEL_MAX_WORK)
            self._within_work(sizes)  # before the copy, which costs as much as the engine's conversion
            activation["context"] = context.to_dict()
        else:
            for name in self.fields:
                if name in context:
                    value = context.get(name)
                    activation[FIELD_PREFIX + name] = value
                    sizes[FIELD_PREFIX + name] = size_of(value, CEL_MAX_WORK)
            for name in self.tested:
                activation[HAS_PREFIX + name] = name in context
        if self.reads_event:
            view = given.event.summary_view if given.event is not None else {}
            activation["event"] = view
            sizes["event"] = size_of(view, CEL_MAX_WORK)
        self._within_work(sizes)
        steps = None
        if self.plan.reads:
            steps = Steps(self.plan, sizes)
            activation.update(steps.functions())
        try:
            result = self.program.execute(activation)
        except _SPARED:
            raise
        except KeyError:  # a map without that key: the expression reads something that is not there
            return None
        except BaseException as exc:  # the engine's own errors: no such overload, a field not given...
            if steps is not None and steps.exhausted:
                raise self._over(f"took more than {CEL_MAX_STEPS} comprehension steps") from None
            if str(exc).startswith(_UNDEFINED + FIELD_PREFIX):
                return None  # a context field that is not set (fields are given only when present)
            message = str(exc).replace(FIELD_PREFIX, "context.").replace(HAS_PREFIX, "has context.")
            raise CelEvaluationError(f"CEL expression {self.source!r} failed: {message}") from None
        if steps is not None and steps.exhausted:
            raise self._over(f"took more than {CEL_MAX_STEPS} comprehension steps")
        if not isinstance(result, bool):
            raise CelEvaluationError(f"CEL expression {self.source!r} returned {result!r}, not a bool")
        return self.verdict if result else None

    def _plainly(self, context: SessionContext) -> bool | None:
        """The answer of the expression's Python form, or None where the engine must answer: a field that is not
        set, a value that is no scalar the engine takes in (it converts every value given before it starts, and
        fails on one it cannot), inputs past the work limit (the engine path says why), or an operation whose
        meaning only the engine knows (see :mod:`~rataura2.core.conditions.cel_fast`)."""
        activation: dict[str, Any] = {}
        work = 0
        get = context.get
        for name, variable in self.variables:
            value = get(name, _ABSENT)
            kind = type(value)
            if kind is str:
                if not value.isascii() and not encodes(value):
                    return None
                work += CEL_STRING_UNITS + len(value) // CEL_SIZE_UNIT  # size_of, inlined
            elif kind is int:
                if not -_INT64 <= value < _INT64:
                    return None
                work += 1
            elif kind is float or kind is bool:
                work += 1
            else:  # not set, None, a list or a map
                return None
            activation[variable] = value
        for name in self.tested:
            activation[HAS_PREFIX + name] = name in context
        if (1 + self.plan.plus_operators) ** 2 * work > CEL_MAX_WORK or self.plain is None:
            return None
        try:
            return self.plain(activation)
        except Unsure:
            return None

    def _within_work(self, sizes: Mapping[str, int]) -> None:
        """Refuse to start an evaluation whose inputs are past ``CEL_MAX_WORK`` (what concatenations can build
        counted in)."""
        work = (1 + self.plan.plus_operators) ** 2 * sum(sizes.values())
        if work > CEL_MAX_WORK:
            raise self._over(f"would take in {work} size units of input, over the limit of {CEL_MAX_WORK}")

    def _over(self, what: str) -> CelEvaluationError:
        return CelEvaluationError(f"CEL expression {self.source!r} stopped at its cost limit: it {what}")


def build_custom(data: CustomData, spec: TransitionSpec, graph: GraphSpec) -> CelCondition:
    source = data.condition_code
    program, shape = compile_cel(source)
    reads_event = "event" in program.variables()
    flattened = flatten(shape)
    triggers = data.trigger_names()
    plan = CostPlan.of(shape, flattened is None)
    edits = step_counters(shape)
    verdict = Verdict(f"expression {source!r} is true")
    if flattened is None:
        runtime = _engine_compile(apply_edits(source, edits)) if edits else program
        return CelCondition(runtime, source, None, (), reads_event, triggers, plan, verdict)
    field_edits, fields, tested = flattened
    runtime = _engine_compile(apply_edits(source, field_edits + edits))
    plain = None if edits or reads_event else compile_plain(apply_edits(source, field_edits))
    variables = tuple((name, FIELD_PREFIX + name) for name in fields)
    return CelCondition(runtime, source, fields, tested, reads_event, triggers, plan, verdict, plain, variables)
