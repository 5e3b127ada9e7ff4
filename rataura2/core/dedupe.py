"""The results of a session's latest events, by event id: what makes an event sent twice a no-op.

It is bounded (by count and by age, in event time), so a session's memory does not grow with its age. An id that
has left the window is, for a durable session, answered from the event log (the orchestrator asks its store);
with ``durability="off"`` a repeat older than the window is processed again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from rataura2.core.result import TransitionResult
from rataura2.settings import checked


class DedupeWindow:
    def __init__(self, max_events: int | None = None, max_age: float | None = None) -> None:
        self.max_events = int(checked("dedupe_window_events", max_events))
        self.max_age = float(checked("dedupe_window_seconds", max_age))
        self._entries: OrderedDict[str, tuple[float, TransitionResult]] = OrderedDict()
        self._first = float("inf")
        self.evicted = False
        """Whether ids have left the window (or were never loaded into it): a miss is then not proof of news."""

    def get(self, event_id: str) -> TransitionResult | None:
        entry = self._entries.get(event_id)
        return None if entry is None else entry[1]

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, event_id: str, timestamp: float, result: TransitionResult, now: float) -> None:
        entries = self._entries
        front_moved = not entries
        if event_id in entries:  # processed again (it had left the window of a session without a log)
            del entries[event_id]
            front_moved = True
        entries[event_id] = (timestamp, result)
        if len(entries) > self.max_events:
            entries.popitem(last=False)
            self.evicted = front_moved = True
        if front_moved:
            self._first = next(iter(entries.values()))[0]
        cutoff = now - self.max_age
        while self._first < cutoff:  # the front entry's timestamp is kept: the usual add reads no other
            entries.popitem(last=False)
            self.evicted = True
            self._first = next(iter(entries.values()))[0] if entries else float("inf")

    def load(self, results: Mapping[str, tuple[float, TransitionResult]], *, complete: bool, now: float) -> None:
        """Results of logged events, oldest first; ``complete`` says whether they are all the session has."""
        for event_id, (timestamp, result) in results.items():
            self.add(event_id, timestamp, result, now)
        if not complete:
            self.evicted = True


__all__ = ["DedupeWindow"]
