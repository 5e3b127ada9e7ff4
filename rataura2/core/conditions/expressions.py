"""``custom`` conditions: CEL expressions over ``context`` and ``event``, which can read data and never run code.

Expressions are checked when saved: they must parse, read only ``context`` and ``event``, and call only CEL's
standard functions. For speed, an expression that only reads named context fields (``context.turn_count``,
``has(context.vip)``) is compiled a second time with those fields as plain variables: the engine converts a
nested map on every call, a plain value almost for free, and the expression is given only the fields it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import cel
from pydantic import Field, field_validator

from rataura2.core.conditions.base import ConditionData, ConditionInput, Verdict
from rataura2.core.spec import GraphSpec, TransitionSpec
from rataura2.errors import CelEvaluationError

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

_MACRO_VARIABLE = re.compile(r"\.\s*(?:all|exists|exists_one|filter|map)\s*\(\s*([A-Za-z_]\w*)\s*,")
"""The names that comprehension macros bind (``e`` in ``list.exists(e, ...)``), which the engine lists as variables."""

_FIELD_PREFIX, _HAS_PREFIX = "__ctx_", "__has_"
_TOKENS = re.compile(
    r"""
    (?P<string>[rRbB]{0,2}(?:\"\"\"(?:\\.|[^\\])*?\"\"\"|'''(?:\\.|[^\\])*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
    |(?P<has>\bhas\s*\(\s*context\s*\.\s*(?P<has_field>[A-Za-z_]\w*)\s*\))
    |(?<![.\w])context\s*\.\s*(?P<field>[A-Za-z_]\w*)
    |(?P<bare>(?<![.\w])context\b)
    """,
    re.VERBOSE,
)


def compile_cel(source: str) -> Any:
    """A compiled CEL program over ``context`` and ``event``; ``ValueError`` naming the problem otherwise."""
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise ValueError(f"CEL expression does not parse: {exc}") from None
    unknown_functions = sorted(f for f in program.functions() if f not in CEL_FUNCTIONS and not _OPERATOR.search(f))
    if unknown_functions:
        raise ValueError(f"CEL expression calls unknown function(s) {', '.join(unknown_functions)}")
    unknown = set(program.variables()) - CEL_VARIABLES - set(_MACRO_VARIABLE.findall(source))
    if unknown:
        raise ValueError(
            f"CEL expression reads unknown variable(s) {', '.join(sorted(unknown))}; only context and event exist"
        )
    return program


def flatten_context_reads(source: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """``source`` with each ``context.field`` read as a plain variable, and the fields read and tested with
    ``has``; None when the expression uses ``context`` as a whole (then it gets the whole context)."""
    out: list[str] = []
    fields: dict[str, None] = {}
    tested: dict[str, None] = {}
    position = 0
    for match in _TOKENS.finditer(source):
        out.append(source[position : match.start()])
        position = match.end()
        if match["string"] is not None:
            out.append(match["string"])
        elif match["has"] is not None:
            tested[match["has_field"]] = None
            out.append(_HAS_PREFIX + match["has_field"])
        elif match["field"] is not None:
            fields[match["field"]] = None
            out.append(_FIELD_PREFIX + match["field"])
        else:
            return None
    out.append(source[position:])
    return "".join(out), tuple(fields), tuple(tested)


class CustomData(ConditionData):
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

    def evaluate(self, given: ConditionInput) -> Verdict | None:
        context = given.context
        activation: dict[str, Any] = {}
        if self.fields is None:
            activation["context"] = context.to_dict()
        else:
            for name in self.fields:
                if name in context:
                    activation[_FIELD_PREFIX + name] = context.get(name)
            for name in self.tested:
                activation[_HAS_PREFIX + name] = name in context
        if self.reads_event:
            activation["event"] = given.event.summary_view if given.event is not None else {}
        try:
            result = self.program.execute(activation)
        except Exception as exc:  # the engine's own errors: undefined field, no such overload...
            message = str(exc).replace(_FIELD_PREFIX, "context.").replace(_HAS_PREFIX, "has context.")
            raise CelEvaluationError(f"CEL expression {self.source!r} failed: {message}") from None
        if not isinstance(result, bool):
            raise CelEvaluationError(f"CEL expression {self.source!r} returned {result!r}, not a bool")
        return Verdict(f"expression {self.source!r} is true") if result else None


def build_custom(data: CustomData, spec: TransitionSpec, graph: GraphSpec) -> CelCondition:
    program = compile_cel(data.condition_code)
    reads_event = "event" in program.variables()
    flattened = flatten_context_reads(data.condition_code)
    if flattened is None:
        return CelCondition(program, data.condition_code, None, (), reads_event)
    source, fields, tested = flattened
    return CelCondition(cel.compile(source), data.condition_code, fields, tested, reads_event)
