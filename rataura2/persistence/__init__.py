"""Durable sessions: the event log and snapshots of each session, leases between processes, conversation versions.

``SessionManager(db, durability=...)`` is the way in; this package is what it runs on:

- ``sql_store``: :class:`SyncStore` (an event is acknowledged once written) and the parts both stores share.
- ``async_store``: :class:`AsyncStore` (write-behind with a bounded buffer, retries, flush and close).
- ``leases``: one driving process per session; takeover when it dies.
- ``log``: reading a session back and rebuilding its orchestrator.
- ``versions``: published, frozen conversation graphs (:func:`publish_conversation`).
- ``admin`` and ``cli``: listing, showing, resuming and purging sessions (``rataura2 sessions``).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Engine

from rataura2.persistence.async_store import AsyncStore
from rataura2.persistence.sql_store import SqlStore, SyncStore
from rataura2.persistence.versions import publish_conversation


def make_store(
    durability: Literal["sync", "async"],
    engine: Engine,
    *,
    snapshot_every: int | None = None,
    lease_seconds: float | None = None,
    max_backlog: int | None = None,
    owner: str | None = None,
) -> SqlStore:
    """The store for a durability mode (settings fill in what is None)."""
    if durability == "async":
        return AsyncStore(
            engine, max_backlog=max_backlog, owner=owner, snapshot_every=snapshot_every, lease_seconds=lease_seconds
        )
    return SyncStore(engine, owner=owner, snapshot_every=snapshot_every, lease_seconds=lease_seconds)


__all__ = ["AsyncStore", "SqlStore", "SyncStore", "make_store", "publish_conversation"]
