"""One database connection kept open for short, frequent statements.

Checking a connection out of the pool costs a round trip of its own on PostgreSQL (the engine pings it first), and
an explicit transaction two more (BEGIN, COMMIT). A session start's version check and a durable event's write are
one statement each: run on a connection that stays open, in autocommit mode, each is one round trip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")


class KeptConnection:
    """A connection of ``engine``, opened on first use and reopened after it breaks. Thread-safe: work takes turns
    on it. With ``autocommit`` (the default) each statement is its own transaction; without, the work opens its
    transactions itself (``with conn.begin():``) and must leave none open."""

    def __init__(self, engine: Engine, *, autocommit: bool = True) -> None:
        self.engine = engine
        self.autocommit = autocommit
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def run(self, work: Callable[[Connection], T], *, retry: bool = True) -> T:
        """``work(connection)``. When the connection turns out to be broken, it is reopened and, if ``retry`` (the
        work is safe to do twice: a read), ``work`` runs once more; otherwise the error is raised."""
        with self._lock:
            try:
                return work(self._open())
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                self._drop()
                if not retry:
                    raise
            return work(self._open())

    def _open(self) -> Connection:
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                self._drop()
            conn = self.engine.connect()
            if self.autocommit:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            self._conn = conn
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except DBAPIError:
                conn.invalidate()

    def close(self) -> None:
        with self._lock:
            self._drop()


__all__ = ["KeptConnection"]
