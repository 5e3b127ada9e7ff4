"""Group commit: concurrent sessions share a transaction, and each is acknowledged only once it is stored.

Committing is the expensive part of a durable event (a round trip and a flush to disk); when many sessions write at
once, one commit can carry all of their events. A writer that arrives while fewer than ``writers`` batches are in
flight leads: it takes every record waiting, its own included, and writes them in one transaction. Writers that
arrive meanwhile wait; when a batch is done, each of its writers learns its own outcome, and the first writer still
waiting is asked to lead the next batch.

Alone, a writer commits at once. Under load the leader may wait a moment for company: when the previous batch was
bigger than what is waiting now (its writers are busy producing their next events), it waits until as many have
arrived, or for a fraction of the previous write's duration, whichever comes first; otherwise batches would
alternate between a crowd and a straggler. Nobody returns before the transaction that holds its record has
committed, and a record the database refused fails only its own writer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

Outcome = BaseException | None
"""What became of one item: None when it is stored, else the exception its writer raises."""


class _Ticket(Generic[T]):
    """One submitted item. ``wake`` is a plain lock, held from the start and released when the writer has something
    to do: its item is done, or it is asked to lead. ``signalled`` (under the group's lock) says that it has been
    released and not taken back, so that it is released at most once. A bare lock rather than a
    ``threading.Event``: waking the writers of a batch is the group's main cost, and an Event builds a condition and
    a lock per wait and takes two more locks per wake-up."""

    __slots__ = ("done", "item", "lead", "outcome", "signalled", "wake")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.lead = False
        self.signalled = False
        self.outcome: Outcome = None
        self.wake = threading.Lock()
        self.wake.acquire()

    def signal(self, wakes: list[threading.Lock]) -> None:
        """Under the group's lock: have the writer woken (once, until it has looked). The lock goes to ``wakes``,
        released once the group's lock is let go: a woken writer then does not block on it at once."""
        if not self.signalled:
            self.signalled = True
            wakes.append(self.wake)


class GroupCommit(Generic[T]):
    """Funnels concurrent :meth:`submit` calls into batches for ``write``.

    ``write(items)`` stores a batch in one transaction and returns one outcome per item, in order; if it raises,
    every item of the batch fails with that exception. ``writers`` batches may be in flight at once (``write`` must
    then be safe to call from several threads).
    """

    def __init__(
        self,
        write: Callable[[Sequence[T]], Sequence[Outcome]],
        *,
        writers: int = 1,
        max_batch: int = 1_000,
        max_gather: float = 0.005,
    ) -> None:
        self._write = write
        self.writers = writers
        self.max_batch = max_batch
        self.max_gather = max_gather
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._waiting: list[_Ticket[T]] = []
        self._in_flight = 0
        self._gathering = 0
        """Leaders waiting for company. An arrival wakes them only once ``_target`` writers wait: woken at every
        arrival, a leader would win the interpreter's lock back dozens of times a batch just to wait again."""
        self._target = 0
        self._last_size = 0
        self._last_seconds = 0.0
        self.batches = 0
        self.items = 0

    def submit(self, item: T) -> None:
        """Return once ``item`` is stored; raise what kept it from being stored."""
        ticket = _Ticket(item)
        with self._lock:
            self._waiting.append(ticket)
            if self._gathering and len(self._waiting) >= self._target:
                self._arrived.notify_all()
            lead = self._in_flight < self.writers
            if lead:
                self._in_flight += 1
        while True:
            if lead:  # asked to lead (perhaps after another batch took this record: then it leads the next)
                self._lead()
            else:
                ticket.wake.acquire()  # until signalled
                if ticket.done and not ticket.lead:
                    break  # no lock needed: a done ticket has left the queue, nothing changes it any more
            with self._lock:
                if lead and ticket.signalled:  # a wake-up came while leading: take it back before waiting again
                    ticket.wake.acquire()
                ticket.signalled = False
                lead, ticket.lead = ticket.lead, False
                if ticket.done and not lead:
                    break
        if ticket.outcome is not None:
            raise ticket.outcome

    def _lead(self) -> None:
        """Write one batch of what is waiting (the caller counts as in flight)."""
        wakes: list[threading.Lock] = []
        with self._lock:
            self._gather()
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            if not batch:
                self._in_flight -= 1
                self._hand_over(wakes)
        if not batch:
            _release(wakes)
            return
        started = time.perf_counter()
        outcomes: Sequence[Outcome] = [None] * len(batch)
        try:
            outcomes = self._write([t.item for t in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} came back with {len(outcomes)} outcomes")
        except BaseException as exc:
            outcomes = [exc] * len(batch)
            if not isinstance(exc, Exception):
                raise
        finally:
            with self._lock:
                self._in_flight -= 1
                self._hand_over(wakes)
                for ticket, outcome in zip(batch, outcomes, strict=True):
                    ticket.outcome, ticket.done = outcome, True
                    ticket.signal(wakes)
                self.batches += 1
                self.items += len(batch)
                self._last_size, self._last_seconds = len(batch), time.perf_counter() - started
            _release(wakes)

    def _gather(self) -> None:
        """Under the lock: wait a moment for the writers of the previous batch, if it was bigger than what waits."""
        want = min(self._last_size, self.max_batch)
        if len(self._waiting) >= want:
            return
        deadline = time.monotonic() + min(self.max_gather, self._last_seconds / 2)
        self._target = want if not self._gathering else min(self._target, want)
        self._gathering += 1
        try:
            while len(self._waiting) < want:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._arrived.wait(remaining)
        finally:
            self._gathering -= 1

    def _hand_over(self, wakes: list[threading.Lock]) -> None:
        """Under the lock: ask the first writer still waiting to lead, while there is room in flight."""
        for ticket in self._waiting:
            if self._in_flight >= self.writers:
                return
            if not ticket.lead:
                ticket.lead = True
                self._in_flight += 1
                ticket.signal(wakes)


def _release(wakes: list[threading.Lock]) -> None:
    for wake in wakes:
        wake.release()


__all__ = ["GroupCommit", "Outcome"]
