"""``LivekitSessionHandler``: the brief's LiveKit integration, on livekit-agents 1.x and livekit.rtc.

``start_session`` creates the orchestrator session (database work in a thread), starts the AgentSession on the
conversation's initial agent and wires a :class:`~rataura2.livekit.bridge.SessionBridge` to it; the bridge
subscribes to every mapped AgentSession event and performs the hand-overs. ``register_room`` subscribes to the
mapped ``rtc.Room`` events. ``handle_room_event`` / ``handle_participant_event`` / ``handle_agent_event`` are for
code that receives events itself: they process one event and return the results. ``rtc.Room`` gives no event
objects, so room and participant events are named (``"participant_disconnected"``) with their arguments; agent
events are the AgentSession's own objects (``ErrorEvent``, ``FunctionToolsExecutedEvent``...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

from livekit import rtc
from livekit.agents import Agent, AgentSession, NotGivenOr, TurnHandlingOptions
from livekit.agents.types import NOT_GIVEN
from livekit.agents.voice import room_io
from livekit.rtc.room import EventTypes as RoomEventName
from sqlalchemy.orm import Session

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.errors import SessionExistsError, UnknownSessionError
from rataura2.livekit import translate
from rataura2.livekit.bridge import SessionBridge
from rataura2.livekit.factory import LivekitAgentFactory, OrchestratedAgent
from rataura2.livekit.providers import NO_PROVIDER
from rataura2.livekit.tools import ToolRegistry
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import emitted_events

logger = logging.getLogger(__name__)

ROOM_EVENTS = cast(tuple[RoomEventName, ...], emitted_events("room"))
"""The ``rtc.Room`` events ``register_room`` subscribes to: those the one table (``LIVEKIT_EVENTS``) names."""


def text_agent_session(**options: Any) -> AgentSession[Any]:
    """An AgentSession for text only (no VAD, no audio, turns end when text arrives): the terminal chat, tests."""
    options.setdefault("vad", None)
    options.setdefault("turn_handling", TurnHandlingOptions(turn_detection="manual"))
    return AgentSession(**options)


class LivekitSessionHandler:
    """Runs orchestrated LiveKit sessions of this process; see the module docstring. ``speech=False`` builds the
    agents for text only (no STT / TTS, so none of their plugins or keys are needed)."""

    def __init__(
        self,
        db: Session,
        session_manager: SessionManager | None = None,
        *,
        factory: LivekitAgentFactory | None = None,
        tools: ToolRegistry | None = None,
        speech: bool = True,
    ) -> None:
        self.db = db
        self._owns_manager = session_manager is None
        self.session_manager = session_manager if session_manager is not None else SessionManager(db)
        self.factory = factory or LivekitAgentFactory(
            db, tools=tools, session_manager=self.session_manager, speech=speech
        )
        self._bridges: dict[str, SessionBridge] = {}
        self._room_sessions: dict[int, str] = {}
        """id(room) -> session id (a room's name is only known once it is connected)."""
        self._rooms: dict[int, tuple[rtc.Room, list[tuple[RoomEventName, Callable[..., None]]]]] = {}
        """id(room) -> the room and the handlers subscribed to it."""

    # sessions ------------------------------------------------------------------------------------------------
    async def start_session(
        self,
        agent_session: AgentSession[Any],
        conversation_id: int | str,
        session_id: str | None = None,
        room: rtc.Room | None = None,
        *,
        room_io_enabled: bool = True,
        room_options: NotGivenOr[room_io.RoomOptions] = NOT_GIVEN,
        initial_context: Mapping[str, Any] | None = None,
        resume: bool = False,
    ) -> AgentOrchestrator:
        """Start ``agent_session`` on the conversation's initial agent and orchestrate it; returns the session's
        orchestrator.

        ``session_id`` defaults to the room's name (a room is one conversation), or a new id. With a ``room``, its
        events feed the session and, unless ``room_io_enabled`` is false (a room that is not connected, in
        tests), it is the session's audio and text I/O: ``room_options`` default to audio in and out when some
        agent of the graph has STT / TTS, and text input that waits for hand-overs.

        ``resume``: if the database holds a session with this id (its worker died or let go), take it over: it
        goes on with its current agent, which gets the conversation so far as chat history.
        """
        session_id = session_id or (room.name if room is not None and room.name else f"livekit-{uuid.uuid4().hex}")
        orchestrator, resumed = await self._open(session_id, conversation_id, initial_context, resume)
        try:
            bridge = SessionBridge(orchestrator, agent_session, self.factory, self.session_manager, resumed=resumed)
            agent = bridge.initial_agent()  # every agent of the graph is checked here: fail before starting
            self._bridges[session_id] = bridge
            bridge.attach()
            bridge.add_done_callback(partial(self._forget, session_id))
            if room is not None:
                self.register_room(room, session_id)
            if room is not None and room_io_enabled:
                if not room_options:
                    room_options = self.room_options(bridge)
                await agent_session.start(agent, room=room, room_options=room_options)
                self._announce_participants(room)
            else:
                await agent_session.start(agent)
        except BaseException:
            if session_id in self._bridges:
                self._bridges[session_id].abort()
            self._forget(session_id)
            with contextlib.suppress(Exception):
                await self.session_manager.aend_session(session_id, reason="the LiveKit session could not start")
            raise
        return orchestrator

    async def _open(
        self, session_id: str, conversation_id: int | str, initial_context: Mapping[str, Any] | None, resume: bool
    ) -> tuple[AgentOrchestrator, bool]:
        """The session's orchestrator, and whether it was resumed (rather than created)."""
        if resume:
            try:
                orchestrator = await asyncio.to_thread(self.session_manager.resume_session, session_id)
            except UnknownSessionError:
                pass  # a new session
            else:
                if orchestrator.ended:
                    raise SessionExistsError(f"session {session_id!r} has ended; start another one")
                return orchestrator, True
        created = await self.session_manager.acreate_session(
            session_id, conversation_id, initial_context=initial_context
        )
        return created, False

    def room_options(self, bridge: SessionBridge) -> room_io.RoomOptions:
        """Audio where the graph's agents have STT / TTS; text in, through the bridge (it waits for hand-overs)."""
        agents = list(bridge.graph.agents())
        return room_io.RoomOptions(
            text_input=room_io.TextInputOptions(text_input_cb=partial(self._text_input, bridge)),
            audio_input=any(a.stt_provider != NO_PROVIDER for a in agents),
            audio_output=any(a.tts_provider != NO_PROVIDER for a in agents),
        )

    async def _text_input(
        self, bridge: SessionBridge, session: AgentSession[Any], event: room_io.TextInputEvent
    ) -> None:
        await bridge.wait_ready()
        with contextlib.suppress(RuntimeError):  # the current speech may not be interruptible
            await session.interrupt()
        session.generate_reply(user_input=event.text)

    def _forget(self, session_id: str) -> None:
        self._bridges.pop(session_id, None)
        for key, sid in list(self._room_sessions.items()):
            if sid == session_id:
                del self._room_sessions[key]
                room, handlers = self._rooms.pop(key, (None, []))
                for name, handler in handlers:
                    if room is not None:
                        room.off(name, handler)

    def bridge(self, session_id: str) -> SessionBridge:
        """The bridge of a live session started here."""
        return self._bridges[session_id]

    def session_ids(self) -> list[str]:
        return list(self._bridges)

    # rooms ---------------------------------------------------------------------------------------------------
    def register_room(self, room: rtc.Room, session_id: str | None = None) -> None:
        """Feed ``room``'s mapped events to a session: ``session_id``, or the one ``start_session`` gives this
        room. Participants already in a connected room count as joined."""
        if id(room) not in self._rooms:
            handlers: list[tuple[RoomEventName, Callable[..., None]]] = []
            for name in ROOM_EVENTS:
                handler = partial(self._on_room_event, room, name)
                room.on(name, handler)
                handlers.append((name, handler))
            self._rooms[id(room)] = (room, handlers)
        if session_id is not None:
            self._room_sessions[id(room)] = session_id
            self._announce_participants(room)

    def _announce_participants(self, room: rtc.Room) -> None:
        """rtc reports no ``participant_connected`` for who was in the room before we connected: report them
        (a participant reported twice is one event, its id coming from the participant's sid)."""
        if room.isconnected():
            for participant in list(room.remote_participants.values()):
                self._on_room_event(room, "participant_connected", participant)

    def _on_room_event(self, room: rtc.Room, name: str, *args: Any) -> None:
        try:
            self._submit_room_event(room, name, args, lazy=True)
        except Exception:  # never raise into rtc's emitter
            logger.exception("room %s: could not handle %s", room.name, name)

    def _submit_room_event(
        self, room: rtc.Room, name: str, args: tuple[Any, ...], *, lazy: bool = False
    ) -> list[asyncio.Future[TransitionResult | None]]:
        bridge = self._bridge_of_room(room)
        fact = translate.room_event(name, args)
        if bridge is None or fact is None:
            return []
        future = bridge.submit_fact(fact, lazy=lazy)
        return [future] if future is not None else []

    def _bridge_of_room(self, room: rtc.Room | None) -> SessionBridge | None:
        if room is None:
            return None
        session_id = self._room_sessions.get(id(room))
        return self._bridges.get(session_id) if session_id is not None else None

    # the brief's handlers ------------------------------------------------------------------------------------
    async def handle_room_event(self, room: rtc.Room, event: str, *args: Any) -> list[TransitionResult]:
        """Process one room event (``event`` is its rtc name, ``args`` its arguments) for the room's session."""
        return await _results(self._submit_room_event(room, event, args))

    async def handle_participant_event(
        self, room: rtc.Room, participant: rtc.Participant, event: str
    ) -> list[TransitionResult]:
        """Process a participant's event (``participant_connected``, ``participant_disconnected``...)."""
        return await self.handle_room_event(room, event, participant)

    async def handle_agent_event(
        self, room: rtc.Room | None, agent: Agent | None, event: Any
    ) -> list[TransitionResult]:
        """Process an AgentSession event object for the session of ``room`` (or of ``agent``, an agent this
        handler built)."""
        bridge = self._bridge_of_room(room)
        if bridge is None and isinstance(agent, OrchestratedAgent) and isinstance(agent.hooks, SessionBridge):
            bridge = agent.hooks
        if bridge is None:
            return []
        return await _results(bridge.on_session_event(event))

    async def aclose(self) -> None:
        """Process what was reported so far and forget every session's bridge (their AgentSessions are their
        owners' to close); close the session manager if the handler made it."""
        for bridge in list(self._bridges.values()):
            await bridge.stored()
        self._bridges.clear()
        if self._owns_manager:
            await asyncio.to_thread(self.session_manager.close)


async def _results(futures: list[asyncio.Future[TransitionResult | None]]) -> list[TransitionResult]:
    return [result for result in await asyncio.gather(*futures) if result is not None]
