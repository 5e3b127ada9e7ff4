"""Pipecat Flows' patient intake example (``examples/patient_intake.py``), as rataura2 data.

The original walks a patient through identity check, prescriptions, allergies, conditions and reasons for the visit,
then reviews everything and ends; its handlers store each answer in the flow manager's ``state``, the prescriptions
node resets the LLM's context, and the review node resets it with a summary the LLM writes. Here:

* every node is an agent and the shared role message is the conversation's ``role_instructions``;
* the handlers are tools that record what they are given in the session's context through ``RunContext``, and
  their results drive ``tool_result`` edges (the identity check drives a CEL edge on the value it set, which fires
  as soon as it is set: a wrong birth date leaves the patient where they are);
* ``ContextStrategy.RESET`` and ``RESET_WITH_SUMMARY`` are the agents' ``reset`` and ``reset_with_summary``
  context strategies (the summary written by the review agent's own LLM, from a prompt);
* the patient's name comes from the session's context (set by the first agent's ``on_enter`` here; by the call's
  metadata in a real deployment), and the review agent's instructions list what was recorded, as a template;
* "revise" and "confirm" are the transfer tool's edges, described for the LLM; the end node is an agent whose
  ``on_enter`` thanks the patient and ends the conversation.

Run it (offline, scripted by :data:`SCRIPT`)::

    .venv/bin/python examples/patient_intake.py [out/intake.db]
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

NAME = "Tri-County intake (Pipecat Flows port)"
TOOLS = ToolRegistry()
ON_FILE = "1983-01-01"
"""The birth date of the patient's record (the original checks against this one value too)."""


@TOOLS.register
async def verify_birthday(birthday: str, context: RunContext[Any]) -> dict[str, Any]:
    verified = birthday == ON_FILE
    await context.userdata.update(birthday=birthday, birthday_verified=verified)
    return {"verified": verified}


async def _record(context: RunContext[Any], key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    await context.userdata.update({key: items})
    return {"count": len(items)}


@TOOLS.register
async def record_prescriptions(prescriptions: list[dict[str, Any]], context: RunContext[Any]) -> dict[str, Any]:
    return await _record(context, "prescriptions", prescriptions)


@TOOLS.register
async def record_allergies(allergies: list[dict[str, Any]], context: RunContext[Any]) -> dict[str, Any]:
    return await _record(context, "allergies", allergies)


@TOOLS.register
async def record_conditions(conditions: list[dict[str, Any]], context: RunContext[Any]) -> dict[str, Any]:
    return await _record(context, "conditions", conditions)


@TOOLS.register
async def record_visit_reasons(visit_reasons: list[dict[str, Any]], context: RunContext[Any]) -> dict[str, Any]:
    return await _record(context, "visit_reasons", visit_reasons)


def _list_of(argument: str, **fields: str) -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {name: {"type": "string", "description": text} for name, text in fields.items()},
        "required": list(fields),
    }
    return {"type": "object", "properties": {argument: {"type": "array", "items": item}}, "required": [argument]}


SCRIPT = [
    "Hi Jessica, I was born on 1983-02-02",
    "Sorry, my mistake: I was born on 1983-01-01",
    "I take Lisinopril, 10 mg a day",
    "I'm allergic to penicillin",
    "I have type 2 diabetes",
    "I'm coming because of headaches",
    "Yes, that is all correct",
    "Great, thank you",
]
"""A patient who first gives a wrong birth date, then answers every question and confirms."""


