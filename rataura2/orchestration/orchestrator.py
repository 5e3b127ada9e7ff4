"""The brief's path for the orchestrator: re-exports of :mod:`rataura2.core.orchestrator` (one session),
:mod:`rataura2.sessions.manager` (many) and :mod:`rataura2.core.result`."""

from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.core.result import TransitionResult, TransitionStatus
from rataura2.sessions.manager import Durability, SessionManager

__all__ = ["AgentOrchestrator", "Durability", "SessionManager", "TransitionResult", "TransitionStatus"]
