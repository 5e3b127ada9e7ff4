"""Flow design on a real AgentSession in text mode with the offline LLM: templated prompts, on_enter / on_exit actions,
ending the conversation, context strategies, context values through RunContext, the transfer tool's descriptions,
hand-over notes and conversation-level tools."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from livekit.agents import RunContext, llm
from sqlalchemy.orm import Session

from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.livekit.history import SUMMARY_HEADER
from rataura2.livekit.offline_llm import DECISION_TOOL_NAME
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.livekit.tools import ToolRegistry
from rataura2.livekit.values import SessionValues, session_values
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import EventType
from tests.livekit_support import TIMEOUT, messages, running

NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def conversation(
    db: Session,
    agents: list[Agent],
    edges: list[tuple[Agent, Agent, str, dict[str, Any]] | tuple[Agent, Agent, str, dict[str, Any], str]],
    **fields: Any,
) -> Conversation:
    row = Conversation(name="flow test", initial_agent=agents[0], agents=agents, **fields)
    db.add(row)
    db.flush()
    for source, target, kind, data, *description in edges:
        db.add(
            Transition(
                source_agent=source,
                target_agent=target,
                condition_type=kind,
                condition_data=data,
                description=description[0] if description else None,
            )
        )
    db.commit()
    return row


def system_notes(chat_ctx: llm.ChatContext) -> list[str]:
    """The system messages of a history other than the agent's instructions."""
    return [
        item.text_content or ""
        for item in chat_ctx.items
        if isinstance(item, llm.ChatMessage) and item.role == "system" and not item.id.startswith("lk.")
    ]


async def test_a_templated_prompt_shows_a_value_a_tool_set_through_run_context(sqlite_db: Session) -> None:
    tools = ToolRegistry()

    @tools.register
    def remember_name(name: str, context: RunContext) -> str:  # type: ignore[type-arg]  # sync: in a worker thread
        context.userdata["customer_name"] = name  # queued; read back at once
        return f"Nice to meet you, {context.userdata['customer_name']}."

    name_tool = Tool(name="remember_name", function_name="remember_name", parameters_schema=NAME_SCHEMA)
    front = Agent(
        name="Front",
        instructions="Ask for the caller's name.",
        tools=[name_tool],
        config={
            "offline": {
                "tool_calls": [
                    {"when_user_says": "name is", "tool": "remember_name", "arguments_from_user": {"name": r"is (\w+)"}}
                ]
            }
        },
    )
    desk = Agent(name="Desk", instructions="Greet {{ customer_name }} by name.")
    row = conversation(
        sqlite_db,
        [front, desk],
        [(front, desk, "tool_result", {"tool_name": "remember_name"})],
        role_instructions="You work at Chez Test. Caller: {{ customer_name | default('unknown') }}.",
    )
    async with running(sqlite_db, row, tools=tools) as live:
        assert live.session.current_agent.instructions == (
            "You work at Chez Test. Caller: unknown.\n\nAsk for the caller's name."
        )
        await live.bridge.user_input("hello, my name is Ann")
        assert live.agent_name == "Desk"
        assert live.session.current_agent.instructions == "You work at Chez Test. Caller: Ann.\n\nGreet Ann by name."
        entry = live.orchestrator.context.get_entry("customer_name")
        assert entry is not None and entry.value == "Ann"
        assert entry.metadata == {"source": "api", "set_by": "tool remember_name"}
        context = await live.context()
        written = next(e for e in context["events"] if e["data"].get("set_by") == "tool remember_name")
        assert written["type"] == EventType.CUSTOM.value and written["data"]["context_updates"] == {
            "customer_name": "Ann"
        }


