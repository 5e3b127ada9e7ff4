"""What a designer says about an agent beyond its transitions, checked and compiled: its instructions as a template,
the actions it takes when the session enters and leaves it, and the chat history it starts with.

The same function checks an Agent row when it is saved (so a bad template or action is never stored) and compiles
an agent of a graph when the graph is compiled; references to other agents and tools, which an agent row alone
cannot know, are checked with the graph. Performing the actions is the LiveKit shell's business
(``rataura2.livekit.actions``): every effect they have on the session reaches it as an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from rataura2.core.context import OWNED_FIELDS, RESERVED_FIELDS
from rataura2.core.spec import AgentSpec, GraphSpec
from rataura2.core.templates import PLAIN_EMPTY, Template, compile_template
from rataura2.errors import InvalidFlowError
from rataura2.vocabulary.enums import ActionType, ContextStrategy

Hook = Literal["on_enter", "on_exit"]


class _ActionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    """``defer_build``: validators are built when a graph with actions is first compiled, not at import."""


class SayModel(_ActionModel):
    type: Literal["say"]
    text: str = Field(min_length=1)


class RunToolModel(_ActionModel):
    type: Literal["run_tool"]
    tool: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class SetContextModel(_ActionModel):
    type: Literal["set_context"]
    values: dict[str, Any] = Field(min_length=1)
    scope: Literal["session", "agent", "turn"] = "session"


class EndConversationModel(_ActionModel):
    type: Literal["end_conversation"]
    reason: str = Field(default="the conversation is over", min_length=1)


class HandoverModel(_ActionModel):
    type: Literal["handover"]
    agent: str = Field(min_length=1)
    reason: str | None = None


@cache
def _actions() -> TypeAdapter[list[SayModel | RunToolModel | SetContextModel | EndConversationModel | HandoverModel]]:
    """The validator of an agent's action list, built on first use (building it at import would cost the session
    core's import a tenth of its time)."""
    return TypeAdapter(
        list[
            Annotated[
                SayModel | RunToolModel | SetContextModel | EndConversationModel | HandoverModel,
                Field(discriminator="type"),
            ]
        ]
    )


@dataclass(frozen=True, slots=True)
class Action:
    """One compiled action. ``text`` is the template of a ``say``; ``arguments`` of a ``run_tool`` may hold
    templates as top-level string values (``templated``)."""

    type: ActionType
    text: Template = PLAIN_EMPTY
    tool: str = ""
    arguments: Mapping[str, Any] = field(default_factory=dict)
    templated: Mapping[str, Template] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)
    scope: str = "session"
    reason: str = ""
    agent: str = ""

    @property
    def stops(self) -> bool:
        """Whether nothing runs after it (the conversation ends, or another agent takes over)."""
        return self.type in (ActionType.END_CONVERSATION, ActionType.HANDOVER)

    def rendered_arguments(self, values: Mapping[str, Any], where: str) -> dict[str, Any]:
        out = dict(self.arguments)
        for key, template in self.templated.items():
            out[key] = template.render_or_source(values, f"{where}.arguments.{key}")
        return out


@dataclass(frozen=True, slots=True)
class HistoryPolicy:
    """The chat history an agent starts with when the session hands over to it (see ``ContextStrategy``)."""

    strategy: ContextStrategy = ContextStrategy.APPEND
    n: int | None = None
    summary_prompt: Template | None = None
    summary_template: Template | None = None


class _ContextOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    n: int | None = Field(default=None, ge=1)
    summary_prompt: str | None = Field(default=None, min_length=1)
    summary_template: str | None = Field(default=None, min_length=1)


@dataclass(frozen=True, slots=True)
class AgentFlow:
    """An agent's flow settings, compiled."""

    instructions: Template
    on_enter: tuple[Action, ...] = ()
    on_exit: tuple[Action, ...] = ()
    history: HistoryPolicy = HistoryPolicy()

    def templates(self) -> list[tuple[str, Template]]:
        """Every template of the agent with the field it comes from (what lint reads)."""
        found = [("instructions", self.instructions)]
        for hook, actions in (("on_enter", self.on_enter), ("on_exit", self.on_exit)):
            for i, action in enumerate(actions):
                if action.type is ActionType.SAY:
                    found.append((f"{hook}[{i}].text", action.text))
                found.extend((f"{hook}[{i}].arguments.{k}", t) for k, t in action.templated.items())
        for name in ("summary_prompt", "summary_template"):
            template = getattr(self.history, name)
            if template is not None:
                found.append((f"context_options.{name}", template))
        return found


