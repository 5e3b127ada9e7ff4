"""rataura2: orchestration of multi-agent LiveKit voice assistants, kept as data.

The public API, importable from here: ``from rataura2 import SessionManager, EventData, EventType, init_db``.
Names load on first use, so ``import rataura2`` costs nothing and the core can be used without the LiveKit shell
(``rataura2.core`` imports neither sqlalchemy nor livekit). ``tests/test_public_api.py`` guards this list.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # definitions
    "init_db": "rataura2.db.session",
    "Database": "rataura2.db.session",
    "Conversation": "rataura2.db.models",
    "Agent": "rataura2.db.models",
    "Tool": "rataura2.db.models",
    "Transition": "rataura2.db.models",
    "BusinessRulesTransition": "rataura2.db.models",
    "AgentType": "rataura2.vocabulary.enums",
    "ConditionType": "rataura2.vocabulary.enums",
    "LLMProvider": "rataura2.vocabulary.enums",
    "STTProvider": "rataura2.vocabulary.enums",
    "TTSProvider": "rataura2.vocabulary.enums",
    # events and context
    "EventType": "rataura2.vocabulary.events",
    "LIVEKIT_EVENT_MAP": "rataura2.vocabulary.events",
    "EventData": "rataura2.core.events",
    "EventHandler": "rataura2.core.events",
    "EventManager": "rataura2.core.events",
    "SessionEventHandler": "rataura2.core.events",
    "AgentEventHandler": "rataura2.core.events",
    "LivekitEventHandler": "rataura2.core.events",
    "ContextValue": "rataura2.core.context",
    "SessionContext": "rataura2.core.context",
    "ContextManager": "rataura2.core.context",
    # graphs and sessions
    "CompiledGraph": "rataura2.core.graph",
    "AgentGraphManager": "rataura2.graph.manager",
    "load_graph": "rataura2.db.loader",
    "AgentOrchestrator": "rataura2.core.orchestrator",
    "TransitionResult": "rataura2.core.result",
    "TransitionStatus": "rataura2.core.result",
    "SessionManager": "rataura2.sessions.manager",
    "publish_conversation": "rataura2.persistence.versions",
    # business rules
    "create_business_rules_transition": "rataura2.rules.repository",
    "TransitionController": "rataura2.rules.repository",
    "ConversationVariables": "rataura2.rules.repository",
    "TransitionActions": "rataura2.rules.repository",
    "generate_ui_config": "rataura2.rules.editor",
    "rules_to_json": "rataura2.rules.editor",
    "json_to_rules": "rataura2.rules.editor",
    # LiveKit
    "LivekitSessionHandler": "rataura2.livekit.session_handler",
    "LivekitAgentFactory": "rataura2.livekit.factory",
    "register_tool": "rataura2.livekit.tools",
    "ToolRegistry": "rataura2.livekit.tools",
    # errors
    "RatauraError": "rataura2.errors",
    "InvalidEventError": "rataura2.errors",
    "InvalidConditionError": "rataura2.errors",
    "InvalidRulesError": "rataura2.errors",
    "InvalidGraphError": "rataura2.errors",
    "UnknownConversationError": "rataura2.errors",
    "UnknownAgentError": "rataura2.errors",
    "UnknownSessionError": "rataura2.errors",
    "SessionExistsError": "rataura2.errors",
    "SessionEndedError": "rataura2.errors",
    "SessionOwnedError": "rataura2.errors",
    "PersistenceError": "rataura2.errors",
    "BacklogFullError": "rataura2.errors",
}

__all__ = [
    "LIVEKIT_EVENT_MAP",
    "Agent",
    "AgentEventHandler",
    "AgentGraphManager",
    "AgentOrchestrator",
    "AgentType",
    "BacklogFullError",
    "BusinessRulesTransition",
    "CompiledGraph",
    "ConditionType",
    "ContextManager",
    "ContextValue",
    "Conversation",
    "ConversationVariables",
    "Database",
    "EventData",
    "EventHandler",
    "EventManager",
    "EventType",
    "InvalidConditionError",
    "InvalidEventError",
    "InvalidGraphError",
    "InvalidRulesError",
    "LLMProvider",
    "LivekitAgentFactory",
    "LivekitEventHandler",
    "LivekitSessionHandler",
    "PersistenceError",
    "RatauraError",
    "STTProvider",
    "SessionContext",
    "SessionEndedError",
    "SessionEventHandler",
    "SessionExistsError",
    "SessionManager",
    "SessionOwnedError",
    "TTSProvider",
    "Tool",
    "ToolRegistry",
    "Transition",
    "TransitionActions",
    "TransitionController",
    "TransitionResult",
    "TransitionStatus",
    "UnknownAgentError",
    "UnknownConversationError",
    "UnknownSessionError",
    "create_business_rules_transition",
    "generate_ui_config",
    "init_db",
    "json_to_rules",
    "load_graph",
    "publish_conversation",
    "register_tool",
    "rules_to_json",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rataura2' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:
    from rataura2.core.context import ContextManager, ContextValue, SessionContext
    from rataura2.core.events import (
        AgentEventHandler,
        EventData,
        EventHandler,
        EventManager,
        LivekitEventHandler,
        SessionEventHandler,
    )
    from rataura2.core.graph import CompiledGraph
    from rataura2.core.orchestrator import AgentOrchestrator
    from rataura2.core.result import TransitionResult, TransitionStatus
    from rataura2.db.loader import load_graph
    from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Tool, Transition
    from rataura2.db.session import Database, init_db
    from rataura2.errors import (
        BacklogFullError,
        InvalidConditionError,
        InvalidEventError,
        InvalidGraphError,
        InvalidRulesError,
        PersistenceError,
        RatauraError,
        SessionEndedError,
        SessionExistsError,
        SessionOwnedError,
        UnknownAgentError,
        UnknownConversationError,
        UnknownSessionError,
    )
    from rataura2.graph.manager import AgentGraphManager
    from rataura2.livekit.factory import LivekitAgentFactory
    from rataura2.livekit.session_handler import LivekitSessionHandler
    from rataura2.livekit.tools import ToolRegistry, register_tool
    from rataura2.persistence.versions import publish_conversation
    from rataura2.rules.editor import generate_ui_config, json_to_rules, rules_to_json
    from rataura2.rules.repository import (
        ConversationVariables,
        TransitionActions,
        TransitionController,
        create_business_rules_transition,
    )
    from rataura2.sessions.manager import SessionManager
    from rataura2.vocabulary.enums import AgentType, ConditionType, LLMProvider, STTProvider, TTSProvider
    from rataura2.vocabulary.events import LIVEKIT_EVENT_MAP, EventType
