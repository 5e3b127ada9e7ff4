"""Provider ``offline``: a deterministic local ``livekit.agents.llm.LLM`` that needs no key and no network.

It exists so that the demo, the terminal chat and the tests run a real ``AgentSession`` end to end. Its replies are
derived from the chat context alone (``[<agent name>] You said: "..."``), and an agent's ``config["offline"]``
scripts it: call a tool, call the decision tool, or fail, when the user's latest message contains a phrase::

    {"offline": {
        "tool_calls": [{"when_user_says": "fit", "tool": "fit_ship", "arguments": {"ship": "Rifter"}}],
        "decide": [{"when_user_says": "market", "target": "Market", "reason": "the pilot wants to buy"}],
        "fail": [{"when_user_says": "crash", "message": "the model is down"}]
    }}

Rules are only looked at in the first round of a turn (the latest item is the user's message, not a tool output)
and never when the framework forces a text reply (``tool_choice="none"``), so a scripted tool call cannot loop.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from livekit.agents import APIConnectOptions, NotGivenOr, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rataura2.errors import OfflineConfigError, OfflineLLMError

DECISION_TOOL_NAME = "transfer_to_agent"
"""The name of the decision tool every agent with agent_decision edges gets (see ``tools.decision_tool``)."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    when_user_says: str = Field(min_length=1)

    def matches(self, text: str) -> bool:
        return self.when_user_says.casefold() in text.casefold()


class ToolCallRule(_Rule):
    tool: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class DecideRule(_Rule):
    target: str = Field(min_length=1)
    reason: str | None = None


class FailRule(_Rule):
    message: str = "offline LLM: scripted failure"


class OfflineRules(BaseModel):
    """What an offline agent does besides echoing; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool_calls: tuple[ToolCallRule, ...] = ()
    decide: tuple[DecideRule, ...] = ()
    fail: tuple[FailRule, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any], agent_name: str) -> OfflineRules:
        raw = config.get("offline") or {}
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise OfflineConfigError(f"agent {agent_name!r}: config.offline.{where}: {first['msg']}") from None


class OfflineLLM(llm.LLM[Any]):
    """The deterministic model of provider ``offline``; one instance per agent, labelled with its name."""

    def __init__(self, agent_name: str, rules: OfflineRules | None = None, *, model: str | None = None) -> None:
        super().__init__()
        self.agent_name = agent_name
        self.rules = rules or OfflineRules()
        self._model = model or "offline"

    @property
    def model(self) -> str:
        return self._model

    @property
    def provider(self) -> str:
        return "offline"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> OfflineStream:
        return OfflineStream(
            self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options, tool_choice=tool_choice
        )


class OfflineStream(llm.LLMStream):
    def __init__(
        self,
        model: OfflineLLM,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool],
        conn_options: APIConnectOptions,
        tool_choice: NotGivenOr[llm.ToolChoice],
    ) -> None:
        super().__init__(model, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._offline = model
        self._tool_choice = tool_choice

    async def _run(self) -> None:
        request_id = "offline_" + uuid.uuid4().hex[:10]
        items = [i for i in self._chat_ctx.items if i.type in ("message", "function_call", "function_call_output")]
        last = items[-1] if items else None
        user_text = next(
            (i.text_content or "" for i in reversed(items) if i.type == "message" and i.role == "user"), None
        )
        name = self._offline.agent_name
        if isinstance(last, llm.FunctionCallOutput):
            verb = "failed" if last.is_error else "returned"
            self._send_text(request_id, f"[{name}] {last.name} {verb}: {last.output}")
            return
        if isinstance(last, llm.ChatMessage) and last.role == "user" and self._tool_choice != "none":
            call = self._scripted_call(last.text_content or "")
            if call is not None:
                self._event_ch.send_nowait(
                    llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call]))
                )
                return
        if user_text is None:
            self._send_text(request_id, f"[{name}] Hello, how can I help?")
        else:
            self._send_text(request_id, f'[{name}] You said: "{user_text}".')

    def _scripted_call(self, text: str) -> llm.FunctionToolCall | None:
        rules = self._offline.rules
        for fail in rules.fail:
            if fail.matches(text):
                raise OfflineLLMError(fail.message)
        available = {t.id for t in self._tools if isinstance(t, llm.FunctionTool | llm.RawFunctionTool)}
        for decide in rules.decide:
            if decide.matches(text) and DECISION_TOOL_NAME in available:
                reason = decide.reason or f"the user said {decide.when_user_says!r}"
                return _call(DECISION_TOOL_NAME, {"target": decide.target, "reason": reason})
        for rule in rules.tool_calls:
            if rule.matches(text) and rule.tool in available:
                return _call(rule.tool, rule.arguments)
        return None

    def _send_text(self, request_id: str, text: str) -> None:
        """Stream the reply word by word, as a remote model would, then report usage."""
        words = text.split(" ")
        for index, word in enumerate(words):
            piece = word if index == 0 else f" {word}"
            self._event_ch.send_nowait(
                llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=piece))
            )
        prompt = len(self._chat_ctx.items)
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=request_id,
                usage=llm.CompletionUsage(
                    completion_tokens=len(words), prompt_tokens=prompt, total_tokens=prompt + len(words)
                ),
            )
        )


def _call(name: str, arguments: Mapping[str, Any]) -> llm.FunctionToolCall:
    return llm.FunctionToolCall(
        name=name, arguments=json.dumps(dict(arguments)), call_id="call_" + uuid.uuid4().hex[:10]
    )
