"""The chat history an agent starts with when the session hands over to it, by its context strategy.

``append`` (the default) copies the previous agent's history; ``reset`` starts empty; ``last_n`` keeps the last
``n`` items; ``reset_with_summary`` starts with a summary, rendered from a template at once, or written by the
agent's own LLM when it enters (if the LLM fails or takes longer than :data:`SUMMARY_TIMEOUT`, the agent gets the
whole history instead: nothing is lost). Whatever the strategy, what caused the hand-over goes along: the user's
message, and a short note of the tool call and result, the agent's decision or the context write that moved the
session (the new agent may not have that tool, and LiveKit keeps no call of a tool an agent lacks).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from livekit.agents import llm

from rataura2.core.events import EventData
from rataura2.core.flow import HistoryPolicy
from rataura2.vocabulary.enums import ContextStrategy
from rataura2.vocabulary.events import CONTEXT_UPDATES_KEY, EventType

logger = logging.getLogger(__name__)

SUMMARY_TIMEOUT = 8.0
"""Seconds an agent's LLM has to write the summary it starts with."""
SUMMARY_HEADER = "Summary of the conversation so far:"
NOTE_LIMIT = 600
"""Longest rendering of a value in a hand-over note."""


def latest_user_message(chat_ctx: llm.ChatContext) -> llm.ChatMessage | None:
    for item in reversed(chat_ctx.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item
    return None


def start_history(
    policy: HistoryPolicy,
    old: llm.ChatContext,
    carry: llm.ChatMessage | None,
    note: str | None,
    values: Mapping[str, Any],
    where: str,
) -> llm.ChatContext:
    """The new agent's history at a hand-over from an agent whose history is ``old``. ``carry`` is the user
    message that moved the session (if a user turn did), ``note`` what else did."""
    trigger = carry or latest_user_message(old)
    if policy.strategy is ContextStrategy.APPEND:
        history = old.copy()
        if carry is not None and history.get_by_id(carry.id) is None:
            history.insert(carry)
    elif policy.strategy is ContextStrategy.LAST_N:
        history = old.copy(exclude_instructions=True, exclude_handoff=True, exclude_config_update=True)
        if trigger is not None and history.get_by_id(trigger.id) is not None:
            history.remove(trigger)  # the last n items before it, then it
        history.truncate(max_items=policy.n or 0)
        if trigger is not None:
            history.insert(trigger)
    else:
        history = llm.ChatContext.empty()
        if policy.summary_template is not None:
            summary = policy.summary_template.render_or_source(values, f"{where}.context_options.summary_template")
            at = trigger.created_at - 0.001 if trigger is not None else time.time()
            history.add_message(role="system", content=f"{SUMMARY_HEADER}\n{summary}", created_at=at)
        if trigger is not None:
            history.insert(trigger)
    if note:
        history.add_message(role="system", content=note)
    return history


def handover_note(cause: EventData | None, from_agent: str, to_agent: str, reason: str) -> str | None:
    """A short note of what moved the session, when a user's words do not say it: a tool call and its result, the
    agent's decision, a context value a tool or an action set. Built from the recorded event, so sensitive values
    are already ``[redacted]`` in it."""
    if cause is None:
        return None
    data = cause.data
    moved = f"That handed the conversation from {from_agent} to {to_agent} ({reason})."
    if cause.type is EventType.TOOL_RESULT:
        verb = "failed with" if data.get("is_error") else "returned"
        call = f"{data.get('tool_name')}({_short(data.get('arguments') or {})})"
        return f"{from_agent} called {call}, which {verb} {_short(data.get('result'))}. {moved}"
    if cause.type is EventType.AGENT_DECISION:
        why = f": {data['reason']}" if data.get("reason") else ""
        return f"{from_agent} chose to hand the conversation over to {to_agent}{why}."
    if cause.type is EventType.CUSTOM and isinstance(data.get(CONTEXT_UPDATES_KEY), dict) and data.get("set_by"):
        values = ", ".join(f"{k} = {_short(v)}" for k, v in data[CONTEXT_UPDATES_KEY].items())
        return f"{data['set_by']} set {values}. {moved}"
    return None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"


def transcript(chat_ctx: llm.ChatContext) -> str:
    """The conversation of ``chat_ctx`` as plain text, for a summary request."""
    lines = []
    for item in chat_ctx.items:
        if isinstance(item, llm.ChatMessage) and item.role in ("user", "assistant") and item.text_content:
            lines.append(f"{item.role}: {item.text_content}")
        elif isinstance(item, llm.FunctionCall):
            lines.append(f"tool call: {item.name}({item.arguments})")
        elif isinstance(item, llm.FunctionCallOutput):
            lines.append(f"tool result: {item.output}")
    return "\n".join(lines)


async def summarize(
    model: llm.LLM[Any], prompt: str, source: llm.ChatContext, *, timeout: float = SUMMARY_TIMEOUT
) -> str:
    """What ``model`` writes when asked ``prompt`` about the conversation in ``source``."""
    request = llm.ChatContext.empty()
    request.add_message(role="system", content=prompt)
    request.add_message(role="user", content=f"The conversation to summarise:\n{transcript(source)}")

    async def collect() -> str:
        parts = []
        async with model.chat(chat_ctx=request) as stream:
            async for chunk in stream:
                if chunk.delta is not None and chunk.delta.content:
                    parts.append(chunk.delta.content)
        return "".join(parts).strip()

    return await asyncio.wait_for(collect(), timeout)


def with_summary(current: llm.ChatContext, summary: str) -> llm.ChatContext:
    """``current`` (an agent's history) with the summary message first, after its instructions."""
    items = list(current.items)
    at = 0
    while at < len(items) and (
        items[at].type == "agent_config_update"
        or (isinstance(items[at], llm.ChatMessage) and items[at].id.startswith("lk."))
    ):
        at += 1
    message = llm.ChatMessage(role="system", content=[f"{SUMMARY_HEADER}\n{summary}"])
    items.insert(at, message)
    return llm.ChatContext(items)


def with_history(current: llm.ChatContext, earlier: llm.ChatContext) -> llm.ChatContext:
    """``earlier`` items the agent's history lacks, put back before its own (a summary that could not be made)."""
    have = {item.id for item in current.items}
    merged = current.copy()
    for item in earlier.copy(exclude_instructions=True).items:
        if item.id not in have:
            merged.insert(item)
    return merged


def resumed_history(
    policy: HistoryPolicy,
    messages: Sequence[Mapping[str, Any]],
    entered_at: float,
    values: Mapping[str, Any],
    where: str,
) -> list[tuple[str, str, float]]:
    """(role, text, time) of the messages a resumed session's current agent gets back, by its strategy: every
    message for append; the last ``n`` before it was entered and all since for last_n; only those since it was
    entered for the reset strategies (with a template summary rendered again; an LLM's summary is not kept)."""
    said = [
        (str(m["role"]), str(m["text"]), float(m["timestamp"]))
        for m in messages
        if m.get("role") in ("user", "assistant") and m.get("text")
    ]
    if policy.strategy is ContextStrategy.APPEND:
        return said
    before = [m for m in said if m[2] < entered_at]
    since = [m for m in said if m[2] >= entered_at]
    if policy.strategy is ContextStrategy.LAST_N:
        return before[-(policy.n or 0) :] + since if policy.n else since
    if policy.summary_template is not None and before:
        summary = policy.summary_template.render_or_source(values, f"{where}.context_options.summary_template")
        return [("system", f"{SUMMARY_HEADER}\n{summary}", before[0][2]), *since]
    return since


__all__ = [
    "SUMMARY_HEADER",
    "SUMMARY_TIMEOUT",
    "handover_note",
    "latest_user_message",
    "resumed_history",
    "start_history",
    "summarize",
    "transcript",
    "with_history",
    "with_summary",
]
