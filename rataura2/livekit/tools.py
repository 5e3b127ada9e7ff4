"""Tools: Python callables registered by function name, offered to the LLM with the JSON schema of their Tool row.

A Tool row names its implementation by ``function_name``; the :class:`ToolRegistry` maps that name to a callable.
The callable receives the LLM's arguments as keyword arguments, after they were checked against the row's
``parameters_schema`` (LiveKit does not check raw-schema arguments): a bad call is a ``ToolError`` the LLM reads and
can correct. Sync callables run in a worker thread, so a slow tool never stalls the audio loop. A result that is not
a string goes back as JSON, which the bridge decodes again for ``tool_result`` conditions.

Every agent with agent_decision edges also gets :func:`decision_tool`, whose ``target`` enum is exactly the agents
those edges lead to.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, overload

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from livekit.agents import ToolError, function_tool, llm

from rataura2.core.spec import ToolSpec
from rataura2.errors import ToolConfigError
from rataura2.livekit.offline_llm import DECISION_TOOL_NAME

logger = logging.getLogger(__name__)

ToolFunction = Callable[..., Any]
F = TypeVar("F", bound=ToolFunction)
TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What every LLM provider accepts as a function name."""


class ToolRegistry:
    """Function name -> Python callable. ``register`` is also a decorator::

    registry = ToolRegistry()

    @registry.register
    def fit_ship(ship: str) -> dict: ...
    """

    def __init__(self, functions: Mapping[str, ToolFunction] | None = None) -> None:
        self._functions: dict[str, ToolFunction] = dict(functions or {})

    @overload
    def register(self, fn: F, *, name: str | None = None) -> F: ...

    @overload
    def register(self, fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...

    def register(self, fn: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
        def add(target: F) -> F:
            self._functions[name or target.__name__] = target
            return target

        return add(fn) if fn is not None else add

    def get(self, function_name: str) -> ToolFunction | None:
        return self._functions.get(function_name)

    def __contains__(self, function_name: object) -> bool:
        return function_name in self._functions

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._functions))


default_registry = ToolRegistry()
"""The registry agents use unless given another; ``rataura2 chat`` and ``rataura2 worker`` import the modules named
by ``--tools`` so that they register here."""
register_tool = default_registry.register


def function_tool_for(spec: ToolSpec, registry: ToolRegistry) -> llm.RawFunctionTool[Any, Any]:
    """The LiveKit function tool of a Tool row: its name and description, its schema as parameters, its callable."""
    if not TOOL_NAME.match(spec.name):
        raise ToolConfigError(f"tool {spec.name!r}: a tool name may only hold letters, digits, '_' and '-' (1-64)")
    if spec.name == DECISION_TOOL_NAME:
        raise ToolConfigError(f"tool {spec.name!r}: the name is reserved for the decision tool")
    fn = registry.get(spec.function_name)
    if fn is None:
        raise ToolConfigError(
            f"tool {spec.name!r}: no callable is registered for function {spec.function_name!r} "
            f"(register one with rataura2.livekit.tools.register_tool; "
            f"registered: {', '.join(registry) or 'none'})"
        )
    schema = dict(spec.parameters_schema) or {"type": "object", "properties": {}}
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ToolConfigError(
            f"tool {spec.name!r}: parameters_schema is not a valid JSON schema: {exc.message}"
        ) from None
    validator = Draft202012Validator(schema)

    async def call(raw_arguments: dict[str, Any]) -> str:
        problems = [
            f"{'/'.join(str(p) for p in error.absolute_path) or 'arguments'}: {error.message}"
            for error in validator.iter_errors(raw_arguments)
        ]
        if problems:
            raise ToolError(f"invalid arguments for {spec.name}: {'; '.join(problems)}")
        try:
            if inspect.iscoroutinefunction(fn):
                result = await fn(**raw_arguments)
            else:
                result = await asyncio.to_thread(fn, **raw_arguments)
        except ToolError:
            raise
        except Exception as exc:
            logger.exception("tool %s (%s) failed", spec.name, spec.function_name)
            raise ToolError(f"{spec.name} failed: {exc}") from exc
        return result if isinstance(result, str) else json.dumps(result, default=str)

    return function_tool(
        call, raw_schema={"name": spec.name, "description": spec.description or spec.name, "parameters": schema}
    )


Decide = Callable[[str, str], Awaitable[str]]


def decision_tool(targets: Sequence[str], decide: Decide) -> llm.RawFunctionTool[Any, Any]:
    """The tool through which the LLM hands the conversation over, only to ``targets`` (the agents this agent's
    agent_decision edges lead to). A target off that list is refused with a ``ToolError`` that lists the allowed
    ones, so the LLM can try again; an allowed one goes to ``decide(target, reason)``, whose answer is the tool's
    output."""
    allowed = {t.casefold(): t for t in targets}
    schema = {
        "type": "object",
        "properties": {
            "target": {"type": "string", "enum": list(targets), "description": "The agent to hand over to."},
            "reason": {"type": "string", "description": "Why, in a few words."},
        },
        "required": ["target", "reason"],
        "additionalProperties": False,
    }
    description = (
        "Hand the conversation over to another agent when the user's request belongs there. "
        f"Possible agents: {', '.join(targets)}."
    )

    async def call(raw_arguments: dict[str, Any]) -> str:
        target = str(raw_arguments.get("target", ""))
        canonical = allowed.get(target.casefold())
        if canonical is None:
            raise ToolError(f"cannot hand over to {target!r}: the agents you can hand over to are {', '.join(targets)}")
        return await decide(canonical, str(raw_arguments.get("reason") or ""))

    return function_tool(
        call, raw_schema={"name": DECISION_TOOL_NAME, "description": description, "parameters": schema}
    )
