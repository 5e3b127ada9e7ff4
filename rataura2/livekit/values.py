"""The session's context values as tools see them, through LiveKit's ``RunContext``.

A registered tool function may declare a ``RunContext`` parameter; in an orchestrated session ``context.userdata``
is then the session's :class:`SessionValues` (``session_values(context)`` finds it too, when the AgentSession
carries userdata of its own)::

    @registry.register
    async def update_name(name: str, context: RunContext) -> str:
        await context.userdata.update(customer_name=name)   # processed (and logged) before it returns
        return f"The name is now {name}"

A write is an event like any other: logged, replayed on resume, and seen by rules and CEL expressions at once, so
it can hand the conversation over. ``values["key"] = v`` queues the same event without waiting (from a sync tool
too, which runs in a worker thread); reads see it at once. Sensitive keys read back their real value in the process
that set it (the context holds ``[redacted]``), and ``None`` after the session was resumed elsewhere. Once the
session has ended (its bridge gone), reads and writes raise :class:`SessionEndedError`.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from livekit.agents import RunContext

from rataura2.core.context import OWNED_FIELDS, RESERVED_FIELDS
from rataura2.core.orchestrator import AgentOrchestrator, context_update_event
from rataura2.errors import InvalidEventError, SessionEndedError, UnknownSessionError

if TYPE_CHECKING:
    from livekit.agents import AgentSession

    from rataura2.core.events import EventData
    from rataura2.core.result import TransitionResult

current_tool: ContextVar[str | None] = ContextVar("rataura2_current_tool", default=None)
"""The tool being run (set by the tool wrapper), so that a write says which tool made it."""


class ValuesHost(Protocol):
    """What :class:`SessionValues` needs of the session bridge."""

    orchestrator: AgentOrchestrator

    def submit(self, event: EventData) -> asyncio.Future[TransitionResult | None]: ...

    def request_end(self, reason: str) -> None: ...

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...


class SessionValues:
    """Read and set one orchestrated session's context values; see the module docstring."""

    def __init__(self, host: ValuesHost) -> None:
        self._host_ref = weakref.ref(host)
        """Weak: the AgentSession's entry in ``_BY_SESSION`` holds this object, and the host holds the AgentSession;
        a strong reference would keep every session a worker ever served alive (a weak key only frees its entry
        when nothing in the value leads back to the key)."""
        self._pending: dict[str, Any] = {}
        """Values queued by ``values[key] = v`` and not processed yet, so that reads see them at once."""
        self._lock = threading.Lock()

    @property
    def _host(self) -> ValuesHost:
        host = self._host_ref()
        if host is None:
            raise SessionEndedError("this session has ended: its context values are gone with it")
        return host

    @property
    def orchestrator(self) -> AgentOrchestrator:
        return self._host.orchestrator

    # reading --------------------------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        orchestrator = self.orchestrator
        with self._lock:
            if key in self._pending:
                return self._pending[key]
        if key in orchestrator.graph.sensitive.keys:  # the context holds the marker; the value is in memory, or gone
            return orchestrator.secrets.values.get(key, default)
        return orchestrator.context.get(key, default)

    def __getitem__(self, key: str) -> Any:
        missing = object()
        value = self.get(key, missing)
        if value is missing:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _MISSING) is not _MISSING

    def keys(self) -> Iterator[str]:
        return iter(sorted(set(self.orchestrator.context.keys()) | set(self._pending)))

    # writing --------------------------------------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        """Set ``key`` without waiting: the event is queued (it is checked here, so a bad write raises here) and
        reads see the value at once."""
        loop = self._host.loop
        event = self._event({key: value})
        with self._lock:
            self._pending[key] = value
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._queue(event, key, value)
        else:
            loop.call_soon_threadsafe(self._queue, event, key, value)

    async def update(
        self, values: Mapping[str, Any] | None = None, /, *, scope: str = "session", **more: Any
    ) -> TransitionResult | None:
        """Set context values and wait until the session has processed them; returns what that came to (a
        hand-over, if a rule or an expression now holds). None if the session has ended."""
        event = self._event({**(values or {}), **more}, scope=scope)
        return await self._host.submit(event)

    async def end_conversation(self, reason: str) -> None:
        """End the conversation once the agent's current reply has been spoken, with ``reason``."""
        self._host.request_end(reason)

    def learn_secret(self, value: Any) -> None:
        """Treat ``value`` as sensitive in this session from now on: scrubbed from everything recorded."""
        self.orchestrator.secrets.learn(value)

    # internals ------------------------------------------------------------------------------------------------
    def _event(self, updates: Mapping[str, Any], *, scope: str = "session") -> EventData:
        for key in updates:
            if not isinstance(key, str) or not key:
                raise InvalidEventError("data.context_updates", f"a context key is a non-empty string, got {key!r}")
            if key in OWNED_FIELDS | RESERVED_FIELDS:
                raise InvalidEventError(f"data.context_updates.{key}", "is kept by the orchestrator and cannot be set")
        tool = current_tool.get()
        return context_update_event(
            updates, scope=scope, timestamp=time.time(), set_by=f"tool {tool}" if tool else "session values"
        )

    def _queue(self, event: EventData, key: str, value: Any) -> None:
        def processed(_: object = None) -> None:
            with self._lock:
                if key in self._pending and self._pending[key] is value:
                    del self._pending[key]

        host = self._host_ref()
        if host is None:  # the session ended between the write and this callback: nothing takes it any more
            processed()
            return
        host.submit(event).add_done_callback(processed)


_MISSING = object()
_BY_SESSION: weakref.WeakKeyDictionary[AgentSession[Any], SessionValues] = weakref.WeakKeyDictionary()


def attach(agent_session: AgentSession[Any], values: SessionValues) -> None:
    """Make ``values`` the session's (and its ``userdata``, unless it has userdata of its own)."""
    _BY_SESSION[agent_session] = values
    try:
        agent_session.userdata  # noqa: B018
    except ValueError:  # no userdata: ours
        agent_session.userdata = values


def session_values(context: RunContext[Any] | AgentSession[Any]) -> SessionValues:
    """The :class:`SessionValues` of the orchestrated session of ``context`` (a RunContext or an AgentSession)."""
    agent_session = context.session if isinstance(context, RunContext) else context
    values = _BY_SESSION.get(agent_session)
    if values is None:
        raise UnknownSessionError(
            "this AgentSession is not orchestrated by rataura2 (start it with LivekitSessionHandler)"
        )
    return values


def find_values(agent_session: AgentSession[Any] | None) -> SessionValues | None:
    return _BY_SESSION.get(agent_session) if agent_session is not None else None


__all__ = ["SessionValues", "ValuesHost", "attach", "current_tool", "find_values", "session_values"]