async def test_a_tool_write_through_run_context_fires_a_cel_edge_at_once_and_survives_a_resume(
    sqlite_db: Session,
) -> None:
    seen: list[Any] = []
    tools = ToolRegistry()

    @tools.register
    async def set_level(level: str, context: RunContext) -> str:  # type: ignore[type-arg]
        result = await context.userdata.update(level=level)
        seen.append((result.transitioned, context.session.current_agent.id))
        return f"level {level}"

    schema = {"type": "object", "properties": {"level": {"type": "string"}}, "required": ["level"]}
    level_tool = Tool(name="set_level", function_name="set_level", parameters_schema=schema)
    front = Agent(
        name="Front",
        tools=[level_tool],
        config={
            "offline": {"tool_calls": [{"when_user_says": "gold", "tool": "set_level", "arguments": {"level": "gold"}}]}
        },
    )
    vip = Agent(name="Vip", instructions="You serve {{ level }} members.")
    row = conversation(
        sqlite_db,
        [front, vip],
        [(front, vip, "custom", {"condition_code": 'has(context.level) && context.level == "gold"'})],
    )
    manager = SessionManager(sqlite_db, durability="sync")
    async with running(sqlite_db, row, tools=tools, manager=manager, session_id="vip-1") as live:
        await live.bridge.user_input("I am a gold member")
        # the write handed the session over while the tool was still running, before its result was reported
        assert seen == [(True, "Vip")]
        assert live.agent_name == "Vip"
        assert live.session.current_agent.instructions == "You serve gold members."
        context = await live.context()
        move = context["transitions"][-1]
        trigger = next(e for e in context["events"] if e["id"] == move["trigger_event_id"])
        assert trigger["data"]["set_by"] == "tool set_level" and move["reason"].startswith("expression")
        assert isinstance(live.session.userdata, SessionValues) and live.bridge.values["level"] == "gold"
        manager.close()  # the worker is gone: the session is let go, not ended

    resumed = SessionManager(sqlite_db, durability="sync").resume_session("vip-1")
    assert not resumed.ended
    assert resumed.get_context()["level"] == "gold" and resumed.get_current_agent().name == "Vip"


async def test_on_enter_speaks_and_runs_a_tool_before_the_users_next_turn(sqlite_db: Session) -> None:
    calls: list[dict[str, Any]] = []
    tools = ToolRegistry()

    @tools.register
    def lookup_order(order: str) -> dict[str, Any]:
        calls.append({"order": order})
        return {"order": order, "status": "ready"}

    schema = {"type": "object", "properties": {"order": {"type": "string"}}, "required": ["order"]}
    lookup = Tool(name="lookup_order", function_name="lookup_order", parameters_schema=schema)
    router = Agent(name="Router")
    desk = Agent(
        name="Desk",
        tools=[lookup],
        on_enter=[
            {"type": "set_context", "values": {"stage": "desk"}},
            {"type": "say", "text": "Welcome to the {{ stage }}, {{ customer_name }}."},
            {"type": "run_tool", "tool": "lookup_order", "arguments": {"order": "{{ order_id }}"}},
        ],
    )
    row = conversation(sqlite_db, [router, desk], [(router, desk, "user_input", {"pattern": "desk"})])
    start = {"initial_context": {"customer_name": "Ann", "order_id": "A-7"}}
    async with running(sqlite_db, row, tools=tools, **start) as live:
        await live.bridge.user_input("take me to the desk")
        await live.bridge.user_input("thanks")

        assert calls == [{"order": "A-7"}]
        assert messages(live.session.history) == [
            ("user", "take me to the desk"),
            ("assistant", "Welcome to the desk, Ann."),
            ("assistant", '[Desk] lookup_order returned: {"order": "A-7", "status": "ready"}'),
            ("user", "thanks"),
            ("assistant", '[Desk] You said: "thanks".'),
        ]
        context = await live.context()
        assert context["stage"] == "desk"
        called, returned = (e for e in context["events"] if e["type"] in ("tool_called", "tool_result"))
        assert called["source"] == returned["source"] == "action:Desk.on_enter"
        assert returned["data"]["result"] == {"order": "A-7", "status": "ready"}


