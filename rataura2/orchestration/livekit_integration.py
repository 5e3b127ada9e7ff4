"""The brief's "Livekit Integration": ``LivekitSessionHandler`` and ``LivekitAgentFactory``.

They live in ``rataura2.livekit_agent`` (the shell: LiveKit I/O); this module is their public address.
"""

from rataura2.livekit_agent.bridge import Handoff, SessionBridge
from rataura2.livekit_agent.factory import LivekitAgentFactory, OrchestratedAgent
from rataura2.livekit_agent.session_handler import LivekitSessionHandler, text_agent_session

__all__ = [
    "Handoff",
    "LivekitAgentFactory",
    "LivekitSessionHandler",
    "OrchestratedAgent",
    "SessionBridge",
    "text_agent_session",
]
