"""The errors rataura2 raises on bad input.

Every one is a ``ValueError`` subclass (bad data, not a bug), says what is wrong in its message and, where one
field or object is at fault, names it in an attribute, so that callers and HTTP layers can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong with a business-rules rule set: which rule (1-based; None for the set as a whole), which
    part of it ("condition 2.1", "action 1"), and what."""

    rule: int | None
    part: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"rule {self.rule}" if self.rule is not None else "", self.part) if p)
        return f"{where or 'rules'}: {self.message}"


class InvalidRulesError(RatauraError):
    """A business-rules rule set was refused; ``problems`` lists every problem found, each naming its rule and
    the part at fault, so a rule editor can point at all of them at once."""

    def __init__(self, problems: Iterable[RuleProblem]) -> None:
        self.problems = tuple(problems)
        text = "; ".join(str(p) for p in self.problems)
        super().__init__(text if len(self.problems) == 1 else f"{len(self.problems)} problems: {text}")


class InvalidFlowError(RatauraError):
    """An agent's or a conversation's flow settings are refused (a template, an ``on_enter`` / ``on_exit`` action, a
    context strategy, a sensitive-data mark); ``field`` names the object and the field at fault, e.g.
    ``agent 'Greeter'.on_enter[1].tool``."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    @property
    def subject(self) -> tuple[str, str]:
        """The kind and name of the object at fault: ``("agent", "Greeter")``."""
        match = _SUBJECT.match(self.field)
        return (match.group(1), match.group(2) or match.group(3)) if match else ("", "")

    @property
    def path(self) -> tuple[str | int, ...]:
        """The field within that object, as a path: ``("on_enter", 1, "tool")``."""
        match = _SUBJECT.match(self.field)
        rest = self.field[match.end() :] if match else self.field
        return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", rest))


_SUBJECT = re.compile(r"^(agent|conversation|tool) (?:'([^']*)'|\"([^\"]*)\")")


class InvalidTemplateError(InvalidFlowError):
    """A template does not compile: a syntax error, or a filter or test that does not exist."""


class InvalidGraphError(RatauraError):
    """A conversation's graph is not usable as stored (no initial agent, an edge leaving the conversation...)."""


class DuplicateToolNameError(RatauraError):
    """Two tools of one conversation have the same name (names are unique per conversation, not globally)."""


class UnknownConversationError(RatauraError, LookupError):
    """No conversation with that id or name."""


class UnknownAgentError(RatauraError, LookupError):
    """No agent with that id or name in the conversation."""


class UnknownTransitionError(RatauraError, LookupError):
    """No transition with that id (or it has no business rules)."""


class UnknownSessionError(RatauraError, LookupError):
    """No live session with that id."""


class InvalidSessionIdError(RatauraError):
    """A session id that is not one: empty, too long, or text no store can keep (a NUL, a lone surrogate)."""


class CorruptSessionError(RatauraError):
    """A stored session failed its integrity check (a checksum that does not match, a gap in the log, a snapshot
    that does not decode): it is refused rather than resumed in a different state. ``session_id`` names it and
    ``row`` the damaged row (``"event 12"``, ``"snapshot at event 50"``); ``rataura2 sessions verify`` lists all the
    damage and can repair what is repairable."""

    def __init__(self, session_id: str, row: str, message: str) -> None:
        self.session_id = session_id
        self.row = row
        self.problem = message
        super().__init__(f"session {session_id!r} is corrupt at {row}: {message}; see `rataura2 sessions verify`")


class SessionExistsError(RatauraError):
    """A session with that id is already live."""


class SessionEndedError(RatauraError):
    """The session has ended and takes no more events."""


class SessionOwnedError(RatauraError):
    """Another process drives the session (holds its lease); ``owner`` names it. Raised when taking a session
    that is owned, and when writing an event of a session whose lease this process has lost."""

    def __init__(self, session_id: str, owner: str | None, message: str | None = None) -> None:
        self.session_id = session_id
        self.owner = owner
        super().__init__(message or f"session {session_id!r} is driven by {owner or 'another process'}")


