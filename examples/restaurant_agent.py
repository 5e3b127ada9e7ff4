"""LiveKit Agents' restaurant example (``examples/voice_agents/restaurant_agent.py``), as rataura2 data.

The original hands a caller between four agents (greeter, reservation, takeaway, checkout) with Python classes: a
base class that copies the last six items of the previous agent's chat and adds the caller's data as a system
message on every entry, ``RunContext`` tools that write a shared ``UserData``, and transfer tools. Here the same
flow is rows in the database:

* the caller's data is context values, written by tools through ``RunContext`` and shown to every agent by the
  conversation's templated role instructions (rendered at each entry);
* the "last six items" is each agent's ``last_n`` context strategy;
* transfers are ``agent_decision`` edges whose descriptions tell the LLM when to take them, and the checks before
  a transfer (is there an order? is the reservation complete?) are tools whose results drive ``tool_result``
  edges;
* ``update_name`` and ``update_phone`` are conversation tools, offered to every agent;
* the card number, expiry and CVV are sensitive: marked in the tool's schema, kept under sensitive context keys,
  and the checkout agent's input is sensitive, so none of them is ever recorded in clear text.

Run it (offline: each agent's ``config["offline"]`` scripts the offline LLM through :data:`SCRIPT`; give the agents
another ``llm_provider`` to talk to them with a real model)::

    .venv/bin/python examples/restaurant_agent.py [out/restaurant.db]
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

NAME = "Restaurant (LiveKit port)"
TOOLS = ToolRegistry()
Context = RunContext[Any]


# the tools: each records what the caller said in the session's context ---------------------------------------------
@TOOLS.register
async def update_name(name: str, context: Context) -> str:
    await context.userdata.update(customer_name=name)
    return f"The name is now {name}."


@TOOLS.register
async def update_phone(phone: str, context: Context) -> str:
    await context.userdata.update(customer_phone=phone)
    return f"The phone number is now {phone}."


@TOOLS.register
async def update_reservation_time(time: str, context: Context) -> str:
    await context.userdata.update(reservation_time=time)
    return f"The reservation is for {time}."


@TOOLS.register
async def confirm_reservation(context: Context) -> dict[str, Any]:
    values = context.userdata
    missing = [k for k in ("reservation_time", "customer_name", "customer_phone") if not values.get(k)]
    if missing:
        return {"confirmed": False, "missing": missing}
    await values.update(reservation_confirmed=True)
    return {"confirmed": True}


@TOOLS.register
async def update_order(items: list[str], context: Context) -> str:
    await context.userdata.update(order=items)
    return f"The order is now: {', '.join(items)}."


@TOOLS.register
def confirm_order(context: Context) -> dict[str, Any]:
    order = context.userdata.get("order")
    return {"confirmed": bool(order), "message": "" if order else "There is no order yet: take one first."}


@TOOLS.register
async def confirm_expense(expense: float, context: Context) -> str:
    await context.userdata.update(expense=expense)
    return f"The total of {expense:g} is confirmed."


@TOOLS.register
async def update_credit_card(number: str, expiry: str, cvv: str, context: Context) -> str:
    await context.userdata.update(card_number=number, card_expiry=expiry, card_cvv=cvv)
    return f"The card ending in {number[-4:]} is saved."


@TOOLS.register
async def confirm_checkout(context: Context) -> dict[str, Any]:
    values = context.userdata
    if not values.get("expense"):
        return {"checked_out": False, "message": "Confirm the total first."}
    if not all(values.get(k) for k in ("card_number", "card_expiry", "card_cvv")):
        return {"checked_out": False, "message": "Collect the card details first."}
    await values.update(checked_out=True)
    return {"checked_out": True}


def _schema(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


TEXT = {"type": "string"}
SECRET = {"type": "string", "sensitive": True}

ROLE = """You take calls for a small restaurant. The menu: Pizza $10, Salad $5, Ice Cream $3, Coffee $2.
What is known about the caller so far:
- name: {{ customer_name or "unknown" }}
- phone: {{ customer_phone or "unknown" }}
- reservation: {{ reservation_time or "none" }}{% if reservation_confirmed %} (confirmed){% endif %}
- takeaway order: {{ order | join(", ") if order else "none" }}
- total: {{ expense or "unknown" }}
- card: {{ "on file, ending in " ~ card_number[-4:] if card_number else "none" }}
- paid: {{ "yes" if checked_out else "no" }}"""

SCRIPT = [
    "Hi, I'd like to order takeaway",
    "One pizza and a coffee please",
    "That's everything, please confirm the order",
    "Yes, 12 dollars is fine",
    "My name is Ann Lee",
    "My phone number is 555 0100",
    "My card is 4111 1111 1111 1111, expiry 12/29, CVV 123",
    "Please check out",
    "I would also like to book a table",
    "At 7 PM tonight",
    "Yes, confirm the reservation",
]
"""A caller who orders takeaway, pays, then books a table: every agent and every tool."""


def _offline(
    *, decide: list[dict[str, str]] | None = None, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """How the offline LLM plays each agent in :data:`SCRIPT` (a real model ignores it)."""
    return {"offline": {"decide": decide or [], "tool_calls": tool_calls or []}}


def seed(db: Session) -> Conversation:
    """The conversation, its four agents, their tools and edges."""
    tool = {
        name: Tool(name=name, function_name=name, description=description, parameters_schema=schema)
        for name, description, schema in [
            ("update_name", "Record the caller's name (confirm the spelling first).", _schema(name=TEXT)),
            ("update_phone", "Record the caller's phone number (confirm it first).", _schema(phone=TEXT)),
            ("update_reservation_time", "Record the time of the reservation.", _schema(time=TEXT)),
            ("confirm_reservation", "Confirm the reservation once the caller agrees to it.", _schema()),
            (
                "update_order",
                "Record the caller's whole takeaway order.",
                _schema(items={"type": "array", "items": TEXT}),
            ),
            ("confirm_order", "Confirm the order once the caller says it is complete.", _schema()),
            ("confirm_expense", "Record the total once the caller agrees to it.", _schema(expense={"type": "number"})),
            (
                "update_credit_card",
                "Record the card number, expiry date and CVV (confirm them first).",
                _schema(number=SECRET, expiry=SECRET, cvv=SECRET),
            ),
            ("confirm_checkout", "Complete the payment once the caller confirms it.", _schema()),
        ]
    }
    name_rule = {
        "when_user_says": "name is",
        "tool": "update_name",
        "arguments_from_user": {"name": r"name is ([A-Za-z ]*[A-Za-z])"},
    }
    phone_rule = {
        "when_user_says": "number is",
        "tool": "update_phone",
        "arguments_from_user": {"phone": r"number is ([\d ]*\d)"},
    }
    greeter = Agent(
        name="Greeter",
        description="The receptionist.",
        instructions=(
            "You are the receptionist. Find out whether the caller wants to book a table or order takeaway, and "
            "hand them to the colleague who does it."
        ),
        on_enter=[
            {
                "type": "say",
                "text": "{% if customer_name %}Thank you, {{ customer_name }}! Anything else I can do for you?"
                "{% else %}Welcome to our restaurant! Would you like to book a table or order takeaway?{% endif %}",
            }
        ],
        context_strategy="last_n",
        context_options={"n": 6},
        config={
            "reply_on_enter": False,  # its on_enter says what to say
            **_offline(
                decide=[
                    {"when_user_says": "takeaway", "target": "Takeaway", "reason": "the caller orders takeaway"},
                    {"when_user_says": "table", "target": "Reservation", "reason": "the caller books a table"},
                ]
            ),
        },
    )
    reservation = Agent(
        name="Reservation",
        instructions=(
            "You take reservations: ask for the time, then the caller's name and phone number, then confirm the "
            "reservation with them."
        ),
        tools=[tool["update_reservation_time"], tool["confirm_reservation"]],
        context_strategy="last_n",
        context_options={"n": 6},
        config=_offline(
            tool_calls=[
                {
                    "when_user_says": "PM",
                    "tool": "update_reservation_time",
                    "arguments_from_user": {"time": r"(\d+ ?PM)"},
                },
                {"when_user_says": "confirm", "tool": "confirm_reservation"},
                name_rule,
                phone_rule,
            ]
        ),
    )
    takeaway = Agent(
        name="Takeaway",
        instructions="You take takeaway orders from the menu. Clarify special requests, then confirm the order.",
        tools=[tool["update_order"], tool["confirm_order"]],
        context_strategy="last_n",
        context_options={"n": 6},
        config=_offline(
            tool_calls=[
                {"when_user_says": "pizza", "tool": "update_order", "arguments": {"items": ["Pizza", "Coffee"]}},
                {"when_user_says": "confirm", "tool": "confirm_order"},
            ]
        ),
    )
    checkout = Agent(
        name="Checkout",
        instructions=(
            "You take payment for the order ({{ order | join(', ') }}). First confirm its total, then collect "
            "the caller's name, phone number and card (number, expiry date and CVV), one at a time."
        ),
        tools=[tool["confirm_expense"], tool["update_credit_card"], tool["confirm_checkout"]],
        sensitive_input=True,  # the caller reads a card number to it
        context_strategy="last_n",
        context_options={"n": 6},
        config=_offline(
            tool_calls=[
                {
                    "when_user_says": "dollars",
                    "tool": "confirm_expense",
                    "arguments_from_user": {"expense": {"pattern": r"(\d+) dollars", "type": "number"}},
                },
                name_rule,
                phone_rule,
                {
                    "when_user_says": "card is",
                    "tool": "update_credit_card",
                    "arguments_from_user": {
                        "number": r"card is ([\d ]*\d)",
                        "expiry": r"expiry (\d\d/\d\d)",
                        "cvv": r"CVV (\d{3,4})",
                    },
                },
                {"when_user_says": "check out", "tool": "confirm_checkout"},
            ]
        ),
    )
    agents = [greeter, reservation, takeaway, checkout]
    conversation = Conversation(
        name=NAME,
        # what the tools set through RunContext, so that lint knows the templates" values have a source
        config={
            "context_keys": [
                "customer_name",
                "customer_phone",
                "expense",
                "order",
                "reservation_time",
                "card_number",
                "checked_out",
            ]
        },
        description="LiveKit Agents' restaurant example: reservations, takeaway orders and payment.",
        initial_agent=greeter,
        agents=agents,
        role_instructions=ROLE,
        tools=[tool["update_name"], tool["update_phone"]],
        sensitive_keys=["card_number", "card_expiry", "card_cvv"],
    )
    db.add(conversation)
    db.flush()
    back = "The caller asks for something outside your job, or is done with you."
    edges: list[tuple[Agent, Agent, str, dict[str, Any], str | None]] = [
        (greeter, reservation, "agent_decision", {}, "The caller wants to make or change a reservation."),
        (greeter, takeaway, "agent_decision", {}, "The caller wants to order takeaway, or pay for an order."),
        (reservation, greeter, "tool_result", _is("confirm_reservation", "confirmed"), "Reservation confirmed."),
        (reservation, greeter, "agent_decision", {}, back),
        (takeaway, checkout, "tool_result", _is("confirm_order", "confirmed"), "Order confirmed: take payment."),
        (takeaway, greeter, "agent_decision", {}, back),
        (checkout, greeter, "tool_result", _is("confirm_checkout", "checked_out"), "Paid."),
        (checkout, takeaway, "agent_decision", {}, "The caller wants to change the order."),
        (checkout, greeter, "agent_decision", {}, back),
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


def _is(tool: str, key: str) -> dict[str, Any]:
    return {"tool_name": tool, "result_key": key, "operator": "eq", "expected_value": True}


async def play(database_url: str, console: Console | None = None) -> dict[str, Any]:
    """Seed the conversation into ``database_url`` and play :data:`SCRIPT`; returns the final context."""
    with init_db(database_url) as sessions, sessions() as db:
        seed(db)
    return await chat(database_url, NAME, console=console or Console(highlight=False), lines=SCRIPT, tools=TOOLS)


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "out/restaurant_agent.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    asyncio.run(play(f"sqlite:///{path}"))
