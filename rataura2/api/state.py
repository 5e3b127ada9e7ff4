"""What the routes of one app share: the database, the session manager, token cache, metrics, signals, tracing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rataura2.api.auth import TokenCache
from rataura2.api.chat import Chats
from rataura2.api.metrics import Metrics
from rataura2.api.signals import SessionSignals
from rataura2.sessions.manager import SessionManager
from rataura2.sessions.tracing import Tracing


@dataclass
class ApiState:
    engine: Engine
    sessions: sessionmaker[Session]
    manager: SessionManager
    tokens: TokenCache
    metrics: Metrics
    signals: SessionSignals
    tracing: Tracing
    chats: Chats
    poll_seconds: float = 0.5
    """How often an SSE stream looks at the log when nothing in this process told it of news."""
    lint_reports: dict[tuple[int, int], Any] = field(default_factory=dict)
    """Lint answers by (conversation id, revision): a revision is one definition, and lint reads nothing else, so the
    studio's every page load (and every editor on the same revision) does not compile the graph again."""

    def close(self) -> None:
        """Flush and let sessions go, then close the database connections."""
        self.manager.close()
        self.engine.dispose()


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state
