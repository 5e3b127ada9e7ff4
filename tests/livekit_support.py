"""A small conversation for the LiveKit tests, and helpers to read an AgentSession.

Every agent runs the offline LLM, scripted through ``config["offline"]``:

    Router --user says "combat"--> Combat --fit_ship cost >= 1M--> Market
    Router --agent decision--> Market          (Router decides on "sell"; "explore" names an agent off its edges)
    Router --agent_error event--> Support
    Router --participant_disconnected (livekit)--> Farewell
    Router --user says "archive"--> Archive    (Archive starts with a fresh history)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from livekit.agents import AgentSession, llm
from sqlalchemy.orm import Session

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.livekit.bridge import SessionBridge
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.livekit.tools import ToolRegistry, register_tool
from rataura2.sessions.manager import SessionManager

TIMEOUT = 10.0
FIT_SHIP_SCHEMA = {
    "type": "object",
    "properties": {"ship": {"type": "string"}},
    "required": ["ship"],
    "additionalProperties": False,
}


def fit_ship(ship: str) -> dict[str, Any]:
    """The test's tool: a fitting whose cost depends on the hull."""
    return {"ship": ship, "cost_isk": 3_200_000 if ship == "Rifter" else 500_000}


def registry() -> ToolRegistry:
    return ToolRegistry({"fit_ship_impl": fit_ship})


register_tool(fit_ship, name="fit_ship_impl")  # for the commands, which use the default registry (--tools)


def seed(db: Session) -> Conversation:
    fit = Tool(
        name="fit_ship", function_name="fit_ship_impl", description="Fit a ship.", parameters_schema=FIT_SHIP_SCHEMA
    )
    router = Agent(
        name="Router",
        instructions="You route pilots.",
        config={
            "offline": {
                "decide": [
                    {"when_user_says": "sell", "target": "Market", "reason": "the pilot wants to sell"},
                    {"when_user_says": "explore", "target": "Exploration"},
                ],
                "fail": [{"when_user_says": "crash", "message": "the model is down"}],
            }
        },
    )
    combat = Agent(
        name="Combat",
        instructions="You advise on combat.",
        tools=[fit],
        config={
            "offline": {
                "tool_calls": [
                    {"when_user_says": "cheap fit", "tool": "fit_ship", "arguments": {"ship": "Merlin"}},
                    {"when_user_says": "broken fit", "tool": "fit_ship", "arguments": {"hull": "Rifter"}},
                    {"when_user_says": "fit", "tool": "fit_ship", "arguments": {"ship": "Rifter"}},
                ]
            }
        },
    )
    market = Agent(name="Market", instructions="You advise on trade.")
    exploration = Agent(name="Exploration", instructions="You advise on exploration.")
    support = Agent(name="Support", instructions="Apologise and help.")
    farewell = Agent(name="Farewell", instructions="Say goodbye.", config={"reply_on_enter": False})
    archive = Agent(name="Archive", instructions="You file things.", config={"fresh_history": True})
    agents = [router, combat, market, exploration, support, farewell, archive]
    conversation = Conversation(name="livekit test", initial_agent=router, agents=agents)
    db.add(conversation)
    db.flush()
    edges: list[tuple[Agent, Agent, str, dict[str, Any]]] = [
        (router, combat, "user_input", {"pattern": "combat"}),
        (router, market, "agent_decision", {}),
        (router, support, "event", {"event_type": "agent_error"}),
        (router, farewell, "livekit_event", {"event_name": "participant_disconnected"}),
        (router, archive, "user_input", {"pattern": "archive"}),
        (
            combat,
            market,
            "tool_result",
            {"tool_name": "fit_ship", "result_key": "cost_isk", "operator": "gte", "expected_value": 1_000_000},
        ),
    ]
    for source, target, kind, data in edges:
        db.add(Transition(source_agent=source, target_agent=target, condition_type=kind, condition_data=data))
    db.commit()
    return conversation


@dataclass
class Running:
    handler: LivekitSessionHandler
    session: AgentSession[Any]
    orchestrator: AgentOrchestrator
    bridge: SessionBridge

    @property
    def agent_name(self) -> str:
        return self.session.current_agent.id

    async def context(self) -> dict[str, Any]:
        """The orchestrator's context once the session is quiet (every reported event processed)."""
        async with asyncio.timeout(TIMEOUT):
            await self.bridge.settle()
        return self.orchestrator.get_context()


@asynccontextmanager
async def running(db: Session, conversation: Conversation, **start: Any) -> AsyncIterator[Running]:
    """An orchestrated text-mode AgentSession on ``conversation``, closed at the end."""
    handler = LivekitSessionHandler(db, SessionManager(db), tools=registry())
    session = text_agent_session()
    async with asyncio.timeout(TIMEOUT):
        orchestrator = await handler.start_session(session, conversation.id, **start)
    try:
        yield Running(handler, session, orchestrator, handler.bridge(orchestrator.session_id))
    finally:
        async with asyncio.timeout(TIMEOUT):
            await session.aclose()
            await handler.aclose()
        handler.session_manager.close()


def messages(chat_ctx: llm.ChatContext) -> list[tuple[str, str]]:
    """The user and assistant messages of a chat context, as (role, text)."""
    return [
        (item.role, item.text_content or "")
        for item in chat_ctx.items
        if isinstance(item, llm.ChatMessage) and item.role in ("user", "assistant")
    ]


def event_types(context: dict[str, Any]) -> list[str]:
    return [e["type"] for e in context["events"] if e["type"] != "agent_state_changed"]
