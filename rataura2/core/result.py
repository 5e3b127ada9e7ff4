"""What processing an event, or checking transitions, came to.

Results are named tuples rather than frozen dataclasses: every event makes one, and building a frozen dataclass
(one ``object.__setattr__`` per field) costs several times more than the rest of a quiet event's bookkeeping.
They are immutable all the same, and read by attribute.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple


class TransitionStatus(StrEnum):
    SUCCESS = "success"
    """A transition fired (or, from ``check_transition``, would fire)."""
    NO_TRANSITION = "no_transition"
    ERROR = "error"
    """Nothing fired and at least one condition raised; ``errors`` says which and why."""


class Hop(NamedTuple):
    from_agent_id: int
    to_agent_id: int
    transition_id: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_agent_id": self.from_agent_id,
            "to_agent_id": self.to_agent_id,
            "transition_id": self.transition_id,
            "reason": self.reason,
        }


_SUCCESS = TransitionStatus.SUCCESS


class TransitionResult(NamedTuple):
    status: TransitionStatus
    from_agent_id: int | None = None
    to_agent_id: int | None = None
    transition_id: int | None = None
    reason: str = ""
    event_id: str | None = None
    hops: tuple[Hop, ...] = ()
    """Every hand-over this event caused, in order (more than one only with ``max_hops_per_event`` > 1)."""
    errors: tuple[tuple[int, str], ...] = ()
    """(transition id, message) of each condition that raised and counted as false."""
    executed: bool = True
    """False for the dry run of ``check_transition``."""

    @property
    def transitioned(self) -> bool:
        return self.status is _SUCCESS and self.executed

    def __bool__(self) -> bool:
        return self.status is _SUCCESS

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "from_agent_id": self.from_agent_id,
            "to_agent_id": self.to_agent_id,
            "transition_id": self.transition_id,
            "reason": self.reason,
            "event_id": self.event_id,
            "hops": tuple(h.to_dict() for h in self.hops),
            "errors": self.errors,
            "executed": self.executed,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TransitionResult:
        return cls(
            status=TransitionStatus(raw["status"]),
            from_agent_id=raw.get("from_agent_id"),
            to_agent_id=raw.get("to_agent_id"),
            transition_id=raw.get("transition_id"),
            reason=raw.get("reason", ""),
            event_id=raw.get("event_id"),
            hops=tuple(Hop(**h) for h in raw.get("hops", ())),
            errors=tuple((int(i), str(m)) for i, m in raw.get("errors", ())),
            executed=raw.get("executed", True),
        )
