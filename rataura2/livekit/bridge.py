"""One orchestrated AgentSession: LiveKit facts into the orchestrator, hand-overs back out as ``update_agent``.

Everything a session reports goes through one queue, processed in arrival order by one task (``aprocess_event``
keeps database work off the event loop). After each event the bridge compares the orchestrator's current agent
with the LiveKit agent it runs; when they differ it builds the new agent and calls ``AgentSession.update_agent``.
That one check serves every cause: a user turn, a tool result, the LLM's decision tool, a room event, an error,
or a transition made through the Python API from another thread.

How a hand-over keeps the conversation whole:

* Routing comes before answering. An :class:`OrchestratedAgent` asks :meth:`SessionBridge.before_reply` before each
  LLM call; a new user turn is processed there, and when it moves the session the old agent yields an empty reply
  and the new agent answers in its ``on_enter``, with the turn in its chat history.
* The chat history goes along (a copy of the old agent's, with the triggering user message), unless the new agent's
  ``config`` says ``fresh_history``; ``session.history`` keeps everything either way.
* No user turn is lost in the switch. Between ``update_agent`` and the new agent's ``on_enter`` LiveKit refuses new
  speech: text sent through :meth:`SessionBridge.user_input` (the terminal chat, the room's text input) waits for the
  hand-over; spoken turns that LiveKit drops in that window (final transcripts heard during it) are answered by the
  new agent when it enters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from livekit.agents import AgentSession, ToolError, llm
from livekit.agents.voice.events import EventTypes as SessionEventName

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult
from rataura2.core.spec import AgentSpec
from rataura2.errors import SessionEndedError, UnknownSessionError
from rataura2.livekit import translate
from rataura2.livekit.factory import LivekitAgentFactory, OrchestratedAgent
from rataura2.sessions.manager import SessionManager
from rataura2.vocabulary.events import EventType, emitted_events

logger = logging.getLogger(__name__)

SESSION_EVENTS = cast(tuple[SessionEventName, ...], emitted_events("session"))
"""The AgentSession events the bridge subscribes to: those the one table (``LIVEKIT_EVENTS``) names."""


@dataclass(frozen=True, slots=True)
class Handoff:
    """A hand-over the bridge performed: from, to, and the orchestrator's reason."""

    from_agent: AgentSpec
    to_agent: AgentSpec
    reason: str
    timestamp: float = field(default_factory=time.time)


HandoffListener = Callable[[Handoff], None]


@dataclass(slots=True)
class _Job:
    event: EventData | None
    done: asyncio.Future[TransitionResult | None]
    carry: llm.ChatMessage | None = None


