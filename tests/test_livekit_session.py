"""The LiveKit bridge on a real AgentSession in text mode, with the offline LLM: hand-overs and their causes."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import pytest
from livekit import rtc
from livekit.agents import UserInputTranscribedEvent
from livekit.rtc._proto import participant_pb2, room_pb2
from sqlalchemy.orm import Session

from rataura2.db.models import Transition
from rataura2.errors import SessionEndedError
from rataura2.livekit.bridge import Handoff
from rataura2.livekit.offline_llm import DECISION_TOOL_NAME
from rataura2.livekit.session_handler import LivekitSessionHandler, text_agent_session
from rataura2.livekit.values import SessionValues
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import EventType
from tests.livekit_support import TIMEOUT, event_types, messages, registry, running, seed


@pytest.fixture
def conversation(sqlite_db: Session):  # type: ignore[no-untyped-def]
    return seed(sqlite_db)


async def test_user_text_hands_over_and_the_next_agent_answers_with_the_history(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        first = await live.session.run(user_input="hello")
        first.expect.next_event().is_message(role="assistant")
        assert live.agent_name == "Router"

        result = await live.session.run(user_input="I want combat")

        result.expect.next_event().is_agent_handoff(new_agent_type=type(live.session.current_agent))
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == '[Combat] You said: "I want combat".'
        result.expect.no_more_events()
        assert live.agent_name == "Combat"
        # the new agent has the earlier turns, and the old one never answered the turn that moved the session
        assert messages(live.session.current_agent.chat_ctx) == [
            ("user", "hello"),
            ("assistant", '[Router] You said: "hello".'),
            ("user", "I want combat"),
            ("assistant", '[Combat] You said: "I want combat".'),
        ]
        context = await live.context()
        assert context["current_agent_name"] == "Combat"
        assert context["turn_count"] == 2  # each user turn counted once
        assert context["transitions"][-1]["reason"] == "user said 'I want combat', which contains 'combat'"
        handoffs = [e for e in context["events"] if e["type"] == EventType.AGENT_STARTED.value]
        assert [e["data"]["agent_name"] for e in handoffs] == ["Router", "Combat"]  # the hand-over, as LiveKit saw it
        assert [m["agent_id"] for m in context["conversation"] if m["role"] == "assistant"] == [
            live.orchestrator.graph.get_agent("Router").id,
            live.orchestrator.graph.get_agent("Combat").id,
        ]


async def test_an_initial_agent_with_a_greeting_speaks_first(sqlite_db, conversation) -> None:
    from rataura2.db.models import Agent

    router = sqlite_db.query(Agent).filter_by(name="Router").one()
    router.config = {**(router.config or {}), "greeting": "Greet the pilot."}
    sqlite_db.commit()
    async with running(sqlite_db, conversation) as live:
        await live.bridge.settle()
        assert messages(live.session.history) == [("assistant", "[Router] Hello, how can I help?")]


async def test_an_agent_can_start_with_a_fresh_history(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        await live.session.run(user_input="hello")
        await live.session.run(user_input="please archive this")
        assert live.agent_name == "Archive"
        assert messages(live.session.current_agent.chat_ctx) == [
            ("user", "please archive this"),
            ("assistant", '[Archive] You said: "please archive this".'),
        ]
        assert [text for _, text in messages(live.session.history)][:2] == ["hello", '[Router] You said: "hello".']


async def test_a_tool_result_hands_over_after_the_tool_round(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        await live.session.run(user_input="combat please")
        result = await live.session.run(user_input="fit me a ship")

        result.expect.next_event().is_function_call(name="fit_ship", arguments={"ship": "Rifter"})
        output = result.expect.next_event().is_function_call_output().event().item
        assert '"cost_isk": 3200000' in output.output
        result.expect.next_event().is_agent_handoff()
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == '[Market] You said: "fit me a ship".'  # Combat did not answer the tool output
        result.expect.no_more_events()

        context = await live.context()
        called, returned = (e for e in context["events"] if e["type"] in ("tool_called", "tool_result"))
        assert called["data"]["tool_name"] == returned["data"]["tool_name"] == "fit_ship"
        assert called["data"]["arguments"] == {"ship": "Rifter"}
        assert returned["data"]["result"] == {"ship": "Rifter", "cost_isk": 3_200_000}
        fit_ship_id = next(t.id for t in live.orchestrator.graph.spec.tools.values() if t.name == "fit_ship")
        assert called["data"]["tool_id"] == returned["data"]["tool_id"] == fit_ship_id
        assert context["tool_results"]["fit_ship"]["cost_isk"] == 3_200_000
        assert context["transitions"][-1]["reason"] == "tool 'fit_ship' returned result.cost_isk=3200000 gte 1000000"
        assert live.agent_name == "Market"


async def test_a_tool_result_that_holds_no_condition_keeps_the_agent(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        await live.session.run(user_input="combat please")
        result = await live.session.run(user_input="a cheap fit")
        result.expect.contains_function_call(name="fit_ship")
        reply = result.expect[-1].is_message(role="assistant").event().item
        assert reply.text_content == '[Combat] fit_ship returned: {"ship": "Merlin", "cost_isk": 500000}'
        assert live.agent_name == "Combat"


async def test_tool_arguments_are_checked_against_the_rows_schema(sqlite_db, conversation) -> None:
    """A call whose arguments the schema refuses is a failure: it fires no tool_result edge (not even one that
    only asks that the tool returned), and its error never takes the place of a result."""
    combat, support = (next(a for a in conversation.agents if a.name == name) for name in ("Combat", "Support"))
    sqlite_db.add(
        Transition(
            source_agent=combat,
            target_agent=support,
            condition_type="tool_result",
            condition_data={"tool_name": "fit_ship"},
        )
    )
    sqlite_db.commit()
    async with running(sqlite_db, conversation) as live:
        await live.session.run(user_input="combat please")
        result = await live.session.run(user_input="a broken fit")
        output = result.expect.next_event(type="function_call_output").event().item
        assert output.is_error
        assert "invalid arguments for fit_ship" in output.output
        assert "'ship' is a required property" in output.output
        assert "'hull' was unexpected" in output.output
        assert live.agent_name == "Combat"
        context = await live.context()
        result_event = next(e for e in context["events"] if e["type"] == EventType.TOOL_RESULT.value)
        assert result_event["data"]["is_error"] is True
        assert [t["to_agent_name"] for t in context["transitions"]] == ["Combat"]
        assert "fit_ship" not in context["tool_results"]
        assert "invalid arguments for fit_ship" in context["tool_errors"]["fit_ship"]
        await live.session.run(user_input="a cheap fit")
        context = await live.context()
        assert [t["to_agent_name"] for t in context["transitions"]] == ["Combat", "Support"]
        assert context["tool_results"]["fit_ship"] == {"ship": "Merlin", "cost_isk": 500000}


async def test_the_decision_tool_hands_over_along_an_agent_decision_edge(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        result = await live.session.run(user_input="I want to sell my loot")

        result.expect.next_event().is_function_call(
            name=DECISION_TOOL_NAME, arguments={"target": "Market", "reason": "the pilot wants to sell"}
        )
        result.expect.next_event().is_function_call_output(output="The conversation is handed over to Market.")
        result.expect.next_event().is_agent_handoff()
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content == '[Market] You said: "I want to sell my loot".'
        context = await live.context()
        assert context["agent_decisions"] == {"transition_to": "Market"}
        assert context["transitions"][-1]["reason"] == "agent decided transition_to='Market'"
        assert live.agent_name == "Market"


async def test_the_decision_tool_refuses_a_target_off_the_graph(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        result = await live.session.run(user_input="let's explore")

        result.expect.next_event().is_function_call(name=DECISION_TOOL_NAME)
        output = result.expect.next_event().is_function_call_output().event().item
        assert output.is_error
        assert output.output == "cannot hand over to 'Exploration': the agents you can hand over to are Market"
        reply = result.expect.next_event().is_message(role="assistant").event().item
        assert reply.text_content.startswith("[Router] transfer_to_agent failed: cannot hand over to 'Exploration'")
        assert live.agent_name == "Router"
        context = await live.context()
        assert context["transitions"] == [] and context["agent_decisions"] == {}


async def test_only_agents_with_agent_decision_edges_get_the_decision_tool(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        router_tools = [t.id for t in live.session.current_agent.tools]
        assert DECISION_TOOL_NAME in router_tools
        schema = next(t for t in live.session.current_agent.tools if t.id == DECISION_TOOL_NAME).info.raw_schema
        assert schema["parameters"]["properties"]["target"]["enum"] == ["Market"]
        await live.session.run(user_input="combat please")
        assert [t.id for t in live.session.current_agent.tools] == ["fit_ship"]


async def test_a_participant_leaving_the_room_fires_a_livekit_event_transition(sqlite_db, conversation) -> None:
    room = rtc.Room()  # not connected: its events are injected the way the rtc FFI delivers them
    async with running(sqlite_db, conversation, session_id="room-1", room=room, room_io_enabled=False) as live:
        pilot = participant_pb2.OwnedParticipant(info=participant_pb2.ParticipantInfo(identity="pilot-7", name="Ann"))
        room._on_room_event(room_pb2.RoomEvent(participant_connected=room_pb2.ParticipantConnected(info=pilot)))
        room._on_room_event(
            room_pb2.RoomEvent(
                participant_disconnected=room_pb2.ParticipantDisconnected(
                    participant_identity="pilot-7", disconnect_reason=participant_pb2.CLIENT_INITIATED
                )
            )
        )
        await live.bridge.settle()

        assert live.agent_name == "Farewell"
        assert not any(text.startswith("[Farewell]") for _, text in messages(live.session.history))  # reply_on_enter
        context = await live.context()
        left = next(e for e in context["events"] if e["type"] == EventType.USER_LEFT.value)
        assert left["source"] == "livekit.participant_disconnected"
        assert left["data"]["participant_id"] == "pilot-7"
        assert left["data"]["reason"] == "CLIENT_INITIATED"
        assert (
            context["transitions"][-1]["reason"]
            == "participant_disconnected event from 'livekit.participant_disconnected'"
        )
        assert context["session"]["participants"] == []


async def test_room_events_can_be_handed_in_by_the_caller(sqlite_db, conversation) -> None:
    room = rtc.Room()
    async with running(sqlite_db, conversation, session_id="room-2", room=room, room_io_enabled=False) as live:
        info = participant_pb2.ParticipantInfo(identity="pilot-8")
        pilot = rtc.RemoteParticipant(participant_pb2.OwnedParticipant(info=info))
        joined = await live.handler.handle_participant_event(room, pilot, "participant_connected")
        assert [r.transitioned for r in joined] == [False]
        packet = rtc.DataPacket(data=b'{"kind": "scan"}', kind=rtc.DataPacketKind.KIND_RELIABLE, participant=pilot)
        await live.handler.handle_room_event(room, "data_received", packet)
        left = await live.handler.handle_participant_event(room, pilot, "participant_disconnected")
        assert left[0].transitioned and live.orchestrator.get_current_agent().name == "Farewell"
        custom = next(e for e in (await live.context())["events"] if e["type"] == EventType.CUSTOM.value)
        assert custom["data"]["payload"] == {"kind": "scan"} and custom["data"]["participant_id"] == "pilot-8"


async def test_an_agent_error_reaches_the_recovery_agent(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        errors: list[str] = []
        live.session.on("error", lambda ev: errors.append(str(ev.error.error)))
        await live.bridge.user_input("crash the model")  # returns once the turn is answered, by whichever agent
        assert errors == ["the model is down"]

        assert live.agent_name == "Support"
        context = await live.context()
        error = next(e for e in context["events"] if e["type"] == EventType.AGENT_ERROR.value)
        assert error["data"]["message"] == "OfflineLLMError: the model is down"
        assert error["data"]["recoverable"] is False and error["data"]["source"] == "OfflineLLM"
        assert context["last_error"]["message"] == "OfflineLLMError: the model is down"
        assert context["transitions"][-1]["to_agent_name"] == "Support"
        # the recovery agent answers the turn that failed
        assert messages(live.session.current_agent.chat_ctx)[-1] == (
            "assistant",
            '[Support] You said: "crash the model".',
        )


async def test_closing_the_agent_session_ends_the_orchestrator_session(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        await live.session.run(user_input="hello")
        ended = asyncio.Event()
        live.bridge.add_done_callback(ended.set)
        await live.session.aclose()
        await live.bridge.wait_ended()
        assert ended.is_set()

        assert live.orchestrator.session_id not in live.handler.session_manager
        assert live.orchestrator.ended
        session = (await live.context())["session"]
        assert session["status"] == "ended" and session["end_reason"] == "close: user_initiated"
        assert live.orchestrator.session_id not in live.handler.session_ids()


def test_an_ended_session_leaves_nothing_alive_in_the_worker(sqlite_db, conversation) -> None:
    """A worker serves room after room: an ended session's AgentSession, bridge and orchestrator are freed, and
    its context values for tools say the session has ended. (On a loop of its own: LiveKit's cancelled timers keep
    its objects until the loop gets to them.)"""

    async def serve_one_room() -> tuple[list[weakref.ref[object]], SessionValues]:
        async with running(sqlite_db, conversation) as live:
            await live.session.run(user_input="hello")
            assert live.bridge.values.get("current_agent_name") == "Router"
            return [
                weakref.ref(live.session),
                weakref.ref(live.bridge),
                weakref.ref(live.orchestrator),
            ], live.bridge.values

    alive, values = asyncio.run(serve_one_room())
    gc.collect()
    assert [ref() for ref in alive] == [None, None, None]
    with pytest.raises(SessionEndedError, match="has ended"):
        values.get("current_agent_name")
    with pytest.raises(SessionEndedError, match="has ended"):
        values["customer_name"] = "Kira"


async def test_a_transition_made_through_the_api_from_another_thread_hands_over(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        handed = asyncio.Event()
        live.bridge.add_handoff_listener(lambda handoff: handed.set())
        thread = threading.Thread(
            target=live.orchestrator.execute_transition, args=("Market",), kwargs={"reason": "ops"}
        )
        thread.start()
        await handed.wait()
        thread.join()
        await live.bridge.settle()
        assert live.agent_name == "Market"
        assert messages(live.session.current_agent.chat_ctx)[-1][1] == "[Market] Hello, how can I help?"


async def test_text_sent_during_a_hand_over_waits_for_the_new_agent(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:
        handoffs: list[Handoff] = []
        sent_mid_switch: list[asyncio.Future[None]] = []
        in_flight: list[bool] = []

        def on_handoff(handoff: Handoff) -> None:
            # right after update_agent: LiveKit would answer this turn with the old agent, or refuse it while the
            # old agent drains; the bridge holds it until the new agent has entered
            handoffs.append(handoff)
            in_flight.append(not live.bridge.active_agent.entered.is_set())
            sent_mid_switch.append(asyncio.ensure_future(live.bridge.user_input("are you there?")))

        live.bridge.add_handoff_listener(on_handoff)
        await live.bridge.user_input("I want combat")
        await sent_mid_switch[0]

        assert in_flight == [True]
        assert [(h.from_agent.name, h.to_agent.name) for h in handoffs] == [("Router", "Combat")]
        assert messages(live.session.current_agent.chat_ctx)[-2:] == [
            ("user", "are you there?"),
            ("assistant", '[Combat] You said: "are you there?".'),
        ]
        assert (await live.context())["turn_count"] == 2


async def test_a_spoken_turn_heard_during_a_hand_over_is_answered_by_the_new_agent(sqlite_db, conversation) -> None:
    async with running(sqlite_db, conversation) as live:

        def speak_during_switch(handoff: Handoff) -> None:
            # LiveKit drops a turn that ends while the old agent drains; its final transcript is still reported
            live.session.emit(
                "user_input_transcribed", UserInputTranscribedEvent(transcript="and a cheap one", is_final=True)
            )

        live.bridge.add_handoff_listener(speak_during_switch)
        await live.bridge.user_input("I want combat")

        assert live.agent_name == "Combat"
        assert messages(live.session.current_agent.chat_ctx)[-3:] == [
            ("user", "I want combat"),
            ("user", "and a cheap one"),
            ("assistant", '[Combat] You said: "and a cheap one".'),
        ]
        context = await live.context()
        assert context["turn_count"] == 2
        heard = next(e for e in context["events"] if e["data"].get("livekit_event") == "user_input_transcribed")
        assert heard["type"] == EventType.CUSTOM.value and heard["data"]["transcript"] == "and a cheap one"


async def test_agent_session_events_can_be_handed_in_by_the_caller(sqlite_db, conversation) -> None:
    from livekit.agents import ErrorEvent, llm

    async with running(sqlite_db, conversation) as live:
        agent = live.session.current_agent
        error = llm.LLMError(timestamp=0.0, label="test", error=RuntimeError("timeout"), recoverable=False)
        results = await live.handler.handle_agent_event(None, agent, ErrorEvent(error=error, source=None))
        assert results[0].transitioned
        await live.bridge.settle()
        assert live.agent_name == "Support"
        context = await live.context()
        assert context["transitions"][-1]["reason"] == "agent_error event from 'livekit.error'"
        assert "agent_error" in event_types(context)


async def test_a_conversation_with_an_agent_that_cannot_run_here_does_not_start(
    sqlite_db, conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rataura2.db.models import Agent
    from rataura2.livekit.providers import ProviderUnavailableError

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    sqlite_db.query(Agent).filter_by(name="Market").one().llm_provider = "anthropic"
    sqlite_db.commit()
    handler = LivekitSessionHandler(sqlite_db, SessionManager(sqlite_db), tools=registry())
    session = text_agent_session()
    with pytest.raises(ProviderUnavailableError, match=r"agent 'Market': LLM provider 'anthropic'.*ANTHROPIC_API_KEY"):
        async with asyncio.timeout(TIMEOUT):
            await handler.start_session(session, conversation.id, session_id="s")
    assert handler.session_ids() == [] and len(handler.session_manager) == 0


async def test_an_unknown_conversation_is_refused_before_anything_starts(sqlite_db) -> None:
    from rataura2.errors import UnknownConversationError

    handler = LivekitSessionHandler(sqlite_db)
    session = text_agent_session()
    with pytest.raises(UnknownConversationError):
        async with asyncio.timeout(TIMEOUT):
            await handler.start_session(session, "no such conversation")
    assert handler.session_ids() == [] and len(handler.session_manager) == 0


@pytest.mark.skipif(not hasattr(SessionManager, "resume_session"), reason="durable sessions are not in this tree")
async def test_a_session_whose_worker_died_is_resumed_on_its_agent_with_the_conversation(
    sqlite_db, conversation
) -> None:
    first = LivekitSessionHandler(sqlite_db, SessionManager(sqlite_db, durability="sync"), tools=registry())
    old_session = text_agent_session()
    async with asyncio.timeout(TIMEOUT):
        await first.start_session(old_session, conversation.id, session_id="room-9/RM_1", resume=True)
        await old_session.run(user_input="hello")
        await old_session.run(user_input="I want combat")
        await first.bridge("room-9/RM_1").drain()
        first.session_manager.close()  # the worker is gone: its session is let go, not ended
        await old_session.aclose()

        second = LivekitSessionHandler(sqlite_db, SessionManager(sqlite_db, durability="sync"), tools=registry())
        new_session = text_agent_session()
        orchestrator = await second.start_session(new_session, conversation.id, session_id="room-9/RM_1", resume=True)
        result = await new_session.run(user_input="still there?")
        await second.bridge("room-9/RM_1").settle()
        await new_session.aclose()
        second.session_manager.close()

    assert new_session.current_agent.id == "Combat"
    assert result.expect[-1].is_message(role="assistant").event().item.text_content == (
        '[Combat] You said: "still there?".'
    )
    assert [text for _, text in messages(new_session.current_agent.chat_ctx)][:3] == [
        "hello",
        '[Router] You said: "hello".',
        "I want combat",
    ]
    assert orchestrator.get_context()["turn_count"] == 3


async def test_livekit_objects_that_are_not_plain_data_do_not_break_the_session(sqlite_db, conversation) -> None:
    """The console runs the session in a mock room whose participants are MagicMocks."""
    from unittest.mock import MagicMock

    room = rtc.Room()
    async with running(sqlite_db, conversation, session_id="console", room=room, room_io_enabled=False) as live:
        results = await live.handler.handle_participant_event(room, MagicMock(), "participant_connected")
        assert [r.transitioned for r in results] == [False]
        joined = next(e for e in (await live.context())["events"] if e["type"] == EventType.USER_JOINED.value)
        assert isinstance(joined["data"]["participant_id"], str)


async def test_a_livekit_session_reports_its_events_and_hand_overs_as_opentelemetry_spans(
    sqlite_db: Session, conversation
) -> None:
    """Operators trace a LiveKit session the way the API's sessions are traced: a span per event, a hand-over span
    inside the event that caused it (with the host's tracer provider; here an in-memory one)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    manager = SessionManager(sqlite_db, tracer_provider=provider)
    async with running(sqlite_db, conversation, manager=manager) as live:
        await live.session.run(user_input="I want combat")
        await live.context()
        session_id = live.orchestrator.session_id
    spans = exporter.get_finished_spans()
    events = [s for s in spans if s.name == "rataura2.event"]
    assert {s.attributes["rataura2.session_id"] for s in events} == {session_id}
    turn = next(s for s in events if s.attributes["rataura2.event_type"] == "user_message")
    assert turn.attributes["rataura2.status"] == "success"
    (handover,) = [s for s in spans if s.name == "rataura2.handover"]
    assert handover.parent is not None and handover.parent.span_id == turn.context.span_id
    assert "combat" in str(handover.attributes["rataura2.reason"])
