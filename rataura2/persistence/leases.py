"""Who drives a session: one process at a time, and another one takes over when it dies.

The truth is the ``owner`` column of the session row, and every event write is fenced on it (``UPDATE ... WHERE
owner = me``), so a process that lost a session can never write over the one that took it. How a dead owner is
told from a live one depends on the database:

- PostgreSQL: the owner holds an advisory lock on the session (keyed by its row id) on a connection of its own.
  The lock dies with that connection, so a crashed worker's sessions can be taken over at once.
- SQLite (one machine, embedded): the row's lease expires ``ttl`` seconds after its last renewal; a background
  thread renews the leases of the sessions a process holds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import weakref
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from rataura2.db.models import SessionRecord
from rataura2.errors import SessionOwnedError, UnknownSessionError
from rataura2.vocabulary.enums import SessionStatus

logger = logging.getLogger(__name__)

LOCK_CLASS = "(('sessions'::regclass::oid::bigint - 2147483648)::int)"
"""First key of a session's advisory lock (the second is its row id): the ``sessions`` table's oid, shifted into
the int4 range. It sets rataura2's locks apart from other applications', and from those of an earlier ``sessions``
table (recreated, its row ids start again) that a still-running process may hold."""
LOCK_CLASS_AS_OID = f"(({LOCK_CLASS}::bigint + 4294967296) % 4294967296)"
"""``LOCK_CLASS`` as ``pg_locks.classid`` shows it."""

_POLL_SECONDS = 0.05


def default_owner() -> str:
    """``host:pid:nonce``: names the process in errors and listings, and differs between two stores of one
    process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class SessionRow:
    pk: int
    session_id: str
    conversation_id: int
    version: int
    status: str
    owner: str | None
    lease_expires_at: float | None
    last_seq: int

    @property
    def ended(self) -> bool:
        return self.status == SessionStatus.ENDED.value