def seed(db: Session) -> Conversation:
    tools = {
        "verify_birthday": (
            "Check the patient's birth date. Once it is verified, the prescriptions come next.",
            {
                "type": "object",
                "properties": {"birthday": {"type": "string", "description": "The birth date, as YYYY-MM-DD."}},
                "required": ["birthday"],
            },
        ),
        "record_prescriptions": (
            "Record the patient's prescriptions (or none). Allergies come next.",
            _list_of("prescriptions", medication="The medication's name.", dosage="Its dosage."),
        ),
        "record_allergies": (
            "Record the patient's allergies (or none). Medical conditions come next.",
            _list_of("allergies", name="What the patient is allergic to."),
        ),
        "record_conditions": (
            "Record the patient's medical conditions (or none). The reasons for the visit come next.",
            _list_of("conditions", name="The condition."),
        ),
        "record_visit_reasons": (
            "Record why the patient is coming. The review comes next.",
            _list_of("visit_reasons", name="A reason for the visit."),
        ),
    }
    tool = {
        name: Tool(name=name, function_name=name, description=description, parameters_schema=schema)
        for name, (description, schema) in tools.items()
    }

    def step(
        name: str, instructions: str, tool_name: str, phrase: str, arguments: dict[str, Any], **fields: Any
    ) -> Agent:
        rule = {"when_user_says": phrase, "tool": tool_name, "arguments": arguments}
        return Agent(
            name=name,
            instructions=instructions,
            tools=[tool[tool_name]],
            config={"offline": {"tool_calls": [rule]}},
            **fields,
        )

    start = Agent(
        name="Identity",
        instructions=(
            "Ask {{ patient_name }} for their date of birth, including the year, and check it with verify_birthday. "
            "If it does not match, ask again."
        ),
        tools=[tool["verify_birthday"]],
        on_enter=[
            {"type": "set_context", "values": {"patient_name": "Chad Bailey"}},
            {
                "type": "say",
                "text": "Hello {{ patient_name }}, this is Jessica from Tri-County Health Services. "
                "Could you tell me your date of birth, including the year?",
            },
        ],
        config={
            "offline": {
                "tool_calls": [
                    {
                        "when_user_says": "born on",
                        "tool": "verify_birthday",
                        "arguments_from_user": {"birthday": r"(\d{4}-\d\d-\d\d)"},
                    }
                ]
            }
        },
    )
    prescriptions = step(
        "Prescriptions",
        "Thank the patient for confirming, then ask which prescriptions they take, with the dosage of each.",
        "record_prescriptions",
        "take",
        {"prescriptions": [{"medication": "Lisinopril", "dosage": "10 mg"}]},
        context_strategy="reset",
    )
    allergies = step(
        "Allergies",
        "Ask about any allergies the patient has.",
        "record_allergies",
        "allergic",
        {"allergies": [{"name": "penicillin"}]},
    )
    conditions = step(
        "Conditions",
        "Ask about any medical conditions the patient has.",
        "record_conditions",
        "diabetes",
        {"conditions": [{"name": "type 2 diabetes"}]},
    )
    reasons = step(
        "Visit reasons",
        "Ask what brings the patient to the doctor today.",
        "record_visit_reasons",
        "because",
        {"visit_reasons": [{"name": "headaches"}]},
    )
    review = Agent(
        name="Review",
        instructions=(
            "Review what was recorded with the patient, then ask whether everything is correct, and wait for a "
            "clear answer.\n"
            "Prescriptions: {% for p in prescriptions %}{{ p.medication }} ({{ p.dosage }}){% if not loop.last %}, "
            "{% endif %}{% else %}none{% endfor %}.\n"
            "Allergies: {{ allergies | map(attribute='name') | join(', ') or 'none' }}.\n"
            "Conditions: {{ conditions | map(attribute='name') | join(', ') or 'none' }}.\n"
            "Reasons for the visit: {{ visit_reasons | map(attribute='name') | join(', ') or 'none' }}."
        ),
        context_strategy="reset_with_summary",
        context_options={
            "summary_prompt": (
                "Summarise the intake conversation with {{ patient_name }}: their birth date, prescriptions, "
                "allergies, medical conditions and reasons for visiting. Keep to the medical facts given."
            )
        },
        config={
            "offline": {
                "decide": [
                    {"when_user_says": "correct", "target": "Confirmation", "reason": "the patient confirmed"},
                    {"when_user_says": "wrong", "target": "Prescriptions", "reason": "the patient corrects it"},
                ]
            }
        },
    )
    confirmation = Agent(
        name="Confirmation",
        instructions="Thank the patient for confirming, and complete the intake.",
        config={"offline": {"decide": [{"when_user_says": "thank", "target": "End", "reason": "intake complete"}]}},
    )
    end = Agent(
        name="End",
        on_enter=[
            {"type": "say", "text": "Thank you for your time, {{ patient_name }}. Goodbye!"},
            {"type": "end_conversation", "reason": "intake complete"},
        ],
    )
    agents = [start, prescriptions, allergies, conditions, reasons, review, confirmation, end]
    conversation = Conversation(
        name=NAME,
        # what the tools set through RunContext, so that lint knows the templates" values have a source
        config={"context_keys": ["allergies", "conditions", "prescriptions", "visit_reasons"]},
        description="Pipecat Flows' patient intake example.",
        initial_agent=start,
        agents=agents,
        role_instructions=(
            "You are Jessica, an agent for Tri-County Health Services. Always use one of your functions to move "
            "the conversation on. Be professional but friendly."
        ),
    )
    db.add(conversation)
    db.flush()
    verified = {"condition_code": "has(context.birthday_verified) && context.birthday_verified == true"}
    edges: list[tuple[Agent, Agent, str, dict[str, Any], str | None]] = [
        (start, prescriptions, "custom", verified, "Identity verified."),
        (prescriptions, allergies, "tool_result", {"tool_name": "record_prescriptions"}, None),
        (allergies, conditions, "tool_result", {"tool_name": "record_allergies"}, None),
        (conditions, reasons, "tool_result", {"tool_name": "record_conditions"}, None),
        (reasons, review, "tool_result", {"tool_name": "record_visit_reasons"}, None),
        (review, prescriptions, "agent_decision", {}, "Something is wrong: collect the information again."),
        (review, confirmation, "agent_decision", {}, "The patient confirms that everything is correct."),
        (confirmation, end, "agent_decision", {}, "The intake is complete: end the conversation."),
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
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "out/patient_intake.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    asyncio.run(play(f"sqlite:///{path}"))
