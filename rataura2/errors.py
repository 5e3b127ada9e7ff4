"""The errors rataura2 raises on bad input.

Every one is a ``ValueError`` subclass (bad data, not a bug), says what is wrong in its message and, where one
field or object is at fault, names it in an attribute, so that callers and HTTP layers can point at it.
"""

from __future__ import annotations


class RatauraError(ValueError):
    """Base class of every input error rataura2 raises."""


class InvalidEventError(RatauraError):
    """An event failed validation; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"invalid event field {field!r}: {message}")


class InvalidConditionError(RatauraError):
    """A transition's condition cannot be compiled; ``transition`` names the transition."""

    def __init__(self, transition: str, message: str) -> None:
        self.transition = transition
        super().__init__(f"{transition}: {message}")


class InvalidGraphError(RatauraError):
    """A conversation's graph is not usable as stored (no initial agent, an edge leaving the conversation...)."""


class UnknownConversationError(RatauraError, LookupError):
    """No conversation with that id or name."""


class UnknownAgentError(RatauraError, LookupError):
    """No agent with that id or name in the conversation."""


class UnknownSessionError(RatauraError, LookupError):
    """No live session with that id."""


class SessionExistsError(RatauraError):
    """A session with that id is already live."""


class SessionEndedError(RatauraError):
    """The session has ended and takes no more events."""