def read_row(conn: Connection, session_id: str, *, for_update: bool = False) -> SessionRow:
    """The session's row; ``for_update`` locks it (PostgreSQL) so that claims of one session take turns and each
    sees the owner the previous one wrote."""
    r = SessionRecord
    query = select(
        r.id, r.session_id, r.conversation_id, r.version, r.status, r.owner, r.lease_expires_at, r.last_seq
    ).where(r.session_id == session_id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise UnknownSessionError(f"no session {session_id!r} in the database")
    return SessionRow(*row)


class Leases:
    """The sessions one store holds. Thread-safe."""

    def __init__(self, engine: Engine, owner: str, ttl: float) -> None:
        self.engine = engine
        self.owner = owner
        self.ttl = ttl
        self.advisory = engine.dialect.name == "postgresql"
        self._held: dict[str, int] = {}
        self._mutex = threading.RLock()
        self._conn: list[Connection] = []
        """The advisory-lock connection (PostgreSQL), in a box the finalizer can close without this object."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        weakref.finalize(self, _shutdown, self._stop, self._conn)

    # state -----------------------------------------------------------------------------------------------
    def holds(self, session_id: str) -> bool:
        return session_id in self._held

    def held(self) -> dict[str, int]:
        with self._mutex:
            return dict(self._held)

    def expiry(self) -> float | None:
        """The ``lease_expires_at`` to write with a renewal (None on PostgreSQL: the lock is the lease)."""
        return None if self.advisory else time.time() + self.ttl

    # taking and giving back ------------------------------------------------------------------------------
    def hold_new(self, session_id: str, pk: int) -> None:
        """Hold a session whose row this store is inserting (call before the insert commits, so that nobody
        sees the row unlocked)."""
        with self._mutex:
            if self.advisory and not self._try_lock(pk):
                raise SessionOwnedError(session_id, None, f"session {session_id!r}: its lock is held elsewhere")
            self._held[session_id] = pk
        self._start()

    def claim(self, session_id: str, *, wait: float = 0.0) -> SessionRow:
        """Take the session, waiting up to ``wait`` seconds for its owner to let go or die. An ended session is
        returned without being taken (there is nothing left to drive). Raises :class:`UnknownSessionError`, or
        :class:`SessionOwnedError` naming the owner."""
        deadline = time.monotonic() + wait
        while True:
            row, taken = self._try_claim(session_id)
            if taken or row.ended:
                return row
            if time.monotonic() >= deadline:
                until = (
                    f" (lease until {time.strftime('%H:%M:%S', time.localtime(row.lease_expires_at))})"
                    if row.lease_expires_at
                    else ""
                )
                raise SessionOwnedError(
                    session_id,
                    row.owner,
                    f"session {session_id!r} is driven by {row.owner or 'another process'}{until}; "
                    "resume it after its owner lets go or dies (or pass wait=seconds)",
                )
            time.sleep(_POLL_SECONDS)

    def _try_claim(self, session_id: str) -> tuple[SessionRow, bool]:
        with self._mutex, self.engine.begin() as conn:
            row = read_row(conn, session_id, for_update=True)
            if session_id in self._held or row.ended:
                return row, not row.ended
            if self.advisory:
                if not self._try_lock(row.pk):
                    return row, False
            elif not (row.owner is None or row.owner == self.owner or (row.lease_expires_at or 0) < time.time()):
                return row, False
            try:
                owner_was = SessionRecord.owner.is_(None) if row.owner is None else SessionRecord.owner == row.owner
                changed = conn.execute(
                    update(SessionRecord)
                    .where(SessionRecord.id == row.pk, owner_was)
                    .values(owner=self.owner, lease_expires_at=self.expiry())
                ).rowcount
            except BaseException:
                self._unlock(row.pk)
                raise
            if changed != 1:  # another process took it between our read and our write: name that one
                self._unlock(row.pk)
                return self._reread(session_id), False
            if row.owner is not None and row.owner != self.owner:
                logger.warning("session %s taken over from %s", session_id, row.owner)
            self._held[session_id] = row.pk
        self._start()
        return row, True

    def _reread(self, session_id: str) -> SessionRow:
        with self.engine.connect() as conn:
            return read_row(conn, session_id)

    def release(self, session_id: str) -> None:
        """Let the session go: clear its owner and drop the lock."""
        with self._mutex:
            pk = self._held.get(session_id)
            if pk is None:
                return
            with self.engine.begin() as conn:
                conn.execute(
                    update(SessionRecord)
                    .where(SessionRecord.id == pk, SessionRecord.owner == self.owner)
                    .values(owner=None, lease_expires_at=None)
                )
            self.forget(session_id)

    def forget(self, session_id: str) -> None:
        """Stop holding the session here (its row was already updated, or was taken by someone else)."""
        with self._mutex:
            pk = self._held.pop(session_id, None)
            if pk is not None:
                self._unlock(pk)

    def close(self) -> None:
        """Let every held session go, so another process can take them at once, and stop the heartbeat."""
        for session_id in list(self._held):
            try:
                self.release(session_id)
            except SQLAlchemyError as exc:
                logger.warning("could not release session %s (its lease will lapse): %s", session_id, exc)
                self.forget(session_id)
        _shutdown(self._stop, self._conn)

    # PostgreSQL advisory locks ---------------------------------------------------------------------------
    def _lock_conn(self) -> Connection:
        if self._conn and not self._conn[0].closed and not self._conn[0].invalidated:
            return self._conn[0]
        for old in self._conn:
            _close_quietly(old)
        self._conn.clear()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        conn.detach()  # closing it really closes it: pooled, it would keep our locks for its next user
        self._conn.append(conn)
        return conn

    def _try_lock(self, pk: int) -> bool:
        conn = self._lock_conn()
        got = conn.execute(text(f"SELECT pg_try_advisory_lock({LOCK_CLASS}, :key)"), {"key": pk}).scalar_one()
        conn.commit()
        return bool(got)

    def _unlock(self, pk: int) -> None:
        if not self.advisory or not self._conn:
            return
        try:
            conn = self._conn[0]
            conn.execute(text(f"SELECT pg_advisory_unlock({LOCK_CLASS}, :key)"), {"key": pk})
            conn.commit()
        except SQLAlchemyError as exc:  # the connection is gone, and the lock with it
            logger.debug("advisory unlock of session row %s: %s", pk, exc)
        if not self._held:
            _close_quietly(self._conn.pop())

    # heartbeat -------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        interval = min(self.ttl / 3, 5.0)
        self._thread = threading.Thread(
            target=_heartbeat, args=(weakref.ref(self), self._stop, interval), name="rataura2-leases", daemon=True
        )
        self._thread.start()

    def beat(self) -> None:
        """Renew the leases (SQLite), or check the lock connection and take the locks again if it was lost
        (PostgreSQL). Sessions found taken by someone else are dropped."""
        with self._mutex:
            if not self._held:
                return
            if self.advisory:
                self._check_locks()
                return
            with self.engine.begin() as conn:
                conn.execute(
                    update(SessionRecord)
                    .where(SessionRecord.owner == self.owner, SessionRecord.status == SessionStatus.ACTIVE.value)
                    .values(lease_expires_at=self.expiry())
                )
                mine = set(
                    conn.scalars(select(SessionRecord.session_id).where(SessionRecord.owner == self.owner)).all()
                )
            for session_id in set(self._held) - mine:
                logger.error("session %s: lease lost to another process; this process stops driving it", session_id)
                self._held.pop(session_id, None)

    def _check_locks(self) -> None:
        if self._conn:
            try:
                self._conn[0].execute(text("SELECT 1"))
                self._conn[0].commit()
                return
            except SQLAlchemyError:
                logger.warning("advisory-lock connection lost; taking the session locks again")
        for session_id, pk in list(self._held.items()):
            if not self._try_lock(pk):
                logger.error("session %s: lock taken by another process; this process stops driving it", session_id)
                self._held.pop(session_id, None)


def _heartbeat(ref: weakref.ref[Leases], stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        leases = ref()
        if leases is None:
            return
        try:
            leases.beat()
        except SQLAlchemyError as exc:
            logger.warning("session lease heartbeat failed (will retry): %s", exc)
        del leases


def _close_quietly(conn: Connection) -> None:
    try:
        conn.close()
    except SQLAlchemyError:
        conn.invalidate()


def _shutdown(stop: threading.Event, box: list[Connection]) -> None:
    stop.set()
    while box:
        _close_quietly(box.pop())
