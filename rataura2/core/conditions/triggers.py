"""When conditions that read state are evaluated: on trigger events only.

Conditions that look at the event being processed (``user_input``, ``tool_result``...) can only hold on that event,
so a stale message never fires anything later. Conditions that read the context (``business_rules``, ``custom``,
``event`` with ``since_entered``) can stay true for many events. Evaluated on every event, they would fire again on
the session's own reactions to a hand-over (agent state changes, the new agent's reply, the hand-over itself) and
bounce a session between agents for ever. So they are evaluated on *trigger* events only: by default something that
comes from outside the session (a user turn, a tool result, an agent decision, a context update through the API, a
participant joining or leaving, the session starting). A transition may name its own trigger types in
``condition_data["triggers"]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rataura2.vocabulary.events import API_SOURCE, CONTEXT_UPDATES_KEY, EventType

if TYPE_CHECKING:
    from rataura2.core.events import EventData

CONTEXT_UPDATE = "context_update"
"""The trigger name of a context update through the API (a CUSTOM event from the API that sets values), told apart
from other CUSTOM events (LiveKit data packets, transcripts)."""

_NEVER = frozenset({EventType.TRANSITION.value})
"""Hand-overs are the orchestrator's own record: nothing is evaluated on them."""

TRIGGER_NAMES: tuple[str, ...] = (*(t.value for t in EventType if t.value not in _NEVER), CONTEXT_UPDATE)
"""Every name a transition may list in ``triggers``: the event types, and ``context_update``."""

DEFAULT_TRIGGERS: frozenset[str] = frozenset(
    {
        EventType.USER_MESSAGE.value,
        EventType.TOOL_RESULT.value,
        EventType.AGENT_DECISION.value,
        CONTEXT_UPDATE,
        EventType.USER_JOINED.value,
        EventType.USER_LEFT.value,
        EventType.SESSION_CREATED.value,
    }
)
"""The events on which a state condition is evaluated unless its transition names others."""


def parse_triggers(value: Any) -> tuple[str, ...]:
    """A transition's ``triggers``: a non-empty list of event types (name or value) or ``context_update``, as
    canonical names. ``ValueError`` says which entry is wrong and what is allowed."""
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise ValueError(f"must be a non-empty list of event types, got {value!r}")
    names: dict[str, None] = {}
    for entry in value:
        if entry == CONTEXT_UPDATE:
            names[CONTEXT_UPDATE] = None
            continue
        try:
            name = EventType.parse(entry).value
        except ValueError:
            name = ""
        if name in _NEVER:
            raise ValueError(f"{entry!r} cannot trigger a transition: a hand-over is never evaluated again")
        if not name:
            raise ValueError(f"{entry!r} is not a trigger; triggers: {', '.join(TRIGGER_NAMES)}")
        names[name] = None
    return tuple(names)


def index_keys(triggers: Iterable[str]) -> frozenset[str]:
    """The keys under which the compiled graph files a condition that holds on ``triggers``: an API context update
    is a CUSTOM event too, so a condition on ``custom`` also hears those."""
    keys = set(triggers)
    if EventType.CUSTOM.value in keys:
        keys.add(CONTEXT_UPDATE)
    return frozenset(keys)


def trigger_of(event: EventData) -> str:
    """The key an event is filed under: its type, or ``context_update`` for a context update through the API."""
    kind = event.type
    if kind is EventType.CUSTOM and event.source == API_SOURCE and CONTEXT_UPDATES_KEY in event.data:
        return CONTEXT_UPDATE
    return kind  # an EventType is its value (a StrEnum), and reading ``.value`` costs a descriptor call


__all__ = ["CONTEXT_UPDATE", "DEFAULT_TRIGGERS", "TRIGGER_NAMES", "index_keys", "parse_triggers", "trigger_of"]
