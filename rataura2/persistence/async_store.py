"""``durability="async"``: events are acknowledged at once and written behind, in batches, by one thread.

What it promises:

- The buffer is bounded (``max_backlog``). When it is full, ``process_event`` refuses the event with
  :class:`BacklogFullError` (nothing is acknowledged); an acknowledged event is never dropped to make room.
- When the database is away, the writer keeps every acknowledged event and retries with exponential backoff;
  :attr:`AsyncStore.backlog` and :attr:`AsyncStore.last_error` report it, and the log says so at each retry.
- :meth:`AsyncStore.flush` waits until every acknowledged event is written; :meth:`AsyncStore.close` flushes,
  stops the writer and lets the sessions go. Both raise :class:`PersistenceError` rather than return with events
  unwritten.
- Events of a session whose lease was lost to another process can never be written (the fence refuses them): they
  are kept in :attr:`AsyncStore.failed_events`, logged as errors, and reported by ``flush``.

What it does not: survive a crash of this process with a backlog. That is the trade of write-behind; use
``durability="sync"`` where every acknowledged event must outlive its worker.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any

import tenacity
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from rataura2.core.result import TransitionResult
from rataura2.errors import BacklogFullError, PersistenceError
from rataura2.persistence.leases import SessionRow
from rataura2.persistence.sql_store import EventRecord, Release, SqlStore
from rataura2.settings import checked

if TYPE_CHECKING:
    from rataura2.core.events import EventData
    from rataura2.core.orchestrator import AgentOrchestrator

logger = logging.getLogger(__name__)

Item = EventRecord | Release


class AsyncStore(SqlStore):
    durability = "async"
    blocks = False
    """Acknowledging an event only queues it: asyncio callers need no thread hop."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_backlog: int | None = None,
        batch_size: int = 500,
        quiet_seconds: float = 0.02,
        gather_seconds: float = 0.25,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        **options: Any,
    ) -> None:
        super().__init__(engine, **options)
        self.max_backlog = int(checked("async_max_backlog", max_backlog))
        self.batch_size = batch_size
        self.quiet_seconds = quiet_seconds
        self.gather_seconds = gather_seconds
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._queue: deque[Item] = deque()
        self._pending = 0
        """Event records in the queue (the backlog); release markers are not counted."""
        self._cond = threading.Condition()
        self._kick = threading.Event()
        self._flushing = 0
        """Callers waiting in ``flush``: the writer then writes at once, without gathering."""
        self._stopping = False
        self._last_queued = 0.0
        """``time.monotonic()`` when the latest event was queued: the writer waits for a lull after it."""
        self._waiting_first = False
        """The writer waits for an item to come (an empty queue), rather than gathering a burst."""
        self._closed = False
        self._writer: threading.Thread | None = None
        self._last_error: str | None = None
        self._failed: list[EventRecord] = []
        self.written = 0
        self.retries = 0
        atexit.register(_flush_at_exit, weakref.ref(self))

    # reporting -----------------------------------------------------------------------------------------------
    @property
    def backlog(self) -> int:
        """Acknowledged events not yet in the database."""
        return self._pending

    @property
    def last_error(self) -> str | None:
        """Why the last write failed, while writes are failing (None once one succeeds)."""
        return self._last_error

    @property
    def failed_events(self) -> list[EventRecord]:
        """Acknowledged events that can never be written (their session was taken over elsewhere)."""
        with self._cond:
            return list(self._failed)

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {
                "durability": self.durability,
                "backlog": self._pending,
                "max_backlog": self.max_backlog,
                "written": self.written,
                "retries": self.retries,
                "last_error": self._last_error,
                "failed": len(self._failed),
            }

    # the SessionStore protocol -------------------------------------------------------------------------------
    def event_processed(self, orchestrator: AgentOrchestrator, event: EventData, result: TransitionResult) -> None:
        tracked = self._tracking(orchestrator.session_id)
        record = self._record(orchestrator, tracked, event, result)
        with self._cond:
            if self._closed:
                raise PersistenceError(f"the session store is closed; event {event.id!r} was not applied")
            if self._pending >= self.max_backlog:
                raise BacklogFullError(
                    f"{self._pending} acknowledged events are waiting for the database (last error: "
                    f"{self._last_error}); event {event.id!r} of session {orchestrator.session_id!r} was refused, "
                    "send it again later"
                )
            self._queue.append(record)
            self._pending += 1
            self._last_queued = time.monotonic()
            tracked.seq = record.seq
            self._start_writer()
            self._wake_writer()
        if record.ended:  # nothing follows an end; the writer lets the session go once it is written
            with self._mutex:
                self._tracked.pop(record.session_id, None)

    def logged_result(self, orchestrator: AgentOrchestrator, event_id: str) -> TransitionResult | None:
        """As the sync store's, looking first at what is acknowledged and not written yet."""
        session_id = orchestrator.session_id
        with self._cond:
            for item in reversed(self._queue):
                if isinstance(item, EventRecord) and item.session_id == session_id and item.event.id == event_id:
                    return TransitionResult.from_dict(item.result)
        return super().logged_result(orchestrator, event_id)

    def release(self, session_id: str) -> None:
        """Stop driving the session: it is let go once its queued events are written."""
        with self._mutex:
            tracked = self._tracked.pop(session_id, None)
        if tracked is None:
            return
        with self._cond:
            self._queue.append(Release(session_id, tracked.pk))
            self._start_writer()
            self._cond.notify_all()

    def claim(self, session_id: str, *, wait: float = 0.0) -> SessionRow:
        self.flush(max(wait, 5.0))  # what this process acknowledged must be in the log it resumes from
        return super().claim(session_id, wait=wait)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every acknowledged event is written. :class:`PersistenceError` if some are still waiting
        after ``timeout`` seconds (they stay queued and retried), or if some can never be written."""
        self._kick.set()
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                drained = self._cond.wait_for(lambda: not self._queue, timeout)
            finally:
                self._flushing -= 1
            waiting, failed, error = self._pending, len(self._failed), self._last_error
        if not drained:
            raise PersistenceError(
                f"{waiting} acknowledged events are still waiting for the database after {timeout}s "
                f"(last error: {error}); they are kept and retried"
            )
        if failed:
            raise PersistenceError(
                f"{failed} acknowledged events could not be written: their sessions were taken over by other "
                "processes (see failed_events)"
            )

    def close(self, timeout: float | None = 30.0) -> None:
        """Flush, stop the writer and let the sessions go. If the backlog cannot be written within ``timeout``,
        raise :class:`PersistenceError` and stay open (the writer keeps trying; call ``close`` again)."""
        if self._closed:
            return
        self.flush(timeout)
        with self._cond:
            self._stopping = self._closed = True
            self._cond.notify_all()
        self._kick.set()
        if self._writer is not None:
            self._writer.join(timeout)
        super().close()

    # the writer ----------------------------------------------------------------------------------------------
    def _wake_writer(self) -> None:
        """Under the lock, after queueing an event: wake the writer only when it waits for a first item or for a
        full batch. In between it is gathering a burst: it wakes once to look for a lull, then at its deadline;
        waking it at each event would hand it the interpreter once per event, taking it from the session's event
        loop for nothing."""
        if self._waiting_first or len(self._queue) >= self.batch_size:
            self._cond.notify_all()

    def _start_writer(self) -> None:
        if self._writer is None or not self._writer.is_alive():
            self._writer = threading.Thread(target=self._run, name="rataura2-async-store", daemon=True)
            self._writer.start()

    def _run(self) -> None:
        # the database may be away for a while: keep the batch (it stays queued until written) and retry it with
        # exponential backoff; ``close()`` or ``flush()`` cut a wait short through ``_kick``
        retrying = tenacity.Retrying(
            wait=tenacity.wait_exponential(multiplier=self.retry_initial, max=self.retry_max),
            sleep=self._pause,
            before_sleep=self._report_failure,
        )
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._waiting_first = True
                    try:
                        self._cond.wait()
                    finally:
                        self._waiting_first = False
                if not self._queue:
                    return
                self._gather()
                batch = list(itertools.islice(self._queue, self.batch_size))
            retrying(self._write_batch, batch)

    def _gather(self) -> None:
        """Under the lock: wait for a lull (``quiet_seconds`` without a new event) before writing, at most
        ``gather_seconds`` from the start of the wait (the end of the last write, or the first event after a quiet
        spell), or until a batch is full. A LiveKit turn is a burst of events: written once it is over, in one
        batch, the writer takes the interpreter from the sessions' event loop between turns rather than in the
        middle of one (where it would slow the answer down). ``flush`` and ``close`` cut the wait short.

        The lull is looked for once: when events are still coming then, the writer sleeps until the deadline.
        Each time this thread wakes it must win the interpreter from a busy event loop, which costs the loop far
        more than the few lines the thread runs (on a 2-core machine, a wake every 20 ms added 0.15 ms to every
        LiveKit turn); polling for the lull under a steady stream would pay that fifty times a second."""
        deadline = time.monotonic() + self.gather_seconds
        look = self._last_queued + self.quiet_seconds  # a wake before it (a release) is not the look
        while len(self._queue) < self.batch_size and not self._stopping and not self._flushing:
            now = time.monotonic()
            lull = self._last_queued + self.quiet_seconds
            if lull <= now or deadline <= now:
                return
            self._cond.wait((min(deadline, lull) if now < look else deadline) - now)

    def _pause(self, seconds: float) -> None:
        self._kick.wait(seconds)
        self._kick.clear()

    def _report_failure(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        with self._cond:
            self._last_error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            self.retries += 1
            backlog = self._pending
        logger.warning(
            "async session store: %d acknowledged events waiting for the database, retry in %.2fs: %s",
            backlog,
            state.upcoming_sleep,
            self._last_error,
        )

    def _write_batch(self, batch: list[Item]) -> None:
        batch = _until_resumed(batch)
        try:
            fenced = self._write(batch)
        except IntegrityError:
            records = [i for i in batch if isinstance(i, EventRecord)]
            written, conflicting = self._split_written(records)
            if not written and not conflicting:
                raise
            for record in conflicting:
                self._drop_session(record.session_id)
            self._remove(set(map(id, written)))
            return
        for session_id in fenced:
            self._drop_session(session_id)
        done = [i for i in batch if i.session_id not in fenced]
        self._remove(set(map(id, done)))
        self._finished(done)

    def _remove(self, ids: set[int]) -> None:
        """Take written items out of the queue (only this thread removes, so they are still there)."""
        with self._cond:
            removed = [i for i in self._queue if id(i) in ids]
            self._queue = deque(i for i in self._queue if id(i) not in ids)
            done = sum(isinstance(i, EventRecord) for i in removed)
            self._pending -= done
            self.written += done
            self._last_error = None
            self._cond.notify_all()

    def _drop_session(self, session_id: str) -> None:
        with self._cond:
            lost = [i for i in self._queue if i.session_id == session_id and isinstance(i, EventRecord)]
            self._queue = deque(i for i in self._queue if i.session_id != session_id)
            self._pending -= len(lost)
            self._failed.extend(lost)
            self._cond.notify_all()
        with self._mutex:
            self._tracked.pop(session_id, None)
        self.leases.forget(session_id)
        if lost:
            logger.error(
                "async session store: session %s is driven by %s now; %d acknowledged events of it cannot be "
                "written (kept in failed_events)",
                session_id,
                self._owner_of(session_id) or "another process",
                len(lost),
            )


def _until_resumed(batch: list[Item]) -> list[Item]:
    """The batch up to the first item of a session that an earlier item of it released (kept for the next)."""
    released: set[str] = set()
    for n, item in enumerate(batch):
        if item.session_id in released:
            return batch[:n]
        if isinstance(item, Release):
            released.add(item.session_id)
    return batch


def _flush_at_exit(ref: weakref.ref[AsyncStore]) -> None:
    store = ref()
    if store is None or store.backlog == 0:
        return
    try:
        store.flush(5.0)
    except PersistenceError as exc:
        logger.error("async session store at exit: %s", exc)
