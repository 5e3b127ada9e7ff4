"""The results of a session's latest events, by event id: what makes an event sent twice a no-op.

It is bounded (by count and by age, in event time), so a session's memory does not grow with its age. An id that
has left the window is, for a durable session, answered from the event log (the orchestrator asks its store);
with ``durability="off"`` a repeat older than the window is processed again.

Which ids to ask the log about: those that left the window go into a Bloom filter (``rbloom``), about two bytes
each, which answers "never seen" for certain and "perhaps seen" with one chance in a thousand of being wrong. So a
long session's new events, nearly all of them, are known to be new without reading the log: only a real repeat,
or a rare false positive, costs a read. A session resumed from a log it did not load whole is given the older ids
(:meth:`DedupeWindow.load`); without them it asks the log about every id it does not remember.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping

from rbloom import Bloom

from rataura2.core.result import TransitionResult
from rataura2.settings import checked

FALSE_POSITIVE_RATE = 0.001
"""Per filter of :class:`_Departed`: the chance that a new id is looked up in the log for nothing."""
FIRST_CAPACITY = 4096
"""Ids the first filter holds (7 KB); each next one holds twice as many as the last."""


class _Departed:
    """Ids that left the window: a chain of Bloom filters, each twice the size of the last, so that memory grows
    with what was added (about 2 bytes an id: 2 MB for a million) and a short session pays 7 KB at most."""

    def __init__(self) -> None:
        self._filters = [Bloom(FIRST_CAPACITY, FALSE_POSITIVE_RATE)]
        self._room = FIRST_CAPACITY

    def add(self, event_id: str) -> None:
        if self._room == 0:
            capacity = FIRST_CAPACITY << len(self._filters)
            self._filters.append(Bloom(capacity, FALSE_POSITIVE_RATE))
            self._room = capacity
        self._filters[-1].add(event_id)
        self._room -= 1

    def __contains__(self, event_id: str) -> bool:
        return any(event_id in f for f in self._filters)

    @property
    def size_in_bytes(self) -> int:
        return sum(f.size_in_bits for f in self._filters) // 8

    def __sizeof__(self) -> int:  # the filters' bits live outside Python's objects: counted here
        return object.__sizeof__(self) + self.size_in_bytes


class DedupeWindow:
    def __init__(self, max_events: int | None = None, max_age: float | None = None, *, logged: bool = True) -> None:
        """``logged``: the session's events are logged, so the ids that leave the window are worth keeping track
        of (a session without a log forgets them: it has nowhere to look them up)."""
        self.max_events = int(checked("dedupe_window_events", max_events))
        self.max_age = float(checked("dedupe_window_seconds", max_age))
        self.logged = logged
        self._entries: OrderedDict[str, tuple[float, TransitionResult]] = OrderedDict()
        self._first = float("inf")
        self._departed: _Departed | None = None
        """Made when the first id leaves: most sessions never need it."""
        self.past_unknown = False
        """The log holds ids this window was never given (a resume that did not pass them): any id it does not
        remember may be there."""

    def get(self, event_id: str) -> TransitionResult | None:
        entry = self._entries.get(event_id)
        return None if entry is None else entry[1]

    def may_be_logged(self, event_id: str) -> bool:
        """Whether an id not in the window may still have been processed: it left the window (or the filter errs,
        rarely), or the log holds ids the window never saw. False means the id is new, for certain."""
        departed = self._departed
        return self.past_unknown or (departed is not None and event_id in departed)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def departed_bytes(self) -> int:
        """Memory of the filter of ids that left the window."""
        return 0 if self._departed is None else self._departed.size_in_bytes

    def add(self, event_id: str, timestamp: float, result: TransitionResult, now: float) -> None:
        entries = self._entries
        front_moved = not entries
        if event_id in entries:  # processed again (it had left the window of a session without a log)
            del entries[event_id]
            front_moved = True
        entries[event_id] = (timestamp, result)
        if len(entries) > self.max_events:
            self._depart(entries.popitem(last=False)[0])
            front_moved = True
        if front_moved:
            self._first = next(iter(entries.values()))[0]
        cutoff = now - self.max_age
        while self._first < cutoff:  # the front entry's timestamp is kept: the usual add reads no other
            self._depart(entries.popitem(last=False)[0])
            self._first = next(iter(entries.values()))[0] if entries else float("inf")

    def _depart(self, event_id: str) -> None:
        if not self.logged:
            return
        if self._departed is None:
            self._departed = _Departed()
        self._departed.add(event_id)

    def load(
        self,
        results: Mapping[str, tuple[float, TransitionResult]],
        *,
        complete: bool,
        now: float,
        older_ids: Iterable[str] | None = None,
    ) -> None:
        """Results of logged events, oldest first; ``complete`` says whether they are all the session has, and if
        they are not, ``older_ids`` are the ids of the events before them (all of them, or None if not known)."""
        if not complete:
            if older_ids is None:
                self.past_unknown = True
            else:
                for event_id in older_ids:
                    self._depart(event_id)
        for event_id, (timestamp, result) in results.items():
            self.add(event_id, timestamp, result, now)


__all__ = ["DedupeWindow"]