async def test_end_conversation_closes_the_session_after_the_goodbye(sqlite_db: Session) -> None:
    router = Agent(name="Router")
    end = Agent(
        name="End",
        on_enter=[
            {"type": "say", "text": "Goodbye, {{ customer_name }}!"},
            {"type": "end_conversation", "reason": "the caller said goodbye"},
        ],
    )
    row = conversation(sqlite_db, [router, end], [(router, end, "user_input", {"pattern": "bye"})])
    async with running(sqlite_db, row, initial_context={"customer_name": "Ann"}) as live:
        closed = asyncio.Event()
        live.session.on("close", lambda _event: closed.set())
        await live.bridge.user_input("bye now")
        async with asyncio.timeout(TIMEOUT):
            await live.bridge.wait_ended()
            await closed.wait()

        assert live.bridge.closed and live.orchestrator.ended
        assert messages(live.session.history) == [("user", "bye now"), ("assistant", "Goodbye, Ann!")]
        context = live.orchestrator.get_context()
        assert context["session"]["status"] == "ended"
        assert context["session"]["end_reason"] == "the caller said goodbye"
        said = [e for e in context["events"] if e["type"] in ("agent_message", "session_ended")]
        assert [(e["type"], e["data"].get("message")) for e in said] == [
            ("agent_message", "Goodbye, Ann!"),
            ("session_ended", None),
        ]
        assert live.orchestrator.session_id not in live.handler.session_manager
        with pytest.raises(RuntimeError, match="closed"):
            await live.bridge.user_input("hello?")


async def test_a_tool_can_end_the_conversation_after_the_reply_it_leads_to(sqlite_db: Session) -> None:
    tools = ToolRegistry()

    @tools.register
    async def hang_up(context: RunContext) -> str:  # type: ignore[type-arg]
        await context.userdata.end_conversation("the caller hung up")
        return "Goodbye then."

    front = Agent(
        name="Front",
        tools=[Tool(name="hang_up", function_name="hang_up")],
        config={"offline": {"tool_calls": [{"when_user_says": "hang up", "tool": "hang_up"}]}},
    )
    row = conversation(sqlite_db, [front], [])
    async with running(sqlite_db, row, tools=tools) as live:
        await live.bridge.user_input("please hang up")
        async with asyncio.timeout(TIMEOUT):
            await live.bridge.wait_ended()
        assert messages(live.session.history)[-1] == ("assistant", "[Front] hang_up returned: Goodbye then.")
        assert live.orchestrator.get_context()["session"]["end_reason"] == "the caller hung up"


async def test_on_exit_actions_run_as_the_agent_leaves_and_a_handover_action_moves_on(sqlite_db: Session) -> None:
    router = Agent(
        name="Router",
        on_exit=[
            {"type": "say", "text": "Passing you on."},
            {"type": "set_context", "values": {"left_router": True}},
        ],
    )
    hub = Agent(
        name="Hub",
        on_enter=[{"type": "set_context", "values": {"via_hub": True}}, {"type": "handover", "agent": "Desk"}],
    )
    desk = Agent(name="Desk")
    row = conversation(sqlite_db, [router, hub, desk], [(router, hub, "user_input", {"pattern": "hub"})])
    async with running(sqlite_db, row) as live:
        await live.bridge.user_input("to the hub please")
        assert live.agent_name == "Desk"
        context = await live.context()
        assert [(t["from_agent_name"], t["to_agent_name"]) for t in context["transitions"]] == [
            ("Router", "Hub"),
            ("Hub", "Desk"),
        ]
        assert context["transitions"][1]["reason"] == "on_enter of Hub hands over to Desk"
        assert context["left_router"] is True and context["via_hub"] is True
        assert messages(live.session.history) == [
            ("user", "to the hub please"),
            ("assistant", "Passing you on."),  # Router, before it left
            ("assistant", '[Desk] You said: "to the hub please".'),  # Hub said nothing: it handed over on entry
        ]


STRATEGIES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "Keep": ("append", None),
    "Fresh": ("reset", None),
    "Recent": ("last_n", {"n": 2}),
    "Digest": ("reset_with_summary", {"summary_prompt": "Summarise the conversation for {{ customer_name }}."}),
    "Brief": ("reset_with_summary", {"summary_template": "{{ customer_name }} asked about {{ topic }}."}),
}


