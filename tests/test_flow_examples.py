"""The three ported flows in examples/, each driven to its end on a text-mode AgentSession with the offline LLM."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from livekit.agents import llm
from rich.console import Console
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session

from rataura2.core.sensitive import REDACTED
from rataura2.db.lint import lint_conversation
from rataura2.livekit.bridge import Handoff
from rataura2.livekit.factory import OrchestratedAgent
from rataura2.livekit.history import SUMMARY_HEADER
from rataura2.sessions.manager import SessionManager
from tests.livekit_support import Running, messages, running

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def play(live: Running, script: list[str]) -> dict[str, OrchestratedAgent]:
    """Send each line of ``script`` as a user turn; returns the LiveKit agents the session went through, by name."""
    agents = {live.session.current_agent.id: live.bridge.active_agent}

    def entered(handoff: Handoff) -> None:
        agents[handoff.to_agent.name] = live.bridge.active_agent

    live.bridge.add_handoff_listener(entered)
    for line in script:
        if live.bridge.closed:
            break
        await live.bridge.user_input(line)
    return {name: agent for name, agent in agents.items() if agent is not None}


def path_taken(context: dict[str, Any]) -> list[str]:
    return [context["initial_agent_name"], *(t["to_agent_name"] for t in context["transitions"])]


async def test_livekits_restaurant_agent_takes_an_order_a_payment_and_a_reservation(sqlite_db: Session) -> None:
    restaurant = example("restaurant_agent")
    conversation = restaurant.seed(sqlite_db)
    manager = SessionManager(sqlite_db, durability="sync")
    async with running(sqlite_db, conversation, tools=restaurant.TOOLS, manager=manager) as live:
        agents = await play(live, restaurant.SCRIPT)
        context = await live.context()

        assert path_taken(context) == ["Greeter", "Takeaway", "Checkout", "Greeter", "Reservation", "Greeter"]
        assert context["order"] == ["Pizza", "Coffee"] and context["expense"] == 12
        assert context["customer_name"] == "Ann Lee" and context["customer_phone"] == "555 0100"
        assert context["checked_out"] is True and context["reservation_confirmed"] is True
        assert context["reservation_time"] == "7 PM"
        assert {context[k] for k in ("card_number", "card_expiry", "card_cvv")} == {REDACTED}
        assert live.bridge.values["card_number"] == "4111 1111 1111 1111"
        # every agent is told what is known about the caller, by the role instructions rendered as it enters
        assert "- card: on file, ending in 1111\n- paid: yes" in agents["Reservation"].instructions
        assert "You take payment for the order (Pizza, Coffee)." in agents["Checkout"].instructions
        assert [t.id for t in agents["Checkout"].tools][:2] == ["confirm_expense", "update_credit_card"]
        assert {"update_name", "update_phone"} <= {t.id for t in agents["Takeaway"].tools}  # conversation tools
        # last_n: Checkout kept the end of Takeaway's conversation, not all of it
        assert messages(agents["Checkout"].chat_ctx)[0] == ("user", "One pizza and a coffee please")
        assert messages(live.session.history)[-1] == (
            "assistant",
            "Thank you, Ann Lee! Anything else I can do for you?",
        )
        transfer = next(t for t in agents["Greeter"].tools if t.id == "transfer_to_agent")
        assert (
            "- Takeaway: The caller wants to order takeaway, or pay for an order."
            in transfer.info.raw_schema["description"]
        )
        manager.close()
    metadata = MetaData()
    metadata.reflect(sqlite_db.get_bind())
    stored = " ".join(str(row) for table in metadata.sorted_tables for row in sqlite_db.execute(select(table)))
    assert "Ann Lee" in stored and "4111111111111111" not in re.sub(r"[\s-]", "", stored)


async def test_pipecats_restaurant_reservation_offers_other_times_and_ends_itself(sqlite_db: Session) -> None:
    reservation = example("restaurant_reservation")
    conversation = reservation.seed(sqlite_db)
    async with running(sqlite_db, conversation, tools=reservation.TOOLS) as live:
        agents = await play(live, reservation.SCRIPT)
        await live.bridge.wait_ended()
        context = live.orchestrator.get_context()

        assert path_taken(context) == ["Party size", "Time", "No availability", "Confirm", "Goodbye"]
        assert context["party_size"] == 4 and context["reserved_time"] == "9:00 PM"
        assert agents["Time"].instructions.endswith(
            "Ask what time the party of 4 would like to dine. We are open from 5 PM to 10 PM."
        )
        assert agents["No availability"].instructions.startswith("You are the reservation assistant of La Maison")
        assert (
            "there is no table at 8:00 PM. Offer these times instead: 5:00 PM, 6:00 PM, 9:00 PM, 10:00 PM"
            in agents["No availability"].instructions
        )
        assert messages(live.session.history)[0] == (
            "assistant",
            "Bonjour, and welcome to La Maison! How many people will be dining?",
        )
        assert messages(live.session.history)[-1] == (
            "assistant",
            "We look forward to seeing the 4 of you at 9:00 PM. Thank you for calling La Maison, au revoir!",
        )
        assert live.orchestrator.ended and context["session"]["end_reason"] == "the caller is done"


async def test_pipecats_patient_intake_verifies_collects_reviews_a_summary_and_ends(sqlite_db: Session) -> None:
    intake = example("patient_intake")
    conversation = intake.seed(sqlite_db)
    async with running(sqlite_db, conversation, tools=intake.TOOLS) as live:
        agents = await play(live, intake.SCRIPT)
        await live.bridge.wait_ended()
        context = live.orchestrator.get_context()

        assert path_taken(context) == [
            "Identity",
            "Prescriptions",
            "Allergies",
            "Conditions",
            "Visit reasons",
            "Review",
            "Confirmation",
            "End",
        ]
        assert context["birthday"] == "1983-01-01" and context["birthday_verified"] is True
        assert context["prescriptions"] == [{"medication": "Lisinopril", "dosage": "10 mg"}]
        assert context["visit_reasons"] == [{"name": "headaches"}]
        # the wrong birth date kept the patient with Identity; the right one moved them on at once
        first = context["transitions"][0]
        assert first["reason"].startswith("expression") and context["turn_count"] == 8
        # reset: Prescriptions starts from the turn that moved the session only
        assert messages(agents["Prescriptions"].chat_ctx)[0] == ("user", "Sorry, my mistake: I was born on 1983-01-01")
        # reset_with_summary: Review starts from a summary written by its own LLM, not the conversation itself
        review = agents["Review"].chat_ctx
        summaries = [
            i.text_content or ""
            for i in review.items
            if isinstance(i, llm.ChatMessage)
            and i.role == "system"
            and (i.text_content or "").startswith(SUMMARY_HEADER)
        ]
        assert len(summaries) == 1 and "[Review] You said:" in summaries[0] and "penicillin" in summaries[0]
        assert ("user", "I'm allergic to penicillin") not in messages(review)
        assert "Prescriptions: Lisinopril (10 mg).\nAllergies: penicillin." in agents["Review"].instructions
        assert messages(live.session.history)[-1] == ("assistant", "Thank you for your time, Chad Bailey. Goodbye!")
        assert live.orchestrator.ended and context["session"]["end_reason"] == "intake complete"


async def test_an_example_plays_its_script_in_the_terminal_chat(tmp_path: Path) -> None:
    reservation = example("restaurant_reservation")
    out = io.StringIO()
    final = await reservation.play(f"sqlite:///{tmp_path / 'reservation.db'}", Console(file=out, width=200))
    assert final["current_agent_name"] == "Goodbye"
    assert (
        out.getvalue()
        .rstrip()
        .endswith("Session ended on Goodbye after 4 turns and 4 hand-overs (the caller is done).")
    )


def test_the_examples_lint_clean(sqlite_db: Session) -> None:
    """Our own examples are what designers copy: lint finds nothing in them (the values their tools set through
    RunContext are declared in the conversation's ``context_keys``)."""
    for name in ("restaurant_agent", "restaurant_reservation", "patient_intake"):
        conversation = example(name).seed(sqlite_db)
        report = lint_conversation(sqlite_db, conversation.id)
        assert [f.message for f in report.findings] == [], name
