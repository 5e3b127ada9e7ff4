"""The brief's path for the event system: a re-export of :mod:`rataura2.core.events` and the event vocabulary.

Nothing inside rataura2 imports this module (``make test`` checks it); it is here for users and the brief.
"""

from rataura2.core.events import (
    AgentEventHandler,
    ContextUpdateHandler,
    EventData,
    EventHandler,
    EventManager,
    LivekitEventHandler,
    SessionEventHandler,
)
from rataura2.vocabulary.events import API_SOURCE, CONTEXT_UPDATES_KEY, LIVEKIT_EVENT_MAP, EventType

__all__ = [
    "API_SOURCE",
    "CONTEXT_UPDATES_KEY",
    "LIVEKIT_EVENT_MAP",
    "AgentEventHandler",
    "ContextUpdateHandler",
    "EventData",
    "EventHandler",
    "EventManager",
    "EventType",
    "LivekitEventHandler",
    "SessionEventHandler",
]
