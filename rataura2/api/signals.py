"""Waking the SSE streams of a session when this process has processed one of its events.

Streams read what they send from the session's event log in the database (so they see events from any process);
a signal only spares them the wait until their next poll. Events are processed in worker threads, streams wait on
the event loop: :meth:`SessionSignals.notify` crosses over with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class SessionSignals:
    def __init__(self) -> None:
        self._waiters: defaultdict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(set)
        self._lock = threading.Lock()

    def subscribe(self, session_id: str) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiters[session_id].add((asyncio.get_running_loop(), event))
        return event

    def unsubscribe(self, session_id: str, event: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(session_id)
            if waiters is None:
                return
            waiters.difference_update({w for w in waiters if w[1] is event})
            if not waiters:
                del self._waiters[session_id]

    def notify(self, session_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(session_id, ()))
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)
