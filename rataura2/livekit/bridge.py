"""One orchestrated AgentSession: LiveKit facts into the orchestrator, hand-overs back out as ``update_agent``.

Everything a session reports is processed in arrival order: at once, where LiveKit reports it, when nothing is
waiting before it and processing it waits for nothing; otherwise through one queue and one task, which keeps
database work off the event loop. After each event the bridge compares the orchestrator's current agent with the
LiveKit agent it runs; when they differ it builds the new agent and calls ``AgentSession.update_agent`` (always
from that task, in order). That one check serves every cause: a user turn, a tool result, the LLM's decision
tool, a room event, an error, or a transition made through the Python API from another thread.

With durability ``"sync"`` the bridge holds its session's events (``rataura2.sessions.held``) and writes them in
one transaction where something outside is about to depend on them: before the agent's answer to a user turn is let
out (the LLM starts on the turn while it is stored: ``OrchestratedAgent._gated_llm``), before a hand-over, before a
submitter (a tool, an action, ``user_input``) is told what its event came to, before the session ends; LiveKit's own
reports after the answer (the agent's state changes and reply) go with the next of those, or once the session is
quiet (``QUIET_SECONDS``). A turn is one commit. A commit that fails stops what it guards, and is tried again in
``RETRY_SECONDS``: the agent does not answer, the hand-over waits for the retry, submitters are told None, ``settle``
and ``user_input`` raise (``/chat`` answers 503). So a crash before a commit loses only what nobody was told of (but
for the reads ``rataura2.sessions.held`` names).

How a hand-over keeps the conversation whole:

* Routing comes before answering. An :class:`OrchestratedAgent` asks :meth:`SessionBridge.before_reply` before each
  LLM call; a new user turn is processed there, and when it moves the session the old agent yields an empty reply
  and the new agent answers in its ``on_enter``, with the turn in its chat history.
* The chat history the new agent starts with follows its context strategy (``rataura2.livekit.history``): the old
  agent's history by default, or none, the last items, or a summary; what caused the hand-over always goes along
  (the user's message, a note of the tool call and result or decision that moved the session).
  ``session.history`` keeps everything either way.
* The new agent's instructions are rendered against the context as it is at the hand-over; its ``on_enter``
  actions run before it answers, the old agent's ``on_exit`` actions before it leaves (``rataura2.livekit.actions``).
* No user turn is lost in the switch. Between ``update_agent`` and the new agent's ``on_enter`` LiveKit refuses new
  speech: text sent through :meth:`SessionBridge.user_input` (the terminal chat, the room's text input) waits for the
  hand-over; spoken turns that LiveKit drops in that window (final transcripts heard during it) are answered by the
  new agent when it enters.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from livekit.agents import AgentSession, ToolError, llm
from livekit.agents.voice.events import EventTypes as SessionEventName
from opentelemetry import trace

from rataura2.core.events import EventData, LivekitEventHandler
from rataura2.core.orchestrator import AgentOrchestrator, was_refused
from rataura2.core.result import TransitionResult
from rataura2.core.spec import AgentSpec
from rataura2.errors import (
    MessageTooLongError,
    PersistenceError,
    SessionEndedError,
    SessionOwnedError,
    UnknownSessionError,
)
from rataura2.livekit import history, translate
from rataura2.livekit.actions import run_actions
from rataura2.livekit.factory import LivekitAgentFactory, OrchestratedAgent
from rataura2.livekit.tools import BoundTool
from rataura2.livekit.values import SessionValues
from rataura2.livekit.values import attach as attach_values
from rataura2.sessions.held import HeldWrites
from rataura2.sessions.manager import SessionManager
from rataura2.settings import get_settings
from rataura2.vocabulary.enums import ContextStrategy
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
ProblemListener = Callable[[TransitionResult], None]

QUIET_SECONDS = 0.05
"""With durability ``"sync"``: how long held events that nobody waits for (the agent's state changes and reply,
after a turn) wait for a commit that something needs, before one is made for them."""
RETRY_SECONDS = 1.0
"""With durability ``"sync"``: how long after a commit that failed the held events are tried again."""
WORKER_START_WAIT = 0.001
"""Seconds the event loop waits at most for the worker thread of a commit that an answer waits for to start
(``_in_thread_now``): a thread wakes in tens of microseconds; the bound matters when every thread of the loop's
executor is busy (many sessions in one process, as the API's playground chats)."""

END_ATTEMPTS = 10
"""With durability ``"sync"``: how many times ending a session whose events cannot be written is tried (one
``RETRY_SECONDS`` apart)."""

_TURN_ENVELOPE = 256
"""Bytes a user turn's event adds around its text (item id, LiveKit event name), for the size check."""


@dataclass(slots=True)
class _Job:
    event: EventData | None
    done: asyncio.Future[TransitionResult | None]
    carry: llm.ChatMessage | None = None
    processed: bool = False
    """Processed already, where it was submitted (see ``SessionBridge.submit``): the pump only hands over."""
    result: TransitionResult | None = None
    lazy: bool = False


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
        *,
        resumed: bool = False,
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
        self._busy = False
        """An event is being processed (inline, or by the pump, which may be waiting for the database)."""
        self._stopped = False
        self._ended = False
        self._closed = asyncio.Event()
        self._active: OrchestratedAgent | None = None
        self._pending: Handoff | None = None
        self._heard_during_handoff: list[str] = []
        self._seen_items: set[str] = set()
        self._speaker: AgentSpec | None = None
        self._listeners: list[HandoffListener] = []
        self._problem_listeners: list[ProblemListener] = []
        self._tool_ids = {tool.name: tool.id for tool in self.graph.spec.tools.values()}
        self._bound_tools: dict[str, BoundTool] = {}
        self.resumed = resumed
        """A session taken over from another worker: its current agent was entered before, so its ``on_enter``
        actions are not run again."""
        self._end_reason: str | None = None
        self._held: HeldWrites | None = None
        """With durability ``"sync"``: the session's events are held and committed together (``_commit``)."""
        self._unacked: list[tuple[asyncio.Future[TransitionResult | None], TransitionResult | None, int]] = []
        """Submitters to tell what their event came to once it is stored: (future, result, ``HeldWrites.kept``
        after the event)."""
        self._commit_lock = asyncio.Lock()
        self._commit_timer: asyncio.TimerHandle | None = None
        self._commit_due = 0.0
        self._commits: set[asyncio.Future[Any]] = set()
        self._failure: Exception | None = None
        """Why the last commit failed (None once one succeeds)."""
        self._unanswered = 0
        """Replies the agent did not give because the commit before them failed (see ``user_input``)."""
        self.values = SessionValues(self)
        """The session's context values for tools (``RunContext.userdata``); see ``rataura2.livekit.values``."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    # starting ------------------------------------------------------------------------------------------------
    def initial_agent(self) -> OrchestratedAgent:
        """Check that every agent of the graph can be built here, then build the current one: the initial agent,
        or, for a resumed session, the agent it was on, with the conversation so far as its history."""
        self.factory.check(self.graph)
        current = self.orchestrator.get_current_agent()
        agent = self._build(current, self._history_so_far(current))
        self._active = agent
        return agent

    def _history_so_far(self, agent: AgentSpec) -> llm.ChatContext | None:
        """The context's messages as a chat history (a resumed session's; a new one has none), as much of it as
        the agent's context strategy keeps. They were counted when they happened: their ids are marked as seen."""
        context = self.orchestrator.context
        kept = history.resumed_history(
            self.graph.get_flow(agent.id).history,
            context.get("conversation") or [],
            float(context.get("agent_entered_at") or 0.0),
            self.orchestrator.template_values(),
            f"agent {agent.name!r}",
        )
        chat = llm.ChatContext.empty()
        for role, text, timestamp in kept:
            item = chat.add_message(role=role, content=text, created_at=timestamp)  # type: ignore[arg-type]
            self._seen_items.add(item.id)
        return chat if chat.items else None

    def attach(self) -> None:
        """Subscribe to the AgentSession and the orchestrator, and start processing."""
        for name in SESSION_EVENTS:
            self.agent_session.on(name, self._on_session_event)
        attach_values(self.agent_session, self.values)
        with contextlib.suppress(UnknownSessionError):  # a session of another manager: written event by event
            self._held = self.session_manager.hold_writes(self.session_id)
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

    @property
    def end_reason(self) -> str | None:
        """Why the conversation ended itself (an ``end_conversation`` action, or a tool), if it did."""
        return self._end_reason

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

    def add_problem_listener(self, listener: ProblemListener) -> None:
        """Call ``listener(result)`` on the event loop for each processed event with ``errors``: a condition that
        raised (counted as false), or a hand-over refused past ``max_transitions_per_turn``
        (``rataura2.core.orchestrator.was_refused``); each error says why the session did not move."""
        self._problem_listeners.append(listener)

    # feeding events ------------------------------------------------------------------------------------------
    def submit(
        self, event: EventData, carry: llm.ChatMessage | None = None, *, lazy: bool = False
    ) -> asyncio.Future[TransitionResult | None]:
        """Queue ``event`` for the orchestrator; the future holds its result (None when it was not processed, or,
        with durability ``"sync"``, could not be stored). ``lazy``: nobody waits for the result (LiveKit's own
        reports): with durability ``"sync"`` it is stored with the next commit something needs, or once the
        session is quiet (``QUIET_SECONDS``)."""
        done: asyncio.Future[TransitionResult | None] = self._loop.create_future()
        if self._stopped:
            done.set_result(None)
        elif self._can_process_now(event):
            self._process_now(_Job(event, done, carry, lazy=lazy))
        else:
            self._queue.put_nowait(_Job(event, done, carry, lazy=lazy))
        return done

    def _can_process_now(self, event: EventData) -> bool:
        """Whether ``event`` can be processed at once, where it is submitted, rather than by the pump: nothing is
        waiting before it, and processing it waits for nothing (no store, or one that does not block, as with
        durability ``"async"``; whether it reads the log is asked in ``_process_now``, under the session's lock). A
        LiveKit turn's events then cost no queue, future or task switch each."""
        if self._busy or self._ended or not self._queue.empty() or event.type is EventType.SESSION_ENDED:
            return False
        store = self.orchestrator.store
        return store is None or not store.blocks or store is self._held

    def _process_now(self, job: _Job) -> None:
        event = job.event
        assert event is not None
        lock = self.orchestrator.lock
        if not lock.acquire(blocking=False):  # another caller is in the session, perhaps writing: the pump waits
            self._queue.put_nowait(job)  # for it off the loop
            return
        if self.orchestrator.reads_log(event.id):  # an id it may have processed before its dedupe window: the log
            lock.release()  # is read by the pump, off the loop (asked under the lock: another caller could send ids
            self._queue.put_nowait(job)  # out of the window in between)
            return
        self._busy = True
        try:
            result = self._traced(event)
        except SessionEndedError:  # the pump sees it again and stops
            self._queue.put_nowait(job)
            return
        except Exception:
            logger.exception("session %s: event %s failed", self.session_id, event.id)
            result = None
        finally:
            self._busy = False
            lock.release()
        if result is not None and result.errors:
            self._tell_problems(result)
        if self._handover_due():  # hand-overs are made by the pump, in order with what is queued
            job.processed, job.result = True, result
            self._queue.put_nowait(job)
        else:
            self._acknowledge(job, result)

    def _acknowledge(self, job: _Job, result: TransitionResult | None) -> None:
        """Tell the submitter what its event came to, once it is stored."""
        if job.done.done():
            return
        held = self._held
        if held is None or job.event is None or held.written >= held.kept:
            job.done.set_result(result)
            return
        self._unacked.append((job.done, result, held.kept))
        self._commit_soon(QUIET_SECONDS if job.lazy else 0.0)

    def _handover_due(self) -> bool:
        active = self._active
        return (
            active is not None
            and not self._ended
            and not self._closed.is_set()
            and self.orchestrator.current_agent_id != active.spec.id
        )

    def _traced(self, event: EventData) -> TransitionResult:
        """Process ``event`` in a ``rataura2.event`` span (see ``rataura2.sessions.tracing``); with no tracer
        provider recording, the span is never made current: entering and leaving a context costs more than the
        orchestrator's work on an event."""
        held = self._held
        if held is not None and self.orchestrator.store is held:
            with held.holding():
                return self._traced_now(event)
        return self._traced_now(event)

    async def _traced_held(self, event: EventData) -> TransitionResult:
        """Process a held event: on the loop (nothing to wait for) unless another caller is in the session, whose
        write (``HeldWrites.event_processed``) is waited for in a thread."""
        lock = self.orchestrator.lock
        if lock.acquire(blocking=False):
            try:
                return self._traced(event)
            finally:
                lock.release()
        return await asyncio.to_thread(self._traced, event)

    def _traced_now(self, event: EventData) -> TransitionResult:
        tracing = self.session_manager.tracing
        span = tracing.tracer.start_span(
            "rataura2.event",
            attributes={"rataura2.session_id": self.session_id, "rataura2.event_type": event.type.value},
        )
        if not span.is_recording():
            return self.orchestrator.process_event(event)
        with trace.use_span(span, end_on_exit=True):
            result = self.orchestrator.process_event(event)
            tracing.result(span, result)
        return result

    def submit_fact(
        self, fact: translate.Fact, *, lazy: bool = False
    ) -> asyncio.Future[TransitionResult | None] | None:
        """Queue one LiveKit fact (see ``translate``), deduplicating user turns by chat item id; ``lazy`` as for
        :meth:`submit`."""
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
        return self.submit(event, fact.item, lazy=lazy)

    def on_session_event(self, event: Any, *, lazy: bool = False) -> list[asyncio.Future[TransitionResult | None]]:
        """Queue the facts of an AgentSession event object."""
        futures = []
        for fact in translate.session_events(event, tool_ids=self._tool_ids):
            future = self.submit_fact(fact, lazy=lazy)
            if future is not None:
                futures.append(future)
        return futures

    def _on_session_event(self, event: Any) -> None:
        # LiveKit re-raises a TypeError from a handler into the code that emitted the event: never let one out
        try:
            self.on_session_event(event, lazy=True)
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
        if self._stopped or (self._queue.empty() and not self._busy):
            return  # everything was processed where it was submitted
        done: asyncio.Future[TransitionResult | None] = self._loop.create_future()
        self._queue.put_nowait(_Job(None, done))
        await done

    # the pump ------------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            self._busy = True
            result: TransitionResult | None = job.result
            try:
                event = job.event
                if job.processed:
                    pass
                elif event is not None and event.type is EventType.SESSION_ENDED:
                    await self._end(event)
                elif event is not None and not self._ended:
                    store = self.orchestrator.store
                    if (
                        store is not None
                        and (store is self._held or not store.blocks)
                        and self.orchestrator.reads_log(event.id)
                    ):
                        result = await asyncio.to_thread(self._traced, event)
                    elif self._held is not None and store is self._held:
                        result = await self._traced_held(event)
                    else:
                        tracing = self.session_manager.tracing
                        with tracing.event(self.session_id, event.type.value) as span:
                            result = await self.orchestrator.aprocess_event(event)
                            tracing.result(span, result)
                    if result.errors:
                        self._tell_problems(result)
                if self._held is not None and self._handover_due() and not await self._commit():
                    self._retry_handover(job, result)  # what moved the session is stored before the next
                else:  # agent takes over
                    self._sync(job.carry, result, event)
            except SessionEndedError:  # ended through the API: nothing more to route
                logger.info("session %s was ended elsewhere; LiveKit events are no longer routed", self.session_id)
                self._ended = True
                self._closed.set()
            except Exception:
                logger.exception("session %s: event %s failed", self.session_id, job.event and job.event.id)
            self._busy = False
            self._acknowledge(job, result)
            if self._ended and self._queue.empty():
                self._stop()
                return

    def _retry_handover(self, job: _Job, result: TransitionResult | None) -> None:
        """The commit before a hand-over failed: make the hand-over (its cause, the user's message it carries)
        in ``RETRY_SECONDS``, once the commit goes through (never, for a session taken over elsewhere)."""
        if self._held is not None and self._held.lost:
            return
        done: asyncio.Future[TransitionResult | None] = self._loop.create_future()
        done.set_result(None)  # its submitter is told by ``job`` itself
        retry = _Job(job.event, done, job.carry, processed=True, result=result)
        self._loop.call_later(RETRY_SECONDS, self._requeue, retry)

    def _requeue(self, job: _Job) -> None:
        if not self._stopped:
            self._queue.put_nowait(job)

    async def _end(self, event: EventData) -> None:
        """Room disconnected or AgentSession closed: end the orchestrator session, once."""
        self._closed.set()
        if self._ended:
            return
        self._ended = True
        reason = f"{event.data.get('livekit_event')}: {event.data.get('reason')}"
        if event.data.get("error"):
            reason += f" ({event.data['error']})"
        if self._end_reason is not None:  # ended by an end_conversation action or a tool
            reason = self._end_reason
        await self._commit()
        for attempt in range(1, END_ATTEMPTS + 1):  # ended, the session must not stay live (and held) here
            try:
                await self.session_manager.aend_session(self.session_id, reason=reason)
                return
            except UnknownSessionError:
                return
            except PersistenceError as exc:
                logger.warning("session %s could not be ended (attempt %d): %s", self.session_id, attempt, exc)
            await asyncio.sleep(RETRY_SECONDS)
        logger.error("session %s could not be ended: it stays live until the manager closes", self.session_id)

    def request_end(self, reason: str) -> None:
        """End the conversation with ``reason`` once what is being said has been spoken: the AgentSession closes
        (draining its speech), then the orchestrator session ends with this reason."""
        if self._end_reason is not None or self._closed.is_set():
            return
        self._end_reason = reason
        logger.info("session %s: ending (%s)", self.session_id, reason)
        self.agent_session.shutdown(drain=True)

    def bound_tool(self, name: str) -> BoundTool:
        """The tool of this conversation named ``name``, bound to its callable."""
        bound = self._bound_tools.get(name)
        if bound is None:
            spec = next(t for t in self.graph.spec.tools.values() if t.name == name)
            bound = self._bound_tools[name] = BoundTool(spec, self.factory.tools)
        return bound

    def abort(self) -> None:
        """Stop processing at once (the LiveKit session could not start, or its chat is let go); what is held is
        still written, by one last commit (the session goes on; its next bridge or its end writes what is held
        if this one fails)."""
        self._stop()
        if self._pump is not None:
            self._pump.cancel()
        if self._held is not None and self._held.held:
            self._start_commit()

    def _stop(self) -> None:
        self._stopped = True
        self.orchestrator.remove_transition_listener(self._on_transition)
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.done.done():
                job.done.set_result(None)
        if self._commit_timer is not None:
            self._commit_timer.cancel()
            self._commit_timer = None
        unacked, self._unacked = self._unacked, []
        for done, _, _ in unacked:  # not known to be stored (the session manager commits what is held when the
            if not done.done():  # session ends or is let go)
                done.set_result(None)

    # held writes (durability "sync") -------------------------------------------------------------------------
    async def stored(self) -> None:
        """Until everything submitted so far is processed and, with durability ``"sync"``, stored."""
        await self.drain()
        await self._commit()

    def _commit_soon(self, delay: float) -> None:
        """Commit what is held in ``delay`` seconds, or sooner if a commit was due sooner."""
        due = self._loop.time() + delay
        if self._commit_timer is not None:
            if self._commit_due <= due:
                return
            self._commit_timer.cancel()
        self._commit_due = due
        self._commit_timer = self._loop.call_at(due, self._start_commit)

    def _start_commit(self) -> None:
        """A commit of everything held (for the submitters waiting, a quiet moment, or a retry)."""
        self._commit_timer = None
        if self._held is None:
            return
        task = asyncio.ensure_future(self._commit())
        self._commits.add(task)
        task.add_done_callback(self._commits.discard)

    async def _commit(self, *, answer_waits: bool = False) -> bool:
        """Until the events held so far are stored: write what is held in one transaction unless another commit
        did, and tell the submitters waiting for it (see ``rataura2.sessions.held``). False when they could not
        be written (the reason is kept in ``_failure``): the submitters are told None, and the events stay held, to
        be written by the next commit (tried again in ``RETRY_SECONDS``), or, for a session taken over elsewhere,
        are lost for good. What the commit guards must then not happen. ``answer_waits``: an answer is held until
        the commit is done, so its thread is started at once (``_in_thread_now``)."""
        held = self._held
        if held is None:
            return True
        upto = held.kept
        async with self._commit_lock:
            ok = not held.lost
            if ok and held.written < upto:
                try:
                    await (_in_thread_now(held.commit) if answer_waits else asyncio.to_thread(held.commit))
                except (PersistenceError, SessionOwnedError) as exc:
                    ok, self._failure = False, exc
                except Exception as exc:
                    ok = False
                    self._failure = PersistenceError(f"could not store session {self.session_id!r}: {exc}")
                    self._failure.__cause__ = exc
                if not ok:
                    logger.warning("session %s: could not store its events: %s", self.session_id, self._failure)
            if held.lost:
                ok = False
                self._failure = SessionOwnedError(
                    self.session_id, None, f"session {self.session_id!r} is driven by another process now"
                )
            self._tell_stored(held.written, ok)
            if ok:
                self._failure = None
            if held.kept > held.written and not held.lost and not self._stopped:
                self._commit_soon(QUIET_SECONDS if ok else RETRY_SECONDS)  # LiveKit's reports: once quiet
            return ok

    def _tell_stored(self, written: int, ok: bool) -> None:
        """Tell the submitters whose events are stored what they came to; after a failed commit, tell the others
        None (not acknowledged)."""
        held_kept = self._held.kept if self._held is not None else written
        waiting = []
        for done, result, mark in self._unacked:
            if done.done():
                continue
            if mark <= written:
                done.set_result(result)
            elif not ok or mark > held_kept:  # not stored, or lost (the session was taken over elsewhere)
                done.set_result(None)
            else:
                waiting.append((done, result, mark))
        self._unacked = waiting

    # hand-overs ----------------------------------------------------------------------------------------------
    def _sync(
        self, carry: llm.ChatMessage | None, result: TransitionResult | None, cause: EventData | None = None
    ) -> None:
        """Give the session the orchestrator's current agent, if it has another one."""
        old = self._active
        if old is None or self._ended or self._closed.is_set():
            return
        target = self.orchestrator.get_current_agent()
        if target.id == old.spec.id:
            return
        moved_by_this = result is not None and result.transitioned
        reason = result.reason if result is not None and moved_by_this else self._last_reason()
        note = history.handover_note(cause if moved_by_this else None, old.spec.name, target.name, reason)
        policy = self.graph.get_flow(target.id).history
        values = self.orchestrator.template_values()
        start = history.start_history(policy, old.chat_ctx, carry, note, values, f"agent {target.name!r}")
        new = self._build(target, start, values)
        if policy.strategy is ContextStrategy.RESET_WITH_SUMMARY and policy.summary_prompt is not None:
            new.summary_source = old.chat_ctx.copy()  # summarised by the new agent's LLM as it enters
        handoff = Handoff(old.spec, target, reason)
        self._active, self._pending = new, handoff
        logger.info("session %s: hand-over %s -> %s (%s)", self.session_id, old.spec.name, target.name, reason)
        self.agent_session.update_agent(new)
        for listener in self._listeners:
            try:
                listener(handoff)
            except Exception:
                logger.exception("session %s: hand-over listener failed", self.session_id)

    def _tell_problems(self, result: TransitionResult) -> None:
        if not was_refused(result):  # a refusal is logged by the orchestrator already
            logger.warning("session %s: %s", self.session_id, result.reason)
        for listener in self._problem_listeners:
            try:
                listener(result)
            except Exception:
                logger.exception("session %s: problem listener failed", self.session_id)

    def _build(
        self, spec: AgentSpec, chat_ctx: llm.ChatContext | None, values: dict[str, Any] | None = None
    ) -> OrchestratedAgent:
        if values is None:
            values = self.orchestrator.template_values()
        return self.factory.build(spec, self.graph, chat_ctx=chat_ctx, hooks=self, values=values)

    def _last_reason(self) -> str:
        transitions = self.orchestrator.context.get("transitions") or []
        return str(transitions[-1].get("reason", "")) if transitions else ""

    def _spec_named(self, name: str) -> AgentSpec | None:
        return self.graph.spec.agent_by_name(name) if name else None

    # AgentHooks ------------------------------------------------------------------------------------------------
    async def before_reply(self, agent: OrchestratedAgent, chat_ctx: llm.ChatContext) -> Awaitable[bool] | None:
        message = history.latest_user_message(chat_ctx)
        if message is not None:
            fact = translate.user_turn(message)
            self.submit_fact(fact, lazy=True)  # stored by the gate below
        await self.drain()
        if agent is not self._active:  # the turn moved the session: the new agent answers it, once it is stored
            await self._answerable(agent)
            return None
        held = self._held
        if held is None or (held.written >= held.kept and not held.lost):  # nothing to store first
            answer = self._loop.create_future()
            answer.set_result(True)
            return answer
        # with durability "sync", the turn is stored before it is answered: while the LLM starts on it
        gate: asyncio.Future[bool] = self._loop.create_future()
        opening = asyncio.ensure_future(self._open(gate, agent))
        self._commits.add(opening)
        opening.add_done_callback(self._commits.discard)
        return gate

    async def _open(self, gate: asyncio.Future[bool], agent: OrchestratedAgent) -> None:
        """Tell ``gate`` whether ``agent`` answers, once the turn is stored. The gate is a future of its own, not
        this task: a reply cut short cancels its wait on the gate, never the commit."""
        answers = False
        try:
            answers = await self._answerable(agent, answer_waits=True)
        finally:
            if not gate.done():
                gate.set_result(answers)

    async def _answerable(self, agent: OrchestratedAgent, *, answer_waits: bool = False) -> bool:
        """Whether ``agent`` may answer the turn: it is stored, and ``agent`` is still the active agent."""
        if not await self._commit(answer_waits=answer_waits):
            self._unanswered += 1  # not stored: the agent stays silent (``user_input`` raises)
            return False
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
        if result is None and self._held is not None and self.orchestrator.current_agent_id != agent.spec.id:
            raise ToolError(  # processed, but not stored yet: the hand-over is made once it is
                f"the hand-over to {target} could not be saved yet; it will be made once it is: say nothing more"
            )
        why = result.reason if result is not None else "the session has ended"
        raise ToolError(f"the hand-over to {target} was not accepted ({why}); carry on yourself")

    async def entered(self, agent: OrchestratedAgent) -> None:
        if agent is not self._active:
            return  # superseded by a later hand-over before it could start
        handoff, self._pending = self._pending, None
        if agent.summary_source is not None:
            await self._summarize(agent)
        if not (self.resumed and handoff is None) and await run_actions(self, agent, "on_enter"):
            return  # the conversation ended, or moved on: this agent says nothing more
        if agent is not self._active:
            return
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

    async def exiting(self, agent: OrchestratedAgent) -> None:
        """Run the agent's ``on_exit`` actions when another agent takes over (not when the session closes)."""
        if agent is self._active or self._closed.is_set() or self._end_reason is not None:
            return
        await run_actions(self, agent, "on_exit")

    async def _summarize(self, agent: OrchestratedAgent) -> None:
        """Start ``agent`` with a summary of the history it replaces, written by its own LLM; if that fails, with
        that whole history instead."""
        source, agent.summary_source = agent.summary_source, None
        policy = self.graph.get_flow(agent.spec.id).history
        if source is None or policy.summary_prompt is None:
            return
        where = f"agent {agent.spec.name!r}.context_options.summary_prompt"
        prompt = policy.summary_prompt.render_or_source(self.orchestrator.template_values(), where)
        try:
            if not isinstance(agent.llm, llm.LLM):
                raise TypeError(f"agent {agent.spec.name!r} has no LLM that can write a summary")
            summary = await history.summarize(agent.llm, prompt, source)
            if not summary:
                raise ValueError("the LLM wrote an empty summary")
            updated = history.with_summary(agent.chat_ctx, summary)
        except Exception as exc:
            logger.warning(
                "session %s: no summary for %s (%s: %s); it gets the whole history",
                self.session_id,
                agent.spec.name,
                type(exc).__name__,
                exc,
            )
            updated = history.with_history(agent.chat_ctx, source)
        await agent.update_chat_ctx(updated)

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
        """Until the session is quiet: every hand-over done, the active agent done speaking and, with durability
        ``"sync"``, what the turn reported stored."""
        while not self._closed.is_set():
            await self.wait_ready()
            agent = self._active
            try:
                await self.agent_session.wait_for_idle()
            except Exception:  # the session is closing
                return
            await self.drain()
            if agent is self._active and self._pending is None:
                if not await self._commit():  # with durability "sync", what was said is stored before anyone
                    raise self._stored_failure()  # is told
                return

    def _stored_failure(self) -> Exception:
        """What to raise for a commit that failed: why it did."""
        failure = self._failure
        if failure is None:
            return PersistenceError(f"could not store the events of session {self.session_id!r}")
        return failure

    async def user_input(self, text: str) -> None:
        """Send the user's text as a turn, once any hand-over is done, and wait until it has been answered (by
        whichever agent the turn leads to). Text too long to be an event is refused as a whole, before any agent
        sees it (:class:`MessageTooLongError`): a turn is never half handled. With durability ``"sync"``, raises
        :class:`PersistenceError` (or :class:`SessionOwnedError`) when the turn or its answer could not be stored:
        then the agent may not have answered, and nothing may be told as answered."""
        check_turn_size(text)
        await self.settle()
        if self._closed.is_set():
            raise RuntimeError(f"session {self.session_id} is closed")
        unanswered = self._unanswered
        handle = self.agent_session.generate_reply(user_input=text)
        await handle
        await self.settle()
        if self._unanswered != unanswered:  # a commit failed before the answer: the agent did not answer
            raise self._stored_failure()
        error = handle.exception()
        if error is not None:
            logger.debug("session %s: reply failed: %s", self.session_id, error)


async def _in_thread_now(write: Callable[[], object]) -> None:
    """``write()`` in a worker thread, started before the event loop goes on: the loop thread waits (briefly) for the
    worker to take the interpreter, which it keeps until its statement is on the wire. Left to the usual
    ``to_thread``, the worker would wait for the GIL until the loop next sleeps (the rest of a LiveKit turn, most of a
    millisecond) before it even sends the commit that the turn's answer waits for."""
    started = threading.Event()

    def run() -> None:
        started.set()
        write()

    done = asyncio.get_running_loop().run_in_executor(None, contextvars.copy_context().run, run)
    started.wait(WORKER_START_WAIT)
    await done


def check_turn_size(text: str) -> None:
    """Refuse a user turn whose event would be over ``max_event_bytes``."""
    limit = get_settings().max_event_bytes
    size = len(json.dumps(text)) + _TURN_ENVELOPE
    if size > limit:
        raise MessageTooLongError(
            f"your message ({len(text):,} characters) is too long: as an event it is {size:,} bytes, over the limit "
            f"of {limit:,} (RATAURA2_MAX_EVENT_BYTES); nothing was sent, send it in shorter parts"
        )
