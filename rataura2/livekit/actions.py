"""Performing an agent's ``on_enter`` / ``on_exit`` actions on a live AgentSession.

Actions run in order. ``say`` speaks a rendered template; ``run_tool`` calls one of the agent's (or the
conversation's) tools with the given arguments, reports the call and its result as events (so ``tool_result``
edges can fire on it) and, on entry, puts both in the agent's chat history for its LLM; ``set_context`` sets
values (an event: logged, replayed, seen by rules and expressions at once); ``end_conversation`` ends the
conversation once what was said has been spoken; ``handover`` moves the session to another agent. Nothing runs
after ``end_conversation`` or ``handover``, nor after an action whose effect moved the session elsewhere.

Templates are rendered just before their action runs, so a ``say`` sees what an earlier ``set_context`` set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from livekit.agents import AgentSession, RunContext, ToolError, llm
from livekit.agents.voice.speech_handle import SpeechHandle

from rataura2.core.events import EventData
from rataura2.core.flow import Action, Hook
from rataura2.core.orchestrator import AgentOrchestrator, context_update_event
from rataura2.livekit.tools import BoundTool
from rataura2.vocabulary.enums import ActionType
from rataura2.vocabulary.events import EventType

if TYPE_CHECKING:
    from rataura2.core.result import TransitionResult
    from rataura2.livekit.factory import OrchestratedAgent

logger = logging.getLogger(__name__)


class ActionHost(Protocol):
    """What the actions need of the session bridge."""

    orchestrator: AgentOrchestrator
    agent_session: AgentSession[Any]
    session_id: str

    def submit(self, event: EventData) -> asyncio.Future[TransitionResult | None]: ...

    def request_end(self, reason: str) -> None: ...

    def bound_tool(self, name: str) -> BoundTool: ...


async def run_actions(host: ActionHost, agent: OrchestratedAgent, hook: Hook) -> bool:
    """Run the agent's ``hook`` actions; True if one of them ended the conversation or moved the session (the
    caller then does nothing more for this agent)."""
    flow = host.orchestrator.graph.get_flow(agent.spec.id)
    actions = flow.on_enter if hook == "on_enter" else flow.on_exit
    where = f"agent {agent.spec.name!r}.{hook}"
    for index, action in enumerate(actions):
        try:
            stopped = await _run(host, agent, hook, action, f"{where}[{index}]")
        except Exception:
            logger.exception("session %s: %s[%d] (%s) failed", host.session_id, where, index, action.type.value)
            continue
        if stopped or (hook == "on_enter" and host.orchestrator.current_agent_id != agent.spec.id):
            return True
    return False


async def _run(host: ActionHost, agent: OrchestratedAgent, hook: Hook, action: Action, at: str) -> bool:
    values = host.orchestrator.template_values()
    by = f"{agent.spec.name}.{hook}"
    if action.type is ActionType.SAY:
        host.agent_session.say(action.text.render_or_source(values, f"{at}.text"))
    elif action.type is ActionType.RUN_TOOL:
        await _run_tool(host, agent, hook, action, action.rendered_arguments(values, at), by)
    elif action.type is ActionType.SET_CONTEXT:
        event = context_update_event(action.values, scope=action.scope, timestamp=time.time(), set_by=by)
        await host.submit(event)
    elif action.type is ActionType.END_CONVERSATION:
        host.request_end(action.reason)
        return True
    elif action.type is ActionType.HANDOVER:
        reason = action.reason or f"{hook} of {agent.spec.name} hands over to {action.agent}"
        await host.submit(
            EventData(
                type=EventType.TRANSITION,
                timestamp=time.time(),
                source=f"action:{by}",
                data={"to_agent": action.agent, "reason": reason},
            )
        )
        return True
    return False


async def _run_tool(
    host: ActionHost, agent: OrchestratedAgent, hook: Hook, action: Action, arguments: dict[str, Any], by: str
) -> None:
    bound = host.bound_tool(action.tool)
    call = llm.FunctionCall(
        call_id=f"action_{uuid.uuid4().hex[:10]}", name=bound.spec.name, arguments=json.dumps(arguments)
    )
    context: RunContext[Any] = RunContext(
        session=host.agent_session, speech_handle=SpeechHandle.create(), function_call=call
    )
    try:
        output, is_error = await bound.run(arguments, context), False
    except ToolError as exc:
        output, is_error = exc.message, True
    base = {
        "tool_name": bound.spec.name,
        "tool_id": bound.spec.id,
        "arguments": arguments,
        "call_id": call.call_id,
        "action": by,
    }
    prefix = f"{host.session_id}/call/{call.call_id}"
    source = f"action:{by}"
    now = time.time()
    await host.submit(
        EventData(type=EventType.TOOL_CALLED, timestamp=now, source=source, data=base, id=f"{prefix}/called")
    )
    await host.submit(
        EventData(
            type=EventType.TOOL_RESULT,
            timestamp=now,
            source=source,
            data={**base, "result": _json_or_text(output), "is_error": is_error},
            id=f"{prefix}/result",
        )
    )
    if hook == "on_enter":  # the agent's LLM sees what was looked up for it
        history = agent.chat_ctx.copy()
        history.insert(
            [call, llm.FunctionCallOutput(call_id=call.call_id, name=call.name, output=output, is_error=is_error)]
        )
        await agent.update_chat_ctx(history)


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


__all__ = ["ActionHost", "run_actions"]