@pytest.mark.parametrize("target", list(STRATEGIES))
async def test_each_context_strategy_gives_the_new_agent_the_history_it_promises(
    sqlite_db: Session, target: str
) -> None:
    router = Agent(name="Router")
    agents = [router] + [
        Agent(name=name, context_strategy=strategy, context_options=options)
        for name, (strategy, options) in STRATEGIES.items()
    ]
    edges = [(router, agent, "user_input", {"pattern": agent.name.lower()}) for agent in agents[1:]]
    row = conversation(sqlite_db, agents, edges)
    start = {"initial_context": {"customer_name": "Ann", "topic": "pizza"}}
    async with running(sqlite_db, row, **start) as live:
        for text in ("first", "second", "third"):
            await live.bridge.user_input(text)
        await live.bridge.user_input(f"over to {target.lower()} now")
        assert live.agent_name == target
        history = live.session.current_agent.chat_ctx
        said = messages(history)
        trigger = ("user", f"over to {target.lower()} now")
        answer = ("assistant", f'[{target}] You said: "over to {target.lower()} now".')
        earlier = [
            (role, text)
            for turn in ("first", "second", "third")
            for role, text in (("user", turn), ("assistant", f'[Router] You said: "{turn}".'))
        ]
        if target == "Keep":
            assert said == [*earlier, trigger, answer] and system_notes(history) == []
        elif target == "Fresh":
            assert said == [trigger, answer] and system_notes(history) == []
        elif target == "Recent":
            assert said == [*earlier[-2:], trigger, answer]
        elif target == "Digest":
            assert said == [trigger, answer]
            (summary,) = system_notes(history)
            # written by the new agent's own (offline) LLM, which echoes the transcript it was given
            assert summary.startswith(f"{SUMMARY_HEADER}\n[Digest] You said:")
            assert 'user: second\nassistant: [Router] You said: "second".' in summary
        else:
            assert said == [trigger, answer]
            assert system_notes(history) == [f"{SUMMARY_HEADER}\nAnn asked about pizza."]
        assert [text for _, text in messages(live.session.history)][:2] == ["first", '[Router] You said: "first".']


