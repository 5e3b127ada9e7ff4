"""The results of a session's latest events, by event id: what makes an event sent twice a no-op.

It is bounded (by count and by age, in event time), so a session's memory does not grow with its age. An id that
has left the window is, for a durable session, answered from the event log (the orchestrator asks its store);
with ``durability="off"`` a repeat older than the window is processed again.

Which ids to ask the log about: those that left the window go into Bloom filters (``rbloom``), three to five
bytes an id, which answer "never seen" for certain and "perhaps seen" wrongly for fewer than one new id in a
thousand, however long the session (a scalable Bloom filter: each filter of the chain is twice the size of the last
and errs less often, so that the chain's errors add up to a bound). So a long session's new events,
nearly all of them, are known to be new without reading the log: only a real repeat, or a false positive, costs a
read. A session resumed from a log it did not load whole is given the older ids (:class:`DepartedIds`); without
them it asks the log about every id it does not remember.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from rbloom import Bloom

from rataura2.core.result import TransitionResult
from rataura2.settings import checked

FALSE_POSITIVE_RATE = 0.0002
"""Of the first filter of :class:`DepartedIds`: the chance that it takes a new id for one it holds. With each next
filter's rate ``TIGHTENING`` times the last one's, a new id is looked up in the log for nothing at most five times
as often (0.1%), however many filters the chain has; with the same rate for each, a million ids would make it one
in a hundred."""
TIGHTENING = 0.8
"""Each filter's false-positive rate against the one before it (Almeida et al., "Scalable Bloom Filters", 2007:
with filters that double, 0.8 to 0.9 keeps memory lowest)."""
FIRST_CAPACITY = 1024
"""Ids the first filter holds (under 2 KB: every durable session past its window has one); each next filter holds
twice as many as the last."""


class DepartedIds:
    """Ids that left the window: a chain of Bloom filters, each twice the size of the last and less likely to
    err, so that memory grows with what was added (under 3 MB for a million) and a session that only just left
    its window pays 2 KB. ``expected``: ids about to be added at once (a resume's older ids), for a first filter of
    that size."""

    def __init__(self, expected: int = FIRST_CAPACITY) -> None:
        self._capacity = max(expected, FIRST_CAPACITY)
        """Of the last filter, the one ids are added to."""
        self._rate = FALSE_POSITIVE_RATE
        """Of the last filter."""
        self._filters = [Bloom(self._capacity, self._rate)]
        self._room = self._capacity

    def add(self, event_id: str) -> None:
        if self._room == 0:
            self._capacity *= 2
            self._rate *= TIGHTENING
            self._filters.append(Bloom(self._capacity, self._rate))
            self._room = self._capacity
        self._filters[-1].add(event_id)
        self._room -= 1

    def __contains__(self, event_id: str) -> bool:
        return any(event_id in f for f in self._filters)

    def absorb(self, other: DepartedIds) -> None:
        """Take ``other``'s ids in too (its filters join the chain). The chains' error bounds add up: a resume
        absorbs one chain into a window that has none, where the bound stays that of a single chain."""
        self._filters[:0] = other._filters

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
        self._departed: DepartedIds | None = None
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
            self._departed = DepartedIds()
        self._departed.add(event_id)

    def load(
        self,
        results: Mapping[str, tuple[float, TransitionResult]],
        *,
        complete: bool,
        now: float,
        older: DepartedIds | None = None,
    ) -> None:
        """Results of logged events, oldest first; ``complete`` says whether they are all the session has, and if
        they are not, ``older`` holds the ids of the events before them (None: not known)."""
        if not complete:
            if older is None:
                self.past_unknown = True
            elif self._departed is None:
                self._departed = older
            else:
                self._departed.absorb(older)
        for event_id, (timestamp, result) in results.items():
            self.add(event_id, timestamp, result, now)


__all__ = ["DedupeWindow", "DepartedIds"]
