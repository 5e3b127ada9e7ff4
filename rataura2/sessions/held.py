"""Held writes: a session's events processed in memory and written together, by one transaction, when their
holder commits them (``durability="sync"``).

A LiveKit turn is several events (the user's message, the agent's state changes, its reply); written one
transaction each, a turn waits for as many commits. The LiveKit bridge holds its session's events instead
(``SessionManager.hold_writes``) and commits them at the points where they become visible outside: before the agent
answers a user turn, before a hand-over, before it tells a submitter (a tool, an action) what its event came to,
before the session ends, and otherwise shortly after the session falls quiet; a commit that fails stops what it
guards (the agent stays silent, the hand-over waits, the submitter is told None, ``/chat`` answers 503). So a crash
before the commit loses only events nobody was told of: the session resumes from the log as it was before them.
Readers from outside wait for the commit too: the API's view of a live session's state writes what is held first
(``SessionManager.write_held``), and another caller sending a held event's id again is answered once that event is
stored (``repeated``).

Only the holder's own events are held (those it processes inside :meth:`HeldWrites.holding`). Any other caller of
the session (the HTTP API, a thread) is served as by the sync store: its event is written, with everything held
before it, in one transaction before ``process_event`` returns.

A commit that fails keeps the held records (they are written by the next commit, in order); the events stay
applied in memory but are not acknowledged: ``commit`` raises and the holder tells its submitters so. A session
found taken over by another process (its lease lost) drops what is held and is ``lost``: nothing it holds can be
written any more.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from rataura2.core.result import TransitionResult
from rataura2.errors import PersistenceError, SessionOwnedError
from rataura2.persistence.group_commit import Outcome
from rataura2.persistence.sql_store import EventRecord, Fenced, SyncStore

if TYPE_CHECKING:
    from rataura2.core.events import EventData
    from rataura2.core.orchestrator import AgentOrchestrator

_holder: ContextVar[HeldWrites | None] = ContextVar("rataura2_held_writes", default=None)


class HeldWrites:
    """The session store of one session whose holder writes its events in batches; see the module docstring."""

    blocks = True
    """For callers other than the holder: their events are written before ``process_event`` returns."""

    def __init__(self, store: SyncStore, orchestrator: AgentOrchestrator) -> None:
        self.store = store
        self.orchestrator = orchestrator
        self.session_id = orchestrator.session_id
        self._held: list[EventRecord] = []
        self._lock = threading.Lock()
        """Guards ``_held``."""
        self._writing = threading.Lock()
        """One write at a time, so that the session's records reach the log in order."""
        self.commits = 0
        """Transactions written so far."""
        self.kept = 0
        """Events kept so far (held, or written at once for another caller): a mark to wait for with
        :attr:`written`."""
        self.written = 0
        """Events written so far; ``written >= mark`` once every event kept before ``kept`` was ``mark`` is
        stored (records are written in the order they were kept)."""
        self.lost = False
        """The session was taken over elsewhere (this process lost its lease): what was held is dropped, and
        nothing held from now on can be written."""

    @property
    def held(self) -> int:
        """Events processed and not yet written."""
        return len(self._held)

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Events this session processes in here are held (in this thread or task only)."""
        token = _holder.set(self)
        try:
            yield
        finally:
            _holder.reset(token)

    def commit(self) -> int:
        """Write every held event, in one transaction; returns how many. Raises :class:`PersistenceError` or
        :class:`SessionOwnedError` when they could not be written (they stay held, but for a session taken over
        elsewhere, whose events can never be written)."""
        with self._writing:
            with self._lock:
                batch = list(self._held)
            if not batch:
                return 0
            self._settle(batch, self.store.write_held(batch))
            return len(batch)

    # the SessionStore protocol -------------------------------------------------------------------------------
    def event_processed(self, orchestrator: AgentOrchestrator, event: EventData, result: TransitionResult) -> None:
        if _holder.get() is self:
            record = self.store.held_record(orchestrator, event, result)
            with self._lock:
                self._held.append(record)
                self.kept += 1
            return
        with self._writing:  # another caller: its event goes now, with what is held before it
            record = self.store.held_record(orchestrator, event, result, keep=False)
            with self._lock:
                batch = [*self._held, record]
            outcomes = self.store.write_held(batch)
            if outcomes[-1] is None:
                with self._lock:
                    self.kept += 1
            self._settle(batch, outcomes, event)

    def session_started(self, orchestrator: AgentOrchestrator) -> None:
        self.store.session_started(orchestrator)

    def logged_result(self, orchestrator: AgentOrchestrator, event_id: str) -> TransitionResult | None:
        with self._lock:
            for record in reversed(self._held):
                if record.event.id == event_id:
                    return TransitionResult.from_dict(record.result)
        return self.store.logged_result(orchestrator, event_id)

    def repeated(self, orchestrator: AgentOrchestrator, event_id: str) -> None:
        if _holder.get() is self:
            return  # the holder is told of its events once they are committed
        with self._lock:
            pending = any(record.event.id == event_id for record in self._held)
        if pending:  # another caller is about to be told of it: it must be stored first
            self.commit()

    def session_ended(self, orchestrator: AgentOrchestrator) -> None:
        self.commit()
        self.store.session_ended(orchestrator)

    def close(self) -> None:
        self.commit()

    # internals ------------------------------------------------------------------------------------------------
    def _settle(
        self, batch: Sequence[EventRecord], outcomes: Sequence[Outcome], event: EventData | None = None
    ) -> None:
        """Forget the records that were written; raise what kept the first of the others from being written."""
        written = {id(r) for r, outcome in zip(batch, outcomes, strict=True) if outcome is None}
        with self._lock:
            self._held = [r for r in self._held if id(r) not in written]
        if written:
            self.commits += 1
            self.written += len(written)
        failure = next((outcome for outcome in outcomes if outcome is not None), None)
        if failure is None:
            return
        what = f"event {event.id!r}" if event is not None else f"{len(batch) - len(written)} held events"
        if isinstance(failure, Fenced):
            with self._lock:
                lost, self._held = len(self._held), []
                self.kept = self.written  # nothing is left to wait for
                self.lost = True
            self.store.leases.forget(self.session_id)
            raise SessionOwnedError(
                self.session_id,
                None,
                f"session {self.session_id!r} is driven by another process now: this process lost its lease, "
                f"{what} and {lost} held events were not saved",
            )
        if isinstance(failure, SQLAlchemyError):
            raise PersistenceError(
                f"could not save {what} of session {self.session_id!r}; send it again once the database is "
                f"back: {failure}"
            ) from failure
        raise failure


__all__ = ["HeldWrites"]
