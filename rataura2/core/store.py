"""Where sessions are kept between events: the seam between the pure session core and its persistence.

The orchestrator calls a store after it has processed an event and before it answers; a store that raises makes
the orchestrator undo the event, so that nothing unacknowledged is half-applied. ``durability="off"`` uses no
store at all; the SQL stores of ``"sync"`` and ``"async"`` are in :mod:`rataura2.persistence`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rataura2.core.events import EventData
    from rataura2.core.orchestrator import AgentOrchestrator
    from rataura2.core.result import TransitionResult


class SessionStore(Protocol):
    blocks: bool
    """Whether ``event_processed`` waits on I/O; asyncio callers then run it off the event loop."""

    def session_started(self, orchestrator: AgentOrchestrator) -> None: ...

    def event_processed(self, orchestrator: AgentOrchestrator, event: EventData, result: TransitionResult) -> None: ...

    def logged_result(self, orchestrator: AgentOrchestrator, event_id: str) -> TransitionResult | None:
        """The logged result of an event of this session, if it was processed (its id left the dedupe window)."""
        ...

    def repeated(self, orchestrator: AgentOrchestrator, event_id: str) -> None:
        """An event already processed is sent again, and its first result is about to be answered from memory. A
        store that writes later than it processes (held writes) stores that event first."""
        ...

    def session_ended(self, orchestrator: AgentOrchestrator) -> None: ...

    def close(self) -> None: ...
