"""The words every layer shares: enums of the definitions, event types and the LiveKit event table.

Nothing here imports anything of rataura2's but ``errors`` and ``settings``: it is the floor the core stands on.
"""

from rataura2.vocabulary.enums import (
    DRAFT,
    AgentType,
    ConditionType,
    LLMProvider,
    SessionStatus,
    STTProvider,
    TTSProvider,
)
from rataura2.vocabulary.events import (
    API_SOURCE,
    CONTEXT_UPDATES_KEY,
    LIVEKIT_EVENT_MAP,
    LIVEKIT_EVENTS,
    ORCHESTRATOR_SOURCE,
    EventType,
    LivekitEvent,
)

__all__ = [
    "API_SOURCE",
    "CONTEXT_UPDATES_KEY",
    "DRAFT",
    "LIVEKIT_EVENTS",
    "LIVEKIT_EVENT_MAP",
    "ORCHESTRATOR_SOURCE",
    "AgentType",
    "ConditionType",
    "EventType",
    "LLMProvider",
    "LivekitEvent",
    "STTProvider",
    "SessionStatus",
    "TTSProvider",
]
