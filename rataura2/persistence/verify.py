"""Checking stored sessions row by row, and repairing a damaged one by cutting its log back to what is intact.

``resume_session`` verifies what it reads (see ``log``) and refuses a damaged session; this is the operator's side
(``rataura2 sessions verify``): every event row and snapshot of a session is checked (checksum, decoding, no gap
in ``seq``, the log as long as the session says), and the damage is listed. Repair keeps the longest intact prefix
of the log: it deletes the events after it and the snapshots that are damaged or past it, so the session resumes
as it stood after its last intact event. Events after the damage are lost: that is why it asks first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, delete, select, update

from rataura2.db.models import SessionEvent, SessionRecord, SessionSnapshot
from rataura2.errors import CorruptSessionError, SessionOwnedError
from rataura2.persistence.admin import locked_rows
from rataura2.persistence.leases import SessionRow, read_row
from rataura2.persistence.log import EVENT_COLUMNS, decode_event, decode_snapshot
from rataura2.vocabulary.enums import SessionStatus


@dataclass(frozen=True, slots=True)
class Damage:
    row: str
    """``event 12``, ``the snapshot at event 50``..."""
    problem: str


@dataclass(slots=True)
class SessionCheck:
    session_id: str
    last_seq: int
    """Events the session says it has."""
    checked: int = 0
    """Event rows read."""
    unchecked: int = 0
    """Of those, rows written before checksums existed (decoded, not checksummed)."""
    intact: int = 0
    """Events 1 to ``intact`` are all there and intact: what a repair keeps."""
    damage: list[Damage] = field(default_factory=list)
    bad_snapshots: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damage


def check_session(conn: Connection, row: SessionRow) -> SessionCheck:
    """Every event row and snapshot of one session, checked (streamed: memory does not grow with the log)."""
    check = SessionCheck(row.session_id, row.last_seq)
    expected = 1
    intact: int | None = None
    rows = conn.execute(
        select(*EVENT_COLUMNS)
        .where(SessionEvent.session_pk == row.pk)
        .order_by(SessionEvent.seq)
        .execution_options(yield_per=500)
    )
    for found in rows:
        seq = int(found[0])
        check.checked += 1
        check.unchecked += found[-1] is None
        if seq != expected:
            check.damage.append(Damage(f"event {expected}", f"events {expected} to {seq - 1} are missing"))
            intact = expected - 1 if intact is None else intact
        if seq > row.last_seq:
            check.damage.append(Damage(f"event {seq}", f"is past the session's last event ({row.last_seq})"))
            intact = min(row.last_seq, seq - 1) if intact is None else intact
        try:
            decode_event(row.session_id, found)
        except CorruptSessionError as exc:
            check.damage.append(Damage(exc.row, exc.problem))
            intact = seq - 1 if intact is None else intact
        expected = seq + 1
    if expected - 1 < row.last_seq:
        check.damage.append(
            Damage(f"event {expected}", f"the log ends at event {expected - 1}, the session has {row.last_seq}")
        )
        intact = expected - 1 if intact is None else intact
    check.intact = row.last_seq if intact is None else intact
    snapshots = conn.execute(
        select(SessionSnapshot.seq, SessionSnapshot.state, SessionSnapshot.checksum).where(
            SessionSnapshot.session_pk == row.pk
        )
    )
    for seq, state, checksum in snapshots:
        try:
            decode_snapshot(row.session_id, seq, state, checksum)
        except CorruptSessionError as exc:
            check.damage.append(Damage(exc.row, exc.problem))
            check.bad_snapshots.append(seq)
    return check


def check_sessions(engine: Engine, session_id: str | None = None) -> list[SessionCheck]:
    """One session, or every stored session (oldest first)."""
    with engine.connect() as conn:
        if session_id is not None:
            return [check_session(conn, read_row(conn, session_id))]
        ids = list(conn.scalars(select(SessionRecord.session_id).order_by(SessionRecord.id)))
        return [check_session(conn, read_row(conn, one)) for one in ids]


def repair_session(engine: Engine, session_id: str) -> SessionCheck:
    """Cut a damaged session back to its intact prefix (see the module's docstring) and return its new check.
    :class:`SessionOwnedError` if a live process drives it: it must be let go (or dead) first."""
    with engine.begin() as conn:
        row = read_row(conn, session_id, for_update=True)
        _refuse_if_driven(conn, row)
        check = check_session(conn, row)
        if check.ok:
            return check
        keep = check.intact
        conn.execute(delete(SessionEvent).where(SessionEvent.session_pk == row.pk, SessionEvent.seq > keep))
        bad = (SessionSnapshot.seq > keep) | SessionSnapshot.seq.in_(check.bad_snapshots or [-1])
        conn.execute(delete(SessionSnapshot).where(SessionSnapshot.session_pk == row.pk, bad))
        values: dict[str, object] = {"last_seq": keep, "owner": None, "lease_expires_at": None}
        if keep < row.last_seq and row.ended:
            values.update(status=SessionStatus.ACTIVE.value, ended_at=None)  # its end was cut off with the rest
        conn.execute(update(SessionRecord).where(SessionRecord.id == row.pk).values(**values))
    with engine.connect() as conn:
        return check_session(conn, read_row(conn, session_id))


def _refuse_if_driven(conn: Connection, row: SessionRow) -> None:
    if row.owner is None:
        return
    locked = locked_rows(conn)
    driven = row.pk in locked if locked is not None else (row.lease_expires_at or 0) > time.time()
    if driven:
        raise SessionOwnedError(
            row.session_id, row.owner, f"session {row.session_id!r} is driven by {row.owner}: let it go first"
        )


__all__ = ["Damage", "SessionCheck", "check_session", "check_sessions", "repair_session"]
