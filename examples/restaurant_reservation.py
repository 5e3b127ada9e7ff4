"""Pipecat Flows' restaurant reservation example (``examples/restaurant_reservation.py``), as rataura2 data.

In the original each node is a dict built at run time by a Python function, and each function handler returns the
next node: party size, then time (checked against a reservation system with two fully booked slots), then either a
confirmation or a list of other times, and an end node whose post-action ends the conversation. Here:

* nodes are agents, and the role message every node shares is the conversation's ``role_instructions``;
* a handler returning the next node is a tool whose result drives a ``tool_result`` edge (available or not);
* what the original bakes into a node at build time (the other times on offer) is a template over the context,
  rendered when the session enters the agent;
* the tools keep what they learn (party size, time) in the session's context through ``RunContext``, where
  templates and the next tools read it;
* "end the conversation" is an agent whose ``on_enter`` says goodbye and ends the conversation, and the original's
  ``end_conversation`` function is the transfer tool's edge to it, described for the LLM;
* ``respond_immediately`` is the initial agent's ``on_enter`` greeting.

Run it (offline, scripted by :data:`SCRIPT`)::

    .venv/bin/python examples/restaurant_reservation.py [out/reservation.db]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from livekit.agents import RunContext
from rich.console import Console
from sqlalchemy.orm import Session

from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.db.session import init_db
from rataura2.livekit.chat import chat
from rataura2.livekit.tools import ToolRegistry

NAME = "La Maison reservations (Pipecat Flows port)"
TOOLS = ToolRegistry()
OPENING_TIMES = ("5:00 PM", "6:00 PM", "7:00 PM", "8:00 PM", "9:00 PM", "10:00 PM")
FULLY_BOOKED = frozenset({"7:00 PM", "8:00 PM"})
"""The reservation system of the original, reduced to what it answers."""


@TOOLS.register
async def collect_party_size(size: int, context: RunContext[Any]) -> dict[str, Any]:
    await context.userdata.update(party_size=size)
    return {"size": size}


@TOOLS.register
async def check_availability(time: str, context: RunContext[Any]) -> dict[str, Any]:
    """Whether a table for the party is free at ``time``; if not, the times that are."""
    party = context.userdata.get("party_size")
    available = time not in FULLY_BOOKED
    if available:
        await context.userdata.update(reserved_time=time)
    else:
        await context.userdata.update(requested_time=time)
    others = [] if available else [t for t in OPENING_TIMES if t not in FULLY_BOOKED]
    return {"time": time, "party_size": party, "available": available, "alternative_times": others}


TIME_SCHEMA = {
    "type": "object",
    "properties": {
        "time": {"type": "string", "pattern": "^([5-9]|10):00 PM$", "description": "The time, e.g. '6:00 PM'."}
    },
    "required": ["time"],
}
SIZE_SCHEMA = {
    "type": "object",
    "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 12}},
    "required": ["size"],
}

SCRIPT = [
    "Hello! We are 4 people",
    "Could we come at 8:00 PM?",
    "Then 9:00 PM please",
    "No, that's all, thank you",
]
"""A party of four whose first choice is fully booked."""

TIME_RULE = {
    "when_user_says": "PM",
    "tool": "check_availability",
    "arguments_from_user": {"time": r"((?:[5-9]|10):00 PM)"},
}
FINISH_RULE = {"when_user_says": "that's all", "target": "Goodbye", "reason": "the caller needs nothing else"}


def seed(db: Session) -> Conversation:
    party_size = Tool(
        name="collect_party_size",
        function_name="collect_party_size",
        description="Record the number of people in the party.",
        parameters_schema=SIZE_SCHEMA,
    )
    availability = Tool(
        name="check_availability",
        function_name="check_availability",
        description="Check whether a table is free at the time the caller asks for.",
        parameters_schema=TIME_SCHEMA,
    )
    party = Agent(
        name="Party size",
        instructions=(
            "Ask how many people are in the party. That is your only job for now: if the caller asks for anything "
            "else, say politely that you cannot help with it yet."
        ),
        tools=[party_size],
        on_enter=[{"type": "say", "text": "Bonjour, and welcome to La Maison! How many people will be dining?"}],
        config={
            "offline": {
                "tool_calls": [
                    {
                        "when_user_says": "people",
                        "tool": "collect_party_size",
                        "arguments_from_user": {"size": {"pattern": r"(\d+) people", "type": "integer"}},
                    }
                ]
            }
        },
    )
    time = Agent(
        name="Time",
        instructions="Ask what time the party of {{ party_size }} would like to dine. We are open from 5 PM to 10 PM.",
        tools=[availability],
        config={"offline": {"tool_calls": [TIME_RULE]}},
    )
    no_table = Agent(
        name="No availability",
        instructions=(
            "Apologise: there is no table at {{ requested_time }}. Offer these times instead: "
            "{{ tool_results.check_availability.alternative_times | join(', ') }}, and ask whether one of them suits."
        ),
        tools=[availability],
        config={"offline": {"tool_calls": [TIME_RULE], "decide": [FINISH_RULE]}},
    )
    confirm = Agent(
        name="Confirm",
        instructions=(
            "Confirm the reservation: a table for {{ party_size }} at {{ reserved_time }}. Ask whether they need "
            "anything else."
        ),
        config={"offline": {"decide": [FINISH_RULE]}},
    )
    goodbye = Agent(
        name="Goodbye",
        on_enter=[
            {
                "type": "say",
                "text": "{% if reserved_time %}We look forward to seeing the {{ party_size }} of you at "
                "{{ reserved_time }}. {% endif %}Thank you for calling La Maison, au revoir!",
            },
            {"type": "end_conversation", "reason": "the caller is done"},
        ],
    )
    agents = [party, time, no_table, confirm, goodbye]
    conversation = Conversation(
        name=NAME,
        # what the tools set through RunContext, so that lint knows the templates" values have a source
        config={"context_keys": ["party_size", "requested_time", "reserved_time"]},
        description="Pipecat Flows' restaurant reservation example.",
        initial_agent=party,
        agents=agents,
        role_instructions=(
            "You are the reservation assistant of La Maison, an upscale French restaurant. Be casual and friendly. "
            "This is a voice conversation: no special characters, no emojis."
        ),
    )
    db.add(conversation)
    db.flush()
    available = {"tool_name": "check_availability", "result_key": "available", "operator": "eq"}
    finish = "The caller needs nothing more, or does not want another time: end the conversation."
    edges: list[tuple[Agent, Agent, str, dict[str, Any], str | None]] = [
        (party, time, "tool_result", {"tool_name": "collect_party_size"}, "Party size recorded."),
        (time, confirm, "tool_result", {**available, "expected_value": True}, "A table is free."),
        (time, no_table, "tool_result", {**available, "expected_value": False}, "No table at that time."),
        (no_table, confirm, "tool_result", {**available, "expected_value": True}, "A table is free."),
        (no_table, goodbye, "agent_decision", {}, finish),
        (confirm, goodbye, "agent_decision", {}, finish),
    ]
    for source, target, kind, data, description in edges:
        db.add(
            Transition(
                source_agent=source,
                target_agent=target,
                condition_type=kind,
                condition_data=data,
                description=description,
            )
        )
    db.commit()
    return conversation


async def play(database_url: str, console: Console | None = None) -> dict[str, Any]:
    """Seed the conversation into ``database_url`` and play :data:`SCRIPT`; returns the final context."""
    with init_db(database_url) as sessions, sessions() as db:
        seed(db)
    return await chat(database_url, NAME, console=console or Console(highlight=False), lines=SCRIPT, tools=TOOLS)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "out/restaurant_reservation.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    asyncio.run(play(f"sqlite:///{path}"))
