"""The enums of the definitions: what an agent can be, which providers it can name, which conditions exist.

``ConditionType`` lists the condition types of the registry (``rataura2.core.conditions``); a test keeps the two
equal. Provider names are the keys of the LiveKit shell's provider table (``rataura2.livekit.providers``); a test
keeps them equal too.
"""

from __future__ import annotations

from enum import StrEnum


class AgentType(StrEnum):
    GENERAL = "general"
    ROUTER = "router"
    SPECIALIST = "specialist"
    SUPPORT = "support"
    COMBAT = "combat"
    INDUSTRY = "industry"
    MARKET = "market"
    EXPLORATION = "exploration"
    FACTION_WARFARE = "faction_warfare"
    CORPORATION = "corporation"
    ALLIANCE = "alliance"
    CUSTOM = "custom"


class LLMProvider(StrEnum):
    OFFLINE = "offline"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    GEMINI = "gemini"
    LIVEKIT = "livekit"


class STTProvider(StrEnum):
    NONE = "none"
    DEEPGRAM = "deepgram"
    OPENAI = "openai"
    GOOGLE = "google"
    LIVEKIT = "livekit"


class TTSProvider(StrEnum):
    NONE = "none"
    ELEVENLABS = "elevenlabs"
    CARTESIA = "cartesia"
    OPENAI = "openai"
    GOOGLE = "google"
    LIVEKIT = "livekit"


class ConditionType(StrEnum):
    USER_INPUT = "user_input"
    TOOL_RESULT = "tool_result"
    AGENT_DECISION = "agent_decision"
    EVENT = "event"
    LIVEKIT_EVENT = "livekit_event"
    BUSINESS_RULES = "business_rules"
    CUSTOM = "custom"


class Role(StrEnum):
    """What an API token may do: every role may read, ``admin`` may do everything."""

    VIEWER = "viewer"
    EDITOR = "editor"
    OPERATOR = "operator"
    ADMIN = "admin"


class SessionStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


__all__ = ["AgentType", "ConditionType", "LLMProvider", "Role", "STTProvider", "SessionStatus", "TTSProvider"]
