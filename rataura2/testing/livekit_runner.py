"""Running a scenario on a real LiveKit ``AgentSession`` in text mode, every agent on the offline LLM.

The session is the one ``rataura2 chat`` and the workers run: a :class:`LivekitSessionHandler` starts it, the
session bridge turns its events into the orchestrator's and performs each hand-over with ``update_agent``. Steps
go in the way they would in production: the user's text as a turn (``generate_reply``), a tool's result as the
AgentSession's ``function_tools_executed`` event, the LLM's decision through the decision tool's own path, events
through the bridge. The offline LLM only answers: what the LLM does is what the scenario's steps say, so a scenario
means the same here as on the core. Besides the step's expectations, each step checks that the AgentSession runs
the agent the orchestrator is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from livekit.agents import FunctionToolsExecutedEvent, ToolError, llm

from rataura2.db.session import init_db
from rataura2.livekit.bridge import SessionBridge
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.livekit.tools import ToolRegistry, default_registry
from rataura2.scenarios.check import ROUTE, Observed, check, explain
from rataura2.scenarios.events import step_events
from rataura2.scenarios.model import Scenario, Step
from rataura2.scenarios.outcome import ScenarioOutcome, StepFailure
from rataura2.scenarios.runner import fired_by
from rataura2.sessions.manager import SessionManager
from rataura2.testing.sources import LoadedGraph
from rataura2.vocabulary.events import EventType

STEP_TIMEOUT = 20.0


def scenario_tools(loaded: LoadedGraph) -> ToolRegistry:
    """The graph's tools as registered (``--tools`` modules); a tool with no callable here gets one that says so:
    the offline LLM of a scenario run never calls tools, results come from the scenario's ``tool`` steps."""
    functions: dict[str, Any] = {}
    for tool in loaded.graph.spec.tools.values():
        found = default_registry.get(tool.function_name)
        functions[tool.function_name] = found if found is not None else _unavailable(tool.function_name)
    return ToolRegistry(functions)


def _unavailable(name: str) -> Any:
    def call(**_arguments: Any) -> None:
        raise ToolError(f"{name} is not available in a scenario run; give its result with a tool step")

    return call


async def run_scenario_livekit(loaded: LoadedGraph, scenario: Scenario, *, file: str = "") -> ScenarioOutcome:
    clock = time.perf_counter()
    assert loaded.database_url is not None
    fired: set[int] = set()

    def done(failure: StepFailure | None = None, error: str | None = None) -> ScenarioOutcome:
        took = time.perf_counter() - clock
        return ScenarioOutcome(file, scenario.name, failure, error, frozenset(fired), took, "livekit")

    database = await asyncio.to_thread(init_db, loaded.database_url)
    db = database()
    manager = SessionManager(db, durability="off")
    handler = LivekitSessionHandler(db, manager, tools=scenario_tools(loaded))
    session = text_agent_session()
    session_id = f"scenario-{uuid.uuid4().hex[:8]}"
    try:
        async with asyncio.timeout(STEP_TIMEOUT):
            orchestrator = await handler.start_session(
                session, loaded.conversation_id, session_id=session_id, initial_context=scenario.context or None
            )
            bridge = handler.bridge(session_id)
            await bridge.settle()
        for index, step in enumerate(scenario.steps, start=1):
            start_agent = orchestrator.current_agent_id
            before = len(orchestrator.context.get("transitions"))
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    kinds = await _perform(bridge, step, index)
            except TimeoutError:
                return done(error=f"step {index} ({step.describe()}): no answer within {STEP_TIMEOUT:.0f} s")
            except ValueError as exc:
                return done(error=f"step {index} ({step.describe()}): {exc}")
            context = orchestrator.get_context()
            running = session.current_agent.id if not orchestrator.ended and not bridge.closed else None
            observed = Observed(
                agent=orchestrator.get_current_agent().name,
                agent_id=orchestrator.current_agent_id,
                handovers=context["transitions"][before:],
                context=context,
                ended=orchestrator.ended,
                livekit_agent=running,
            )
            fired |= fired_by(observed.handovers)
            problems = check(step.expect, observed)
            if problems:
                route = any(kind in ROUTE for kind, _ in problems)
                because = explain(loaded.graph, observed, start_agent, kinds) if route else ""
                return done(StepFailure(index, step.describe(), tuple(text for _, text in problems), because))
        return done()
    finally:
        async with asyncio.timeout(STEP_TIMEOUT):
            await session.aclose()
            await handler.aclose()
        await asyncio.to_thread(manager.close)
        await asyncio.to_thread(db.close)
        database.dispose()


async def _perform(bridge: SessionBridge, step: Step, index: int) -> list[EventType]:
    """Carry ``step`` out on the running session and wait until it is quiet; the event types it stands for."""
    action = step.action
    if action == "user":
        assert step.user is not None
        await bridge.user_input(step.user)
        return [EventType.USER_MESSAGE]
    if action == "tool":
        call_id = f"call_step_{index}"
        output = step.result if isinstance(step.result, str) else json.dumps(step.result)
        bridge.agent_session.emit(
            "function_tools_executed",
            FunctionToolsExecutedEvent(
                function_calls=[
                    llm.FunctionCall(call_id=call_id, name=str(step.tool), arguments=json.dumps(step.arguments))
                ],
                function_call_outputs=[
                    llm.FunctionCallOutput(call_id=call_id, name=str(step.tool), output=output, is_error=step.error)
                ],
            ),
        )
        await bridge.drain()
        await bridge.settle()
        return [EventType.TOOL_CALLED, EventType.TOOL_RESULT]
    if action == "decide" and step.key == "transition_to":
        agent = bridge.active_agent
        assert agent is not None and step.decide is not None
        with contextlib.suppress(ToolError):  # not accepted: the session stays, as the LLM would be told
            await bridge.decide(agent, step.decide, step.reason or "scenario")
        await bridge.settle()
        return [EventType.AGENT_DECISION]
    orchestrator = bridge.orchestrator
    events = step_events(step, time.time(), bridge.graph.spec, orchestrator.get_current_agent().name, uuid.uuid4().hex)
    for event in events:
        await bridge.submit(event)
    if action == "end":
        await bridge.wait_ended()
    else:
        await bridge.settle()
    return [e.type for e in events]