class SessionBridge:
    """Runs one orchestrated session on one AgentSession; see the module docstring. Made by
    ``LivekitSessionHandler.start_session``; implements the :class:`~rataura2.livekit.factory.AgentHooks` its
    agents call."""

    def __init__(
        self,
        orchestrator: AgentOrchestrator,
        agent_session: AgentSession[Any],
        factory: LivekitAgentFactory,
        session_manager: SessionManager,
    ) -> None:
        self.orchestrator = orchestrator
        self.agent_session = agent_session
        self.factory = factory
        self.session_manager = session_manager
        self.session_id = orchestrator.session_id
        self.graph = orchestrator.graph
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._stopped = False
        self._ended = False
        self._closed = asyncio.Event()
        self._active: OrchestratedAgent | None = None
        self._pending: Handoff | None = None
        self._heard_during_handoff: list[str] = []
        self._seen_items: set[str] = set()
        self._speaker: AgentSpec | None = None
        self._listeners: list[HandoffListener] = []
        self._tool_ids = {tool.name: tool.id for tool in self.graph.spec.tools.values()}

    # starting ------------------------------------------------------------------------------------------------
    def initial_agent(self) -> OrchestratedAgent:
        """Check that every agent of the graph can be built here, then build the current one: the initial agent,
        or, for a resumed session, the agent it was on, with the conversation so far as its history."""
        self.factory.check(self.graph)
        current = self.orchestrator.get_current_agent()
        agent = self._build(current, None if current.config.get("fresh_history") else self._history_so_far())
        self._active = agent
        return agent

    def _history_so_far(self) -> llm.ChatContext | None:
        """The context's messages as a chat history (a resumed session's; a new one has none). They were counted
        when they happened: their ids are marked as seen."""
        history = llm.ChatContext.empty()
        for message in self.orchestrator.context.get("conversation") or []:
            if message.get("role") in ("user", "assistant") and message.get("text"):
                item = history.add_message(
                    role=message["role"], content=str(message["text"]), created_at=float(message["timestamp"])
                )
                self._seen_items.add(item.id)
        return history if history.items else None

    def attach(self) -> None:
        """Subscribe to the AgentSession and the orchestrator, and start processing."""
        for name in SESSION_EVENTS:
            self.agent_session.on(name, self._on_session_event)
        self.orchestrator.add_transition_listener(self._on_transition)
        self._pump = asyncio.create_task(self._run(), name=f"rataura2-bridge-{self.session_id}")

    # reading -------------------------------------------------------------------------------------------------
    @property
    def active_agent(self) -> OrchestratedAgent | None:
        """The LiveKit agent the bridge last gave the session (it may still be entering)."""
        return self._active

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_ended(self) -> None:
        """Until the session has ended (AgentSession closed, room left) and its last events were processed."""
        if self._pump is not None:
            await asyncio.shield(self._pump)

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once the session has ended and its last events were processed."""
        if self._pump is None or self._pump.done():
            callback()
        else:
            self._pump.add_done_callback(lambda _task: callback())

    def add_handoff_listener(self, listener: HandoffListener) -> None:
        """Call ``listener(handoff)`` on the event loop each time the bridge hands the session over."""
        self._listeners.append(listener)

    # feeding events ------------------------------------------------------------------------------------------
    def submit(self, event: EventData, carry: llm.ChatMessage | None = None) -> asyncio.Future[TransitionResult | None]:
        """Queue ``event`` for the orchestrator; the future holds its result (None when it was not processed)."""
        done: asyncio.Future[TransitionResult | None] = self._loop.create_future()
        if self._stopped:
            done.set_result(None)
        else:
            self._queue.put_nowait(_Job(event, done, carry))
        return done

    def submit_fact(self, fact: translate.Fact) -> asyncio.Future[TransitionResult | None] | None:
        """Queue one LiveKit fact (see ``translate``), deduplicating user turns by chat item id."""
        if fact.name == "conversation_item_added/user" and fact.item is not None:
            if fact.item.id in self._seen_items:
                return None
            self._seen_items.add(fact.item.id)
        data = translate.json_safe(fact.data)
        if fact.name == "conversation_item_added" and self._speaker is not None:
            data.update(agent_id=self._speaker.id, agent_name=self._speaker.name)
        elif fact.name == "agent_handoff":
            self._speaker = self._spec_named(str(data.get("new_agent") or "")) or self._speaker
            if self._speaker is not None:
                data.update(agent_id=self._speaker.id, agent_name=self._speaker.name)
        elif fact.name == "user_input_transcribed" and self._pending is not None:
            self._heard_during_handoff.append(str(data.get("transcript", "")))
        event_id = f"{self.session_id}/{fact.key}" if fact.key else None
        try:
            event = LivekitEventHandler.to_event(fact.name, data, fact.timestamp, event_id=event_id)
        except ValueError:
            logger.exception("session %s: LiveKit %s dropped", self.session_id, fact.name)
            return None
        return self.submit(event, fact.item)

    def on_session_event(self, event: Any) -> list[asyncio.Future[TransitionResult | None]]:
        """Queue the facts of an AgentSession event object."""
        futures = []
        for fact in translate.session_events(event, tool_ids=self._tool_ids):
            future = self.submit_fact(fact)
            if future is not None:
                futures.append(future)
        return futures

    def _on_session_event(self, event: Any) -> None:
        # LiveKit re-raises a TypeError from a handler into the code that emitted the event: never let one out
        try:
            self.on_session_event(event)
        except Exception:
            logger.exception("session %s: could not handle %s", self.session_id, getattr(event, "type", event))

    def _on_transition(self, orchestrator: AgentOrchestrator, result: TransitionResult) -> None:
        """A transition, perhaps made from another thread through the API: look again on the loop."""
        with contextlib.suppress(RuntimeError):  # the loop is gone: the session is over
            self._loop.call_soon_threadsafe(self._poke)

    def _poke(self) -> None:
        if not self._stopped:
            self._queue.put_nowait(_Job(None, self._loop.create_future()))

    async def drain(self) -> None:
        """Until everything queued so far has been processed (and any hand-over it caused was started)."""
        done: asyncio.Future[TransitionResult | None] = self._loop.create_future()
        if self._stopped:
            return
        self._queue.put_nowait(_Job(None, done))
        await done

    # the pump ------------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            result: TransitionResult | None = None
            try:
                event = job.event
                if event is not None and event.type is EventType.SESSION_ENDED:
                    await self._end(event)
                elif event is not None and not self._ended:
                    result = await self.orchestrator.aprocess_event(event)
                    if result.errors:
                        logger.warning("session %s: %s", self.session_id, result.reason)
                self._sync(job.carry, result)
            except SessionEndedError:  # ended through the API: nothing more to route
                logger.info("session %s was ended elsewhere; LiveKit events are no longer routed", self.session_id)
                self._ended = True
                self._closed.set()
            except Exception:
                logger.exception("session %s: event %s failed", self.session_id, job.event and job.event.id)
            if not job.done.done():
                job.done.set_result(result)
            if self._ended and self._queue.empty():
                self._stop()
                return

    async def _end(self, event: EventData) -> None:
        """Room disconnected or AgentSession closed: end the orchestrator session, once."""
        self._closed.set()
        if self._ended:
            return
        self._ended = True
        reason = f"{event.data.get('livekit_event')}: {event.data.get('reason')}"
        if event.data.get("error"):
            reason += f" ({event.data['error']})"
        with contextlib.suppress(UnknownSessionError):
            await self.session_manager.aend_session(self.session_id, reason=reason)

    def abort(self) -> None:
        """Stop processing at once (the LiveKit session could not start)."""
        self._stop()
        if self._pump is not None:
            self._pump.cancel()

    def _stop(self) -> None:
        self._stopped = True
        self.orchestrator.remove_transition_listener(self._on_transition)
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.done.done():
                job.done.set_result(None)

    # hand-overs ----------------------------------------------------------------------------------------------
    def _sync(self, carry: llm.ChatMessage | None, result: TransitionResult | None) -> None:
        """Give the session the orchestrator's current agent, if it has another one."""
        old = self._active
        if old is None or self._ended or self._closed.is_set():
            return
        target = self.orchestrator.get_current_agent()
        if target.id == old.spec.id:
            return
        reason = result.reason if result is not None and result.transitioned else self._last_reason()
        new = self._build(target, self._history_for(old, target, carry))
        handoff = Handoff(old.spec, target, reason)
        self._active, self._pending = new, handoff
        logger.info("session %s: hand-over %s -> %s (%s)", self.session_id, old.spec.name, target.name, reason)
        self.agent_session.update_agent(new)
        for listener in self._listeners:
            try:
                listener(handoff)
            except Exception:
                logger.exception("session %s: hand-over listener failed", self.session_id)

    def _history_for(self, old: OrchestratedAgent, target: AgentSpec, carry: llm.ChatMessage | None) -> llm.ChatContext:
        history = llm.ChatContext.empty() if target.config.get("fresh_history") else old.chat_ctx.copy()
        if carry is not None and history.get_by_id(carry.id) is None:
            history.insert(carry)
        return history

    def _build(self, spec: AgentSpec, history: llm.ChatContext | None) -> OrchestratedAgent:
        return self.factory.build(spec, self.graph, chat_ctx=history, hooks=self)

    def _last_reason(self) -> str:
        transitions = self.orchestrator.context.get("transitions") or []
        return str(transitions[-1].get("reason", "")) if transitions else ""

    def _spec_named(self, name: str) -> AgentSpec | None:
        return self.graph.spec.agent_by_name(name) if name else None

    # AgentHooks ------------------------------------------------------------------------------------------------
    async def before_reply(self, agent: OrchestratedAgent, chat_ctx: llm.ChatContext) -> bool:
        message = _latest_user_message(chat_ctx)
        if message is not None:
            fact = translate.user_turn(message)
            self.submit_fact(fact)
        await self.drain()
        return agent is self._active

    async def decide(self, agent: OrchestratedAgent, target: str, reason: str) -> str:
        if agent is not self._active or self._ended:
            raise ToolError("the conversation is no longer yours to hand over")
        result = await self.submit(
            EventData(
                type=EventType.AGENT_DECISION,
                timestamp=time.time(),
                source=f"agent:{agent.spec.name}",
                data={"decision_key": "transition_to", "value": target, "reason": reason, "agent_id": agent.spec.id},
            )
        )
        if result is not None and result.transitioned and result.to_agent_id is not None:
            return f"The conversation is handed over to {self.graph.get_agent(result.to_agent_id).name}."
        why = result.reason if result is not None else "the session has ended"
        raise ToolError(f"the hand-over to {target} was not accepted ({why}); carry on yourself")

    async def entered(self, agent: OrchestratedAgent) -> None:
        if agent is not self._active:
            return  # superseded by a later hand-over before it could start
        handoff, self._pending = self._pending, None
        if handoff is None or handoff.to_agent.id != agent.spec.id:
            greeting = agent.spec.config.get("greeting")
            if greeting:
                self.agent_session.generate_reply(instructions=str(greeting))
            return
        heard, self._heard_during_handoff = self._heard_during_handoff, []
        if heard:
            self.agent_session.generate_reply(user_input=" ".join(heard))
        elif agent.spec.config.get("reply_on_enter", True):
            self.agent_session.generate_reply()

    # text input ----------------------------------------------------------------------------------------------
    async def wait_ready(self) -> None:
        """Until no hand-over is in flight (the active agent has entered) or the session has closed."""
        while not self._closed.is_set():
            agent = self._active
            if agent is None:
                return
            if not agent.entered.is_set():
                entered = asyncio.ensure_future(agent.entered.wait())
                closed = asyncio.ensure_future(self._closed.wait())
                try:
                    await asyncio.wait({entered, closed}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    entered.cancel()
                    closed.cancel()
            if agent is self._active:
                return

    async def settle(self) -> None:
        """Until the session is quiet: every hand-over done and the active agent done speaking."""
        while not self._closed.is_set():
            await self.wait_ready()
            agent = self._active
            try:
                await self.agent_session.wait_for_idle()
            except Exception:  # the session is closing
                return
            await self.drain()
            if agent is self._active and self._pending is None:
                return

    async def user_input(self, text: str) -> None:
        """Send the user's text as a turn, once any hand-over is done, and wait until it has been answered (by
        whichever agent the turn leads to)."""
        await self.settle()
        if self._closed.is_set():
            raise RuntimeError(f"session {self.session_id} is closed")
        handle = self.agent_session.generate_reply(user_input=text)
        await handle
        await self.settle()
        error = handle.exception()
        if error is not None:
            logger.debug("session %s: reply failed: %s", self.session_id, error)


def _latest_user_message(chat_ctx: llm.ChatContext) -> llm.ChatMessage | None:
    for item in reversed(chat_ctx.items):
        if isinstance(item, llm.ChatMessage) and item.role == "user":
            return item
    return None