class PersistenceError(RuntimeError):
    """The session store could not save: the database is unreachable, or the async buffer is full.

    Not an input error (hence not a ``RatauraError``): the same event, sent again later with the same id, is
    accepted. Whatever raised it was not acknowledged.
    """


class DatabaseUnavailableError(PersistenceError):
    """The database cannot be opened: its server is down or unreachable, refuses the login, or (SQLite) its file
    cannot be created where the URL says."""


class BacklogFullError(PersistenceError):
    """``durability="async"``: the write-behind buffer is full (the database has been away too long); the event
    is refused rather than buffered beyond the bound or dropped."""


class InvalidDocumentError(RatauraError):
    """A conversation document was refused; ``path`` is where in the document (``("transitions", 2, "source")``),
    so an editor or an HTTP answer can point at the field."""

    def __init__(self, path: Iterable[str | int], message: str) -> None:
        self.path = tuple(path)
        self.message = message
        where = ".".join(str(p) for p in self.path)
        super().__init__(f"{where}: {message}" if where else message)


class StaleRevisionError(RatauraError):
    """An edit was based on a revision of the conversation that is no longer the latest: someone else changed it
    in between. Reload, then edit again."""

    def __init__(self, conversation_id: int, current: int, expected: int) -> None:
        self.conversation_id = conversation_id
        self.current = current
        self.expected = expected
        super().__init__(
            f"conversation {conversation_id} is at revision {current}, not {expected}; reload it and edit again"
        )


class NameTakenError(RatauraError):
    """A name that must be unique (a conversation's, a tool's, an agent's within its conversation) is taken."""


class UnknownTokenError(RatauraError, LookupError):
    """No API token with that id."""


class UnknownToolError(RatauraError, LookupError):
    """No tool with that id or name."""


class UnknownVersionError(RatauraError, LookupError):
    """No published version with that number."""


class InvalidDatabaseUrlError(RatauraError):
    """The database URL is not one SQLAlchemy can use: malformed, an unknown dialect, or its driver not installed."""


class NoDatabaseError(RatauraError):
    """A command that only reads was pointed at a SQLite file that does not exist (it would have made an empty one)."""


class OutputPathError(RatauraError):
    """A file cannot be written where asked (its folder does not exist, or is a file)."""


class MessageTooLongError(RatauraError):
    """A user message is over the event size bound: it is refused as a whole, before any agent sees it."""


class NoConversationError(RatauraError):
    """A job came with no conversation in its metadata and no default is configured."""


class WorkerConfigError(RatauraError):
    """The worker cannot run as configured (no LiveKit server URL)."""


class ProviderUnavailableError(RatauraError):
    """A provider cannot be used here: unknown, its plugin not installed (``install_hint``), or its credentials
    missing (``env_vars``). Raised when the agent is built, with the agent and the provider in the message."""

    def __init__(self, message: str, *, install_hint: str | None = None, env_vars: tuple[str, ...] = ()) -> None:
        self.install_hint = install_hint
        self.env_vars = env_vars
        super().__init__(message)


class ToolConfigError(RatauraError):
    """A tool cannot be offered: no callable registered for its function name, a bad name or a bad schema."""


class OfflineConfigError(RatauraError):
    """An agent's ``config["offline"]`` rule set is malformed."""


class OfflineLLMError(RuntimeError):
    """A failure scripted by a ``fail`` rule; the session reports it as an ``error`` event, like a real outage."""


class CelEvaluationError(RuntimeError):
    """The expression failed on this context (a missing field, a type mismatch, its cost limit): it counts as
    false."""


class InvalidScenarioError(RatauraError):
    """A scenario file cannot be read or run as written; ``where`` names the file and the part at fault
    (``demo.scenario.yaml: scenarios.2.steps.3.expect.agent``)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        super().__init__(f"{where}: {message}")
