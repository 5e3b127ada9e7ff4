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


class ContextStrategy(StrEnum):
    """What chat history an agent starts with when the session hands over to it."""

    APPEND = "append"
    """The conversation so far (the default)."""
    RESET = "reset"
    """Nothing but what caused the hand-over."""
    RESET_WITH_SUMMARY = "reset_with_summary"
    """A summary of the conversation so far (by the agent's LLM, or a template), and what caused the hand-over."""
    LAST_N = "last_n"
    """The last ``n`` items of the conversation, and what caused the hand-over."""


class ActionType(StrEnum):
    """What an agent's ``on_enter`` / ``on_exit`` actions can do."""

    SAY = "say"
    RUN_TOOL = "run_tool"
    SET_CONTEXT = "set_context"
    END_CONVERSATION = "end_conversation"
    HANDOVER = "handover"


__all__ = [
    "ActionType",
    "AgentType",
    "ConditionType",
    "ContextStrategy",
    "LLMProvider",
    "Role",
    "STTProvider",
    "SessionStatus",
    "TTSProvider",
]


DRAFT = "draft"
"""The name of a conversation's definition as edited now, beside its published version numbers: one side of a diff,
what a replay runs against, what the playground chats with."""
