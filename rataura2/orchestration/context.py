"""The brief's path for context management: a re-export of :mod:`rataura2.core.context`."""

from rataura2.core.context import ContextManager, ContextValue, Scope, SessionContext

__all__ = ["ContextManager", "ContextValue", "Scope", "SessionContext"]
