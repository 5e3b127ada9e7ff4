"""Sensitive data on a real AgentSession (text mode, offline LLM), on SQLite and PostgreSQL: a card number spoken to a
sensitive agent, passed to a tool through a sensitive argument and kept in a sensitive context key reaches the tool
and the templates of the live session, and never the database, the logs or the context in clear text."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from livekit.agents import RunContext
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from rataura2.core.events import EventData
from rataura2.core.sensitive import REDACTED
from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.livekit.tools import ToolRegistry
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import EventType
from tests.livekit_support import TIMEOUT, messages, running

CARD = "4111 1111 1111 1111"
DIGITS = re.sub(r"\D", "", CARD)
CARD_SCHEMA = {
    "type": "object",
    "properties": {"number": {"type": "string", "sensitive": True}, "holder": {"type": "string"}},
    "required": ["number", "holder"],
}


def seed(db: Session) -> Conversation:
    save_card = Tool(name="save_card", function_name="save_card", parameters_schema=CARD_SCHEMA)
    router = Agent(name="Router")
    pay = Agent(
        name="Pay",
        instructions="Confirm the card ending in {{ card_number[-4:] }} for {{ card_holder }}.",
        tools=[save_card],
        sensitive_input=True,
        config={
            "offline": {
                # what the user says to Pay is recorded as [redacted]: user_input edges cannot read it, the LLM can
                "decide": [{"when_user_says": "done", "target": "Done"}],
                "tool_calls": [
                    {
                        "when_user_says": "card is",
                        "tool": "save_card",
                        "arguments": {"holder": "Ann"},
                        "arguments_from_user": {"number": r"card is ([\d -]+\d)"},
                    }
                ],
            }
        },
    )
    done = Agent(name="Done", instructions="Thank {{ card_holder }}; the card ends in {{ card_number[-4:] }}.")
    conversation = Conversation(
        name="payments", initial_agent=router, agents=[router, pay, done], sensitive_keys=["card_number"]
    )
    db.add(conversation)
    db.flush()
    db.add(
        Transition(
            source_agent=router, target_agent=pay, condition_type="user_input", condition_data={"pattern": "pay"}
        )
    )
    db.add(Transition(source_agent=pay, target_agent=done, condition_type="agent_decision", condition_data={}))
    db.commit()
    return conversation


def tools(received: list[str]) -> ToolRegistry:
    registry = ToolRegistry()

    @registry.register
    async def save_card(number: str, holder: str, context: RunContext) -> str:  # type: ignore[type-arg]
        received.append(number)
        await context.userdata.update(card_number=number, card_holder=holder)
        return f"Card ending in {number[-4:]} saved for {holder}."

    return registry


def database_text(db: Session) -> str:
    """Every row of every table, as text."""
    metadata = MetaData()
    metadata.reflect(db.get_bind())
    rows = []
    for table in metadata.sorted_tables:
        rows.extend(f"{table.name}: {row}" for row in db.execute(select(table)).all())
    return "\n".join(rows)


def holds_card(text: str) -> bool:
    return DIGITS in re.sub(r"[\s./-]", "", text)


async def test_a_sensitive_card_number_is_absent_from_every_table_the_logs_and_the_context(
    db: Session, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    received: list[str] = []
    conversation = seed(db)
    manager = SessionManager(db, durability="sync", snapshot_every=2)
    async with running(db, conversation, tools=tools(received), manager=manager, session_id="pay-1") as live:
        await live.bridge.user_input("I want to pay")
        await live.bridge.user_input(f"my card is {CARD}")
        await live.bridge.user_input(f"did you get {CARD.replace(' ', '-')}?")  # echoed back by the offline LLM
        assert live.agent_name == "Pay"
        # the live session has the number: the tool got it, the LLM heard it, templates and tools can read it
        assert received == [CARD]
        assert live.bridge.values["card_number"] == CARD
        assert live.session.current_agent.chat_ctx.items  # the agent's own history is the LLM's, in memory
        assert any(CARD in text for _, text in messages(live.session.history))
        await live.bridge.user_input("done, thanks")
        assert live.session.current_agent.instructions == "Thank Ann; the card ends in 1111."

        context = await live.context()
        assert context["card_number"] == REDACTED and context["card_holder"] == "Ann"
        assert not holds_card(str(context))
        said = [e["data"]["message"] for e in context["events"] if e["type"] == EventType.USER_MESSAGE.value]
        assert said == ["I want to pay", REDACTED, REDACTED, REDACTED]  # all three said to Pay
        called = next(e for e in context["events"] if e["type"] == EventType.TOOL_CALLED.value)
        assert called["data"]["arguments"] == {"number": REDACTED, "holder": "Ann"}
        echoed = [e["data"]["message"] for e in context["events"] if e["type"] == EventType.AGENT_MESSAGE.value]
        assert f'[Pay] You said: "did you get {REDACTED}?".' in echoed
        manager.close()

    stored = database_text(db)
    assert "pay-1" in stored and "Card ending in 1111 saved for Ann." in stored  # the tables were searched
    assert not holds_card(stored)
    if database_url.startswith("sqlite:///"):
        assert DIGITS.encode() not in Path(database_url.removeprefix("sqlite:///")).read_bytes().replace(b" ", b"")
    assert not holds_card(caplog.text)

    # resumed elsewhere, the key is known to be set; its value is not (it never left the first process)
    again = LivekitSessionHandler(db, SessionManager(db, durability="sync"), tools=tools(received))
    session = text_agent_session()
    async with asyncio.timeout(TIMEOUT):
        orchestrator = await again.start_session(session, conversation.id, session_id="pay-1", resume=True)
        bridge = again.bridge("pay-1")
        assert orchestrator.get_context()["card_number"] == REDACTED
        assert bridge.values.get("card_number") is None and "card_number" not in bridge.values
        assert session.current_agent.instructions == "Thank Ann; the card ends in ."
        await session.aclose()
        await again.aclose()
    again.session_manager.close()


def test_events_from_the_python_api_are_redacted_too(sqlite_db: Session) -> None:
    conversation = seed(sqlite_db)
    with SessionManager(sqlite_db, durability="off") as manager:
        orchestrator = manager.create_session("api-1", conversation.id)
        orchestrator.update_context(card_number="5500-0000-0000-0004")
        orchestrator.process_event(
            EventData(type=EventType.AGENT_MESSAGE, timestamp=1.0, data={"message": "Card 5500 0000 0000 0004 noted"})
        )
        orchestrator.process_event(
            EventData(
                type=EventType.TOOL_RESULT,
                timestamp=2.0,
                data={
                    "tool_name": "save_card",
                    "arguments": {"number": "378282246310005", "holder": "Bo"},
                    "result": {"echo": "378282246310005"},
                },
            )
        )
        context: dict[str, Any] = orchestrator.get_context()
    assert context["card_number"] == REDACTED and orchestrator.secrets.values == {"card_number": "5500-0000-0000-0004"}
    assert context["conversation"][-1]["text"] == f"Card {REDACTED} noted"
    assert context["tool_results"]["save_card"] == {"echo": REDACTED}
    assert "5500" not in str(context) and "378282246310005" not in str(context)
    assert orchestrator.template_values()["card_number"] == "5500-0000-0000-0004"
