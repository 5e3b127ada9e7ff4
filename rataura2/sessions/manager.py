"""The live sessions of a process: where sessions start, resume and end, on compiled graphs of published versions.

The session core (:class:`~rataura2.core.orchestrator.AgentOrchestrator`) does no I/O; this manager is where the
database comes in: it loads and publishes graphs, and gives each session the store its durability asks for.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from opentelemetry.trace import TracerProvider
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rataura2.core.events import EventData, EventManager, check_session_id
from rataura2.core.graph import CompiledGraph
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult, TransitionStatus
from rataura2.db.loader import find_conversation
from rataura2.errors import PersistenceError, SessionExistsError, UnknownSessionError
from rataura2.persistence import make_store
from rataura2.persistence.connection import KeptConnection
from rataura2.persistence.graphs import graphs_of, read_marker
from rataura2.persistence.leases import read_row
from rataura2.persistence.log import read_log, rebuild
from rataura2.persistence.sql_store import SqlStore, SyncStore
from rataura2.sessions.held import HeldWrites
from rataura2.sessions.tracing import Tracing
from rataura2.vocabulary.events import EventType, internal_event_id

Durability = Literal["sync", "async", "off"]
logger = logging.getLogger(__name__)


class SessionManager:
    """The live sessions of a process: creates them on a conversation's compiled graph, finds, resumes and ends
    them.

    ``durability`` says where sessions live: ``"sync"`` (the default) writes each event to the database before
    ``process_event`` returns, ``"async"`` writes behind in batches (see ``rataura2.persistence.async_store``),
    ``"off"`` keeps sessions in this process only. A durable session is driven by one process at a time (it holds
    the session's lease); ``resume_session`` rebuilds it in any process from its snapshot and event log.

    A new session runs on the conversation's latest published version, publishing the current definition first if
    it was edited since (see ``rataura2.persistence.graphs``): definitions must be committed before sessions
    start on them. Graphs are compiled once per conversation version and shared by the managers of the process.
    The database is read and written through the engine of ``db`` with connections of the manager's own, never on
    ``db`` itself. Safe to use from several threads; the ``a*`` methods do the database work off the event loop.
    ``close()`` it (or use it as a context manager) to flush and let its sessions go.
    """

    def __init__(
        self,
        db: Session,
        *,
        durability: Durability = "sync",
        max_hops_per_event: int | None = None,
        max_transitions_per_turn: int | None = None,
        event_manager_factory: Callable[[], EventManager] = EventManager,
        snapshot_every: int | None = None,
        lease_seconds: float | None = None,
        max_backlog: int | None = None,
        owner: str | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if durability not in ("sync", "async", "off"):
            raise ValueError(f"durability must be 'sync', 'async' or 'off', got {durability!r}")
        self.db = db
        bind = db.get_bind()
        self.engine: Engine = bind if isinstance(bind, Engine) else bind.engine
        self.durability = durability
        self.max_hops_per_event = max_hops_per_event
        self.max_transitions_per_turn = max_transitions_per_turn
        self.event_manager_factory = event_manager_factory
        self.tracing = Tracing(tracer_provider)
        """Spans for the events its sessions process (the host's tracer provider unless one is given)."""
        self.store: SqlStore | None = None
        if durability != "off":
            self.store = make_store(
                durability,
                self.engine,
                snapshot_every=snapshot_every,
                lease_seconds=lease_seconds,
                max_backlog=max_backlog,
                owner=owner,
            )
        self._sessions: dict[str, AgentOrchestrator] = {}
        self.graphs = graphs_of(self.engine)
        self._reader = KeptConnection(self.engine)
        """Where session starts check for a new version: one connection kept open, one round trip per check."""
        self._lock = threading.RLock()
        self._held: dict[str, HeldWrites] = {}
        """Sessions whose events their driver holds and commits in batches (``hold_writes``)."""

    # held writes ---------------------------------------------------------------------------------------------
    def hold_writes(self, session_id: str) -> HeldWrites | None:
        """Let the caller hold the events it processes on a live session and commit them in batches (see
        ``rataura2.sessions.held``): the LiveKit bridge does, to write a turn's events in one transaction. Only
        with ``durability="sync"`` (None otherwise: nothing to hold). The session's other callers are unaffected;
        ending or releasing it, or closing the manager, commits what is held first."""
        with self._lock:
            orchestrator = self[session_id]
            if not isinstance(self.store, SyncStore):
                return None
            held = self._held.get(session_id)
            if held is None:
                held = self._held[session_id] = HeldWrites(self.store, orchestrator)
                orchestrator.store = held
            return held

    def write_held(self, session_id: str) -> None:
        """Commit what the session's driver holds, if anything, so that what a reader is shown next is stored
        (:class:`~rataura2.errors.PersistenceError` when it cannot be)."""
        held = self._held.get(session_id)
        if held is not None:
            held.commit()

    def _let_go_held(self, session_id: str) -> None:
        """Commit what is held for the session and give it back its store."""
        held = self._held.pop(session_id, None)
        if held is not None:
            with held.orchestrator.lock:  # no event is held between the commit and the swap
                try:
                    held.commit()
                finally:
                    held.orchestrator.store = self.store

    # graphs --------------------------------------------------------------------------------------------------
    def publish_and_compile(self, conversation: int | str) -> CompiledGraph:
        """The compiled graph of the conversation's latest version. One indexed query tells whether the definition
        was edited since that version was published; only then is it read, published as a new version and
        compiled. Compiled graphs are shared by every manager of the process on this database.

        A definition that does not compile never replaces the last good version: new sessions keep starting on
        it, and the error is logged and kept in :attr:`publish_errors` (by conversation id) until an edit that
        compiles is published. With no version published before, the error is raised."""
        try:
            marker = self._reader.run(lambda conn: read_marker(conn, conversation))
        except SQLAlchemyError as exc:
            raise PersistenceError(f"could not read conversation {conversation!r}: {exc}") from exc
        return self.graphs.latest(marker)

    @property
    def publish_errors(self) -> dict[int, str]:
        """By conversation id: why its current definition could not be published (sessions start on the last good
        version meanwhile)."""
        return self.graphs.publish_errors

    def compiled_version(self, conversation_id: int, version: int) -> CompiledGraph:
        """The compiled graph of one published version of a conversation, as it was published."""
        return self.graphs.version(conversation_id, version)

    # sessions ------------------------------------------------------------------------------------------------
    def create_session(
        self,
        session_id: str,
        conversation_id: int | str,
        *,
        initial_context: Mapping[str, Any] | None = None,
        timestamp: float | None = None,
        version: int | None = None,
    ) -> AgentOrchestrator:
        """Start a session on the conversation's initial agent and record its SESSION_CREATED event. With a
        durable store the session is recorded (and held) first: :class:`SessionExistsError` if its id is in the
        database already. ``version`` starts it on that published version instead of the latest (to try an
        older one); the definition is not published then."""
        check_session_id(session_id)
        with self._lock:
            if session_id in self._sessions:
                raise SessionExistsError(f"session {session_id!r} is already live")
            if version is None:
                graph = self.publish_and_compile(conversation_id)
            else:
                with Session(self.engine) as db:
                    numeric_id = find_conversation(db, conversation_id).id
                graph = self.compiled_version(numeric_id, version)
            orchestrator = AgentOrchestrator(
                session_id,
                graph,
                event_manager=self.event_manager_factory(),
                max_hops_per_event=self.max_hops_per_event,
                max_transitions_per_turn=self.max_transitions_per_turn,
                store=self.store,
            )
            if self.store is not None:
                self.store.session_started(orchestrator)
            try:
                orchestrator.process_own_event(
                    EventData(
                        type=EventType.SESSION_CREATED,
                        source="session_manager",
                        id=internal_event_id("created"),
                        timestamp=time.time() if timestamp is None else timestamp,
                        data={"conversation_id": graph.conversation_id, "version": graph.version},
                    )
                )
                if initial_context:
                    orchestrator.update_context(dict(initial_context))
            except BaseException:
                if self.store is not None:
                    self.store.discard(session_id)
                raise
            self._sessions[session_id] = orchestrator
            return orchestrator

    def resume_session(self, session_id: str, *, wait: float = 0.0) -> AgentOrchestrator:
        """Take a durable session and rebuild it here, from its latest snapshot and its event log, in exactly the
        state it had; from now on this process drives it. Events it processed before keep their ids: sending them
        again is a no-op that returns the logged result.

        A session already live here is returned as it is. :class:`UnknownSessionError` if the database has no such
        session; :class:`SessionOwnedError` (naming the owner) if another live process drives it and does not let
        go within ``wait`` seconds. An ended session is returned rebuilt but not held: it takes no more events.
        """
        check_session_id(session_id)
        with self._lock:
            live = self._sessions.get(session_id)
            if live is not None:
                return live
            if self.store is None:
                raise UnknownSessionError(
                    f"no live session {session_id!r}; with durability='off' sessions live in memory only"
                )
            row = self.store.claim(session_id, wait=wait)
            try:
                log = self.store.load(row)
                graph = self.compiled_version(row.conversation_id, row.version)
                orchestrator = rebuild(
                    log,
                    graph,
                    event_manager_factory=self.event_manager_factory,
                    max_hops_per_event=self.max_hops_per_event,
                    max_transitions_per_turn=self.max_transitions_per_turn,
                )
            except BaseException:
                if not row.ended:
                    self.store.release(session_id)
                raise
            if orchestrator.ended:
                self.store.release(session_id)
                return orchestrator
            self.store.attach(orchestrator, log)
            self._sessions[session_id] = orchestrator
            return orchestrator

    def open_session(
        self,
        session_id: str,
        conversation_id: int | str,
        *,
        wait: float = 0.0,
        initial_context: Mapping[str, Any] | None = None,
    ) -> AgentOrchestrator:
        """What a worker given a room calls: resume the room's session if the database has it (a previous worker
        died or let go), else create it. :class:`SessionExistsError` if it has ended (start another id)."""
        live = self._sessions.get(session_id)
        if live is not None:
            return live
        for _ in range(2):
            if self.store is not None:
                try:
                    orchestrator = self.resume_session(session_id, wait=wait)
                except UnknownSessionError:
                    pass
                else:
                    if orchestrator.ended:
                        raise SessionExistsError(f"session {session_id!r} has ended; start another one")
                    return orchestrator
            try:
                return self.create_session(session_id, conversation_id, initial_context=initial_context)
            except SessionExistsError:
                if self.store is None:
                    raise
                continue  # another process created it first: resume it
        raise SessionExistsError(f"session {session_id!r} could neither be resumed nor created")

    def load_session(self, session_id: str) -> AgentOrchestrator:
        """A read-only view of a durable session, rebuilt from the database without taking it (whoever drives it
        goes on undisturbed); it has no store, so events given to it are not saved."""
        check_session_id(session_id)
        with self.engine.connect() as conn:
            log = read_log(conn, read_row(conn, session_id))
        graph = self.compiled_version(log.row.conversation_id, log.row.version)
        return rebuild(
            log,
            graph,
            event_manager_factory=self.event_manager_factory,
            max_hops_per_event=self.max_hops_per_event,
            max_transitions_per_turn=self.max_transitions_per_turn,
        )

    def release_session(self, session_id: str) -> None:
        """Stop driving a live session without ending it (e.g. a worker draining): it leaves this process and any
        process may resume it."""
        with self._lock:
            self[session_id]
            try:
                self._let_go_held(session_id)
            finally:
                del self._sessions[session_id]
                if self.store is not None:
                    self.store.release(session_id)

    async def acreate_session(
        self,
        session_id: str,
        conversation_id: int | str,
        *,
        initial_context: Mapping[str, Any] | None = None,
    ) -> AgentOrchestrator:
        return await asyncio.to_thread(
            self.create_session, session_id, conversation_id, initial_context=initial_context
        )

    def __getitem__(self, session_id: str) -> AgentOrchestrator:
        orchestrator = self._sessions.get(session_id)
        if orchestrator is None:
            raise UnknownSessionError(f"no live session {session_id!r}")
        return orchestrator

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._sessions

    def end_session(
        self, session_id: str, *, reason: str | None = None, timestamp: float | None = None
    ) -> TransitionResult:
        """Record SESSION_ENDED and forget the session; the orchestrator refuses further events. A session that
        an event has ended already (a LiveKit ``close``) is just forgotten."""
        with self._lock:
            orchestrator = self[session_id]
            if orchestrator.ended:
                del self._sessions[session_id]
                try:
                    self._let_go_held(session_id)
                finally:  # its lease goes with it, even when what was held could not be written
                    if self.store is not None:
                        self.store.session_ended(orchestrator)
                return TransitionResult(
                    TransitionStatus.NO_TRANSITION, orchestrator.current_agent_id, reason="session had ended already"
                )
            result = orchestrator.process_own_event(
                EventData(
                    type=EventType.SESSION_ENDED,
                    source="session_manager",
                    id=internal_event_id("ended"),
                    timestamp=time.time() if timestamp is None else timestamp,
                    data={"reason": reason},
                )
            )
            if self.store is not None:
                self.store.session_ended(orchestrator)
            del self._sessions[session_id]
            self._held.pop(session_id, None)
            return result

    async def aend_session(self, session_id: str, *, reason: str | None = None) -> TransitionResult:
        return await asyncio.to_thread(self.end_session, session_id, reason=reason)

    def session_ids(self) -> list[str]:
        return list(self._sessions)

    def list_sessions(self) -> list[dict[str, Any]]:
        out = []
        for session_id, orch in list(self._sessions.items()):
            ctx = orch.context
            out.append(
                {
                    "session_id": session_id,
                    "conversation_id": ctx.get("conversation_id"),
                    "current_agent_id": ctx.get("current_agent_id"),
                    "current_agent_name": ctx.get("current_agent_name"),
                    "turn_count": ctx.get("turn_count"),
                }
            )
        return out

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def backlog(self) -> int:
        """Acknowledged events not yet in the database (``durability="async"``; always 0 otherwise)."""
        return int(getattr(self.store, "backlog", 0))

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every acknowledged event is in the database (``durability="async"``; a no-op otherwise)."""
        flush = getattr(self.store, "flush", None)
        if flush is not None:
            flush(timeout)

    def close(self) -> None:
        """Flush, and let every session go so that other processes can resume them at once. The sessions of this
        manager take no more events."""
        with self._lock:
            for session_id in list(self._held):
                try:
                    self._let_go_held(session_id)
                except Exception as exc:  # they were never acknowledged; the others must still be let go
                    logger.error("session %s: held events could not be written at close: %s", session_id, exc)
            if self.store is not None:
                self.store.close()
            self._sessions.clear()
            self._reader.close()

    def __enter__(self) -> SessionManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["Durability", "SessionManager"]
