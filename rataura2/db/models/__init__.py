"""The conversation definitions and run-time tables, as SQLAlchemy 2.0 typed models.

A conversation is a graph: agents are its nodes and transitions its edges. Agents may be shared by several
conversations; a conversation's graph is its agents and the transitions between two of them.

Constructors take the brief's keyword arguments, and an id in place of an object for a many-to-one link
(``Transition(source_agent=3, ...)`` is ``Transition(source_agent_id=3, ...)``).
"""

from rataura2.db.models.agent import Agent, Tool
from rataura2.db.models.base import Base, ExactJson, JsonType, agent_tools, conversation_agents
from rataura2.db.models.conversation import Conversation, ConversationVersion
from rataura2.db.models.session import SessionEvent, SessionRecord, SessionSnapshot
from rataura2.db.models.token import ApiToken
from rataura2.db.models.transition import BusinessRulesTransition, Transition
from rataura2.vocabulary.enums import (
    AgentType,
    ConditionType,
    LLMProvider,
    Role,
    SessionStatus,
    STTProvider,
    TTSProvider,
)

__all__ = [
    "Agent",
    "AgentType",
    "ApiToken",
    "Base",
    "BusinessRulesTransition",
    "ConditionType",
    "Conversation",
    "ConversationVersion",
    "ExactJson",
    "JsonType",
    "LLMProvider",
    "Role",
    "STTProvider",
    "SessionEvent",
    "SessionRecord",
    "SessionSnapshot",
    "SessionStatus",
    "TTSProvider",
    "Tool",
    "Transition",
    "agent_tools",
    "conversation_agents",
]