def compile_actions(raw: Any, where: str, hook: Hook) -> tuple[Action, ...]:
    """``raw`` (a list of action objects, or None) checked and compiled; :class:`InvalidFlowError` names the first
    problem, e.g. ``agent 'Greeter'.on_enter[1].tool``."""
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise InvalidFlowError(f"{where}.{hook}", f"must be a list of actions, got {type(raw).__name__}")
    try:
        models = _actions().validate_python(list(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        index, rest = (loc[0], loc[1:]) if loc else ("0", [])
        rest = [p for p in rest if p not in {m.value for m in ActionType}]  # the union's branch name
        path = f"{where}.{hook}[{index}]" + "".join(f".{p}" for p in rest)
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "union_tag_invalid":
            message = f"unknown action type; expected one of {', '.join(ActionType)}"
        raise InvalidFlowError(path, message) from None
    actions: list[Action] = []
    for i, model in enumerate(models):
        at = f"{where}.{hook}[{i}]"
        if actions and actions[-1].stops:
            raise InvalidFlowError(at, f"nothing can follow {actions[-1].type.value} (it must be the last action)")
        actions.append(_compile_action(model, at, hook))
    return tuple(actions)


def _compile_action(
    model: SayModel | RunToolModel | SetContextModel | EndConversationModel | HandoverModel, at: str, hook: Hook
) -> Action:
    if isinstance(model, SayModel):
        return Action(ActionType.SAY, text=compile_template(model.text, f"{at}.text"))
    if isinstance(model, RunToolModel):
        templated = {
            key: compile_template(value, f"{at}.arguments.{key}")
            for key, value in model.arguments.items()
            if isinstance(value, str)
        }
        return Action(
            ActionType.RUN_TOOL,
            tool=model.tool,
            arguments=dict(model.arguments),
            templated={k: t for k, t in templated.items() if not t.is_plain},
        )
    if isinstance(model, SetContextModel):
        owned = sorted((OWNED_FIELDS | RESERVED_FIELDS) & set(model.values))
        if owned:
            raise InvalidFlowError(f"{at}.values.{owned[0]}", "is kept by the orchestrator and cannot be set")
        return Action(ActionType.SET_CONTEXT, values=dict(model.values), scope=model.scope)
    if hook == "on_exit":
        raise InvalidFlowError(
            f"{at}.type",
            f"{model.type} cannot be an on_exit action: the session is already moving to another agent "
            "(put it in that agent's on_enter)",
        )
    if isinstance(model, EndConversationModel):
        return Action(ActionType.END_CONVERSATION, reason=model.reason)
    return Action(ActionType.HANDOVER, agent=model.agent, reason=model.reason or "")


def compile_history(strategy: str | None, options: Mapping[str, Any] | None, where: str) -> HistoryPolicy:
    """The context strategy and its options checked together: ``last_n`` needs ``n``, ``reset_with_summary`` needs
    one of ``summary_prompt`` (the agent's LLM writes the summary) and ``summary_template``; no option goes with a
    strategy that does not use it."""
    try:
        kind = ContextStrategy(strategy or ContextStrategy.APPEND)
    except ValueError:
        raise InvalidFlowError(
            f"{where}.context_strategy", f"must be one of {', '.join(ContextStrategy)}; got {strategy!r}"
        ) from None
    try:
        opts = _ContextOptions.model_validate(dict(options or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise InvalidFlowError(f"{where}.context_options.{path}", str(first["msg"])) from None
    given = {name for name in ("n", "summary_prompt", "summary_template") if getattr(opts, name) is not None}
    needs: dict[ContextStrategy, set[str]] = {
        ContextStrategy.LAST_N: {"n"},
        ContextStrategy.RESET_WITH_SUMMARY: {"summary_prompt", "summary_template"},
    }
    allowed = needs.get(kind, set())
    extra = sorted(given - allowed)
    if extra:
        raise InvalidFlowError(
            f"{where}.context_options.{extra[0]}", f"does not apply to context strategy {kind.value}"
        )
    if kind is ContextStrategy.LAST_N and opts.n is None:
        raise InvalidFlowError(f"{where}.context_options.n", "last_n needs n, the number of items to keep")
    if kind is ContextStrategy.RESET_WITH_SUMMARY and len(given) != 1:
        raise InvalidFlowError(
            f"{where}.context_options",
            "reset_with_summary needs exactly one of summary_prompt (the agent's LLM summarises) and "
            "summary_template (a template renders the summary)",
        )
    return HistoryPolicy(
        kind,
        n=opts.n,
        summary_prompt=compile_template(opts.summary_prompt, f"{where}.context_options.summary_prompt")
        if opts.summary_prompt
        else None,
        summary_template=compile_template(opts.summary_template, f"{where}.context_options.summary_template")
        if opts.summary_template
        else None,
    )


def compile_agent_flow(
    where: str,
    *,
    instructions: str | None,
    on_enter: Any = None,
    on_exit: Any = None,
    context_strategy: str | None = None,
    context_options: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> AgentFlow:
    """An agent's flow settings checked and compiled (``where`` names the agent in errors). The older agent option
    ``config["fresh_history"]`` is the ``reset`` strategy."""
    history = compile_history(context_strategy, context_options, where)
    if history.strategy is ContextStrategy.APPEND and (config or {}).get("fresh_history"):
        history = HistoryPolicy(ContextStrategy.RESET)
    return AgentFlow(
        instructions=compile_template(instructions, f"{where}.instructions"),
        on_enter=compile_actions(on_enter, where, "on_enter"),
        on_exit=compile_actions(on_exit, where, "on_exit"),
        history=history,
    )


def check_references(spec: GraphSpec, agent: AgentSpec, flow: AgentFlow) -> None:
    """What an agent's actions name exists in its graph: a hand-over goes to an agent of the conversation, a tool
    run is one of the agent's or the conversation's tools."""
    where = f"agent {agent.name!r}"
    tools = {spec.tools[t].name for t in (*agent.tool_ids, *spec.tool_ids) if t in spec.tools}
    for hook, actions in (("on_enter", flow.on_enter), ("on_exit", flow.on_exit)):
        for i, action in enumerate(actions):
            if action.type is ActionType.HANDOVER and spec.agent_by_name(action.agent) is None:
                raise InvalidFlowError(
                    f"{where}.{hook}[{i}].agent", f"no agent {action.agent!r} in conversation {spec.name!r}"
                )
            if action.type is ActionType.RUN_TOOL and action.tool not in tools:
                raise InvalidFlowError(
                    f"{where}.{hook}[{i}].tool",
                    f"{action.tool!r} is not a tool of the agent or of the conversation "
                    f"(they have: {', '.join(sorted(tools)) or 'none'})",
                )


def compile_graph_flow(spec: GraphSpec, agent: AgentSpec) -> AgentFlow:
    """An agent of a graph's flow settings, compiled and checked against the graph."""
    flow = compile_agent_flow(
        f"agent {agent.name!r}",
        instructions=agent.instructions,
        on_enter=agent.on_enter,
        on_exit=agent.on_exit,
        context_strategy=agent.context_strategy,
        context_options=agent.context_options,
        config=agent.config,
    )
    check_references(spec, agent, flow)
    return flow


def check_flows(spec: GraphSpec) -> None:
    """Every agent's flow settings compile and name only what the graph has (checked when a graph is saved)."""
    for agent in spec.agents.values():
        compile_graph_flow(spec, agent)


def check_sensitive_keys(keys: Any, where: str) -> tuple[str, ...]:
    """A conversation's ``sensitive_keys``: a list of context keys that the orchestrator does not keep itself."""
    if keys is None:
        return ()
    if not isinstance(keys, list | tuple) or not all(isinstance(k, str) and k for k in keys):
        raise InvalidFlowError(f"{where}.sensitive_keys", f"must be a list of context key names, got {keys!r}")
    owned = sorted((OWNED_FIELDS | RESERVED_FIELDS) & set(keys))
    if owned:
        raise InvalidFlowError(
            f"{where}.sensitive_keys", f"{owned[0]!r} is kept by the orchestrator and cannot be sensitive"
        )
    return tuple(keys)


__all__ = [
    "Action",
    "AgentFlow",
    "HistoryPolicy",
    "Hook",
    "check_flows",
    "check_references",
    "check_sensitive_keys",
    "compile_actions",
    "compile_agent_flow",
    "compile_graph_flow",
    "compile_history",
]