async def test_the_transfer_tool_describes_each_target_and_the_new_agent_is_told_what_moved_it(
    sqlite_db: Session,
) -> None:
    tools = ToolRegistry()

    @tools.register
    def quote(item: str) -> dict[str, Any]:
        return {"item": item, "price": 12}

    quote_tool = Tool(
        name="quote",
        function_name="quote",
        parameters_schema={"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]},
    )
    greeter = Agent(
        name="Greeter",
        config={"offline": {"decide": [{"when_user_says": "order", "target": "Orders", "reason": "wants food"}]}},
    )
    orders = Agent(
        name="Orders",
        tools=[quote_tool],
        context_strategy="reset",
        config={
            "offline": {"tool_calls": [{"when_user_says": "price", "tool": "quote", "arguments": {"item": "pie"}}]}
        },
    )
    billing = Agent(name="Billing", description="Takes payments.", context_strategy="reset")
    support = Agent(name="Support")
    row = conversation(
        sqlite_db,
        [greeter, orders, billing, support],
        [
            (greeter, orders, "agent_decision", {}, "The caller wants to order food for takeaway."),
            (greeter, billing, "agent_decision", {}),
            (greeter, support, "agent_decision", {}),
            (
                orders,
                billing,
                "tool_result",
                {"tool_name": "quote", "result_key": "price", "operator": "gt", "expected_value": 10},
            ),
        ],
    )
    async with running(sqlite_db, row, tools=tools) as live:
        transfer = next(t for t in live.session.current_agent.tools if t.id == DECISION_TOOL_NAME)
        description = transfer.info.raw_schema["description"]
        assert description.endswith(
            "The agents you can hand over to, and when:\n"
            "- Orders: The caller wants to order food for takeaway.\n"
            "- Billing: Takes payments.\n"
            "- Support"
        )
        await live.bridge.user_input("I want to order")
        assert live.agent_name == "Orders"
        assert system_notes(live.session.current_agent.chat_ctx) == [
            "Greeter chose to hand the conversation over to Orders: wants food."
        ]
        await live.bridge.user_input("what is the price")
        assert live.agent_name == "Billing"
        history = live.session.current_agent.chat_ctx
        assert messages(history)[0] == ("user", "what is the price")  # the turn that moved it goes along
        (note,) = system_notes(history)
        assert note == (
            'Orders called quote({"item": "pie"}), which returned {"item": "pie", "price": 12}. That handed the '
            "conversation from Orders to Billing (tool 'quote' returned result.price=12 gt 10)."
        )


async def test_conversation_tools_are_offered_to_every_agent(sqlite_db: Session) -> None:
    tools = ToolRegistry()

    @tools.register
    def opening_hours() -> str:
        return "5 PM to 10 PM"

    hours = Tool(name="opening_hours", function_name="opening_hours")
    rule = {"offline": {"tool_calls": [{"when_user_says": "open", "tool": "opening_hours"}]}}
    first, second = Agent(name="First", config=rule), Agent(name="Second", config=rule)
    row = conversation(
        sqlite_db, [first, second], [(first, second, "user_input", {"pattern": "second"})], tools=[hours]
    )
    async with running(sqlite_db, row, tools=tools) as live:
        assert [t.id for t in live.session.current_agent.tools] == ["opening_hours"]
        await live.bridge.user_input("second please")
        result = await live.session.run(user_input="when are you open?")
        result.expect.next_event().is_function_call(name="opening_hours")
        result.expect.next_event().is_function_call_output(output="5 PM to 10 PM")
        assert live.agent_name == "Second"


async def test_session_values_are_found_from_a_run_context_when_the_session_has_userdata_of_its_own(
    sqlite_db: Session,
) -> None:
    tools = ToolRegistry()

    @tools.register
    async def note(context: RunContext) -> str:  # type: ignore[type-arg]
        await session_values(context).update(noted=context.userdata["mine"])
        return "noted"

    front = Agent(
        name="Front",
        tools=[Tool(name="note", function_name="note")],
        config={"offline": {"tool_calls": [{"when_user_says": "note", "tool": "note"}]}},
    )
    row = conversation(sqlite_db, [front], [])
    handler = LivekitSessionHandler(sqlite_db, SessionManager(sqlite_db), tools=tools)
    session = text_agent_session(userdata={"mine": 42})
    async with asyncio.timeout(TIMEOUT):
        orchestrator = await handler.start_session(session, row.id)
        await handler.bridge(orchestrator.session_id).user_input("note this")
        await session.aclose()
        await handler.aclose()
    handler.session_manager.close()
    assert orchestrator.get_context()["noted"] == 42 and session.userdata == {"mine": 42}


async def test_a_conversation_that_ends_itself_ends_its_livekit_job(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livekit.agents.testing import fake_job_context

    from rataura2.db.session import init_db
    from rataura2.livekit import worker

    sessions = init_db(f"sqlite:///{tmp_path / 'job.db'}")
    with sessions() as db:
        closing = Agent(
            name="Closing", on_enter=[{"type": "say", "text": "Bye!"}, {"type": "end_conversation", "reason": "done"}]
        )
        conversation(db, [closing], [])
    with fake_job_context(job_metadata='{"conversation": "flow test"}', job_id="job-9") as ctx:
        reasons: list[str] = []
        monkeypatch.setattr(ctx, "shutdown", lambda reason="": reasons.append(reason))
        async with asyncio.timeout(TIMEOUT):
            job = await worker.run_job(ctx, sessions, room_io=False)
            await job.handler.bridge(job.orchestrator.session_id).wait_ended()
            await job.handler.aclose()
    sessions.dispose()
    assert reasons == ["done"]
    assert job.orchestrator.get_context()["session"]["end_reason"] == "done"
