"""Replaying many sessions: the outcome of each, and the counts a summary shows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rataura2.core.graph import CompiledGraph
from rataura2.replay.session import RecordedSession, SessionReplay, replay_session


@dataclass(frozen=True, slots=True)
class ReplayReport:
    conversation: str
    against: str
    """What the sessions were replayed on: ``draft`` or ``version N``."""
    sessions: tuple[SessionReplay, ...]
    seconds: float
    versions: tuple[int, ...] = field(default=())
    """The versions the replayed sessions had run on."""

    @property
    def changed(self) -> tuple[SessionReplay, ...]:
        return tuple(s for s in self.sessions if s.changed)

    @property
    def events(self) -> int:
        return sum(s.events for s in self.sessions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation": self.conversation,
            "against": self.against,
            "replayed": len(self.sessions),
            "events": self.events,
            "changed": len(self.changed),
            "unchanged": len(self.sessions) - len(self.changed),
            "versions": list(self.versions),
            "seconds": round(self.seconds, 4),
            "sessions": [s.to_dict() for s in self.changed],
        }


def replay_all(
    conversation: str,
    against: str,
    graph: CompiledGraph,
    recorded: Iterable[RecordedSession],
    names_of_version: Callable[[int], Mapping[int, str]],
    *,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Replay every recorded session on ``graph``; ``names_of_version(v)`` names the agents of version ``v``."""
    clock = time.perf_counter()
    outcomes = []
    for number, session in enumerate(recorded, start=1):
        outcomes.append(replay_session(session, graph, names_of_version(session.version)))
        if progress is not None:
            progress(number)
    versions = tuple(sorted({s.version for s in outcomes}))
    return ReplayReport(conversation, against, tuple(outcomes), time.perf_counter() - clock, versions)
