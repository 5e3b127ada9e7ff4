"""Writing a batch of acknowledged events: the session rows, the log and the snapshots, in one transaction.

Each session's row is updated only where this process still owns it (the fence of ``leases``), and its events and
snapshot are written only with it: a session another process took over loses its records, the others are stored.

On PostgreSQL the whole batch is one statement, run in autocommit mode on a connection kept open: the session rows
travel as arrays (one per column, unnested), the events and snapshots as one JSON array each, data-modifying CTEs do
the rest, so a batch is one round trip however many sessions it holds. Other databases (SQLite is in-process, where
round trips cost little) get the same writes as a few ordinary statements in one transaction. The event and snapshot
columns come from the records' ``row()`` and ``snapshot_row()``, so a column added to the log reaches both paths.
"""

from __future__ import annotations

import json
import queue
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Double,
    Engine,
    Integer,
    String,
    Table,
    Text,
    TextClause,
    bindparam,
    case,
    delete,
    func,
    insert,
    null,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DBAPIError

from rataura2.db.models import SessionEvent, SessionRecord, SessionSnapshot
from rataura2.persistence.connection import KeptConnection
from rataura2.vocabulary.enums import SessionStatus

_ENDED = SessionStatus.ENDED.value
_STAMPS = frozenset({"recorded_at", "created_at"})
"""Columns the database stamps itself (``now()``), whatever the row says."""


class Record(Protocol):
    """An acknowledged event as the writer needs it (``sql_store.EventRecord``)."""

    @property
    def seq(self) -> int: ...

    @property
    def ended(self) -> bool: ...

    @property
    def agent_id(self) -> int: ...

    @property
    def agent_name(self) -> str: ...

    @property
    def turn_count(self) -> int: ...

    @property
    def snapshot(self) -> str | None: ...

    def row(self) -> dict[str, Any]: ...

    def snapshot_row(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class SessionWrite:
    """What one batch does to one session: its new events, oldest first (none for a release alone), and whether it
    lets the session go."""

    session_id: str
    pk: int
    events: tuple[Record, ...]
    release: bool

    @property
    def last(self) -> Record | None:
        return self.events[-1] if self.events else None

    @property
    def snapshot(self) -> Record | None:
        """The latest of its events that carries a snapshot (the older ones are superseded at once)."""
        return next((r for r in reversed(self.events) if r.snapshot is not None), None)


def _now() -> datetime:
    return datetime.now(UTC)


def _pg_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, Double):
        return "double precision"
    if isinstance(kind, String | Text):
        return "text"
    raise TypeError(f"{column.table.name}.{column.name}: no array type for {kind!r}")


def _recordset(table: Table, parameter: str) -> tuple[list[str], str, str]:
    """The written columns of ``table``, the ``json_to_recordset(...) AS x (...)`` that brings its rows in from one
    JSON array parameter, and the SELECT list that inserts them (the stamp columns get ``now()``). One JSON text
    rather than an array per column: psycopg escapes array elements one by one in Python, which under load cost the
    writer more than the database did; ``json.dumps`` is C, and JSON columns arrive as they are, not encoded twice."""
    columns = [c for c in table.columns if c.name not in _STAMPS]
    names = ", ".join(f'"{c.name}" {_pg_type(c)}' for c in columns)
    stamps = [c.name for c in table.columns if c.name in _STAMPS]
    select_list = ", ".join([*(f'x."{c.name}"' for c in columns), *("now()" for _ in stamps)])
    return [c.name for c in columns], f"json_to_recordset(CAST(:{parameter} AS json)) AS x ({names})", select_list


@cache
def _pg_statement() -> tuple[TextClause, list[str], list[str]]:
    """One batch on PostgreSQL, and the event and snapshot columns it takes. Every CTE runs whether or not the final
    SELECT reads it, and all see the rows as they were before the statement: the DELETE never touches the snapshot
    inserted beside it."""
    events, snapshots = SessionEvent.__table__, SessionSnapshot.__table__
    event_columns, event_source, event_select = _recordset(events, "events")  # type: ignore[arg-type]
    snapshot_columns, snapshot_source, snapshot_select = _recordset(snapshots, "snapshots")  # type: ignore[arg-type]
    stamps = ", ".join(f'"{c.name}"' for c in events.columns if c.name in _STAMPS)
    snapshot_stamps = ", ".join(f'"{c.name}"' for c in snapshots.columns if c.name in _STAMPS)
    statement = f"""
WITH v AS (
    SELECT * FROM unnest(
        CAST(:pk AS integer[]), CAST(:last_seq AS integer[]), CAST(:agent_id AS integer[]),
        CAST(:agent_name AS text[]), CAST(:turn_count AS integer[]), CAST(:ended AS boolean[]),
        CAST(:letgo AS boolean[])
    ) AS v (pk, last_seq, agent_id, agent_name, turn_count, ended, letgo)
), upd AS (
    UPDATE sessions AS s SET
        last_seq = COALESCE(v.last_seq, s.last_seq),
        current_agent_id = COALESCE(v.agent_id, s.current_agent_id),
        current_agent_name = COALESCE(v.agent_name, s.current_agent_name),
        turn_count = COALESCE(v.turn_count, s.turn_count),
        status = CASE WHEN v.ended THEN :ended_status ELSE s.status END,
        ended_at = CASE WHEN v.ended THEN now() ELSE s.ended_at END,
        owner = CASE WHEN v.ended OR v.letgo THEN NULL ELSE s.owner END,
        lease_expires_at = NULL,
        updated_at = now()
    FROM v
    WHERE s.id = v.pk AND s.owner = :owner
    RETURNING s.id
), ev AS (
    INSERT INTO session_events ({", ".join(f'"{c}"' for c in event_columns)}, {stamps})
    SELECT {event_select} FROM {event_source}
    WHERE x.session_pk IN (SELECT id FROM upd)
), sn AS (
    INSERT INTO session_snapshots ({", ".join(f'"{c}"' for c in snapshot_columns)}, {snapshot_stamps})
    SELECT {snapshot_select} FROM {snapshot_source}
    WHERE x.session_pk IN (SELECT id FROM upd)
), sd AS (
    DELETE FROM session_snapshots AS d
    USING unnest(CAST(:n_session_pk AS integer[]), CAST(:n_seq AS integer[])) AS n (pk, seq)
    WHERE d.session_pk = n.pk AND d.seq < n.seq AND n.pk IN (SELECT id FROM upd)
)
SELECT id FROM upd
"""
    return text(statement), event_columns, snapshot_columns


_r = SessionRecord.__table__.c
_now_param, _ended_param = bindparam("now", type_=DateTime(timezone=True)), bindparam("ended", type_=Boolean)
_GENERIC_UPDATE = (
    sql_update(SessionRecord)
    .where(_r.id == bindparam("pk"), _r.owner == bindparam("me"))
    .values(
        last_seq=func.coalesce(bindparam("last_seq", type_=Integer), _r.last_seq),
        current_agent_id=func.coalesce(bindparam("agent_id", type_=Integer), _r.current_agent_id),
        current_agent_name=func.coalesce(bindparam("agent_name", type_=String), _r.current_agent_name),
        turn_count=func.coalesce(bindparam("turn_count", type_=Integer), _r.turn_count),
        status=case((_ended_param, bindparam("ended_status", type_=String)), else_=_r.status),
        ended_at=case((_ended_param, _now_param), else_=_r.ended_at),
        owner=case((bindparam("letgo", type_=Boolean), null()), else_=_r.owner),
        lease_expires_at=bindparam("lease", type_=Double),
        updated_at=_now_param,
    )
)
"""A session's row after a batch, on databases other than PostgreSQL (one parameter set per session)."""


class BatchWriter:
    """Writes batches for the sessions one owner holds, on a connection of its own; batches take turns.
    :meth:`write` returns the ids of the sessions found owned by someone else (their items were not written); any
    other failure raises and writes nothing."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.owner = owner
        self.one_statement = engine.dialect.name == "postgresql"
        self.parallel = 2 if self.one_statement else 1
        """Batches that may be written at once, each on a connection of its own. Two on PostgreSQL: while one
        batch waits for its commit to reach the disk, the next is executed (the server runs them side by side, and
        a session is never in both: it waits for its event's commit before it makes another). One elsewhere: SQLite
        has a single writer."""
        self._conns: queue.SimpleQueue[KeptConnection] = queue.SimpleQueue()
        self._all = [KeptConnection(engine, autocommit=self.one_statement) for _ in range(self.parallel)]
        for conn in self._all:
            self._conns.put(conn)

    def write(self, writes: Sequence[SessionWrite], lease_expiry: float | None) -> set[str]:
        kept = self._conns.get()
        try:
            if self.one_statement:
                statement, params = self._pg(writes)
                owned = set(kept.run(lambda conn: conn.execute(statement, params).scalars().all(), retry=False))
            else:
                owned = kept.run(lambda conn: self._generic(conn, writes, lease_expiry), retry=False)
        except DBAPIError as exc:
            if exc.connection_invalidated:  # the server went away: the other connection is as dead as this one
                for other in self._all:
                    if other is not kept:
                        other.close()
            raise
        finally:
            self._conns.put(kept)
        return {w.session_id for w in writes if w.pk not in owned}

    def _pg(self, writes: Sequence[SessionWrite]) -> tuple[TextClause, dict[str, Any]]:
        statement, event_columns, snapshot_columns = _pg_statement()
        sessions: dict[str, list[Any]] = {
            k: [] for k in ("pk", "last_seq", "agent_id", "agent_name", "turn_count", "ended", "letgo")
        }
        events: list[dict[str, Any]] = []
        snapshots: list[dict[str, Any]] = []
        for w in writes:
            last = w.last
            sessions["pk"].append(w.pk)
            sessions["last_seq"].append(last.seq if last else None)
            sessions["agent_id"].append(last.agent_id if last else None)
            sessions["agent_name"].append(last.agent_name if last else None)
            sessions["turn_count"].append(last.turn_count if last else None)
            sessions["ended"].append(bool(last and last.ended))
            sessions["letgo"].append(w.release)
            for record in w.events:
                row = record.row()
                events.append({c: row[c] for c in event_columns})
            snapshot = w.snapshot
            if snapshot is not None:
                row = snapshot.snapshot_row()
                snapshots.append({c: row[c] for c in snapshot_columns})
        return statement, {
            **sessions,
            "events": json.dumps(events),
            "snapshots": json.dumps(snapshots),
            "n_session_pk": [r["session_pk"] for r in snapshots],
            "n_seq": [r["seq"] for r in snapshots],
            "owner": self.owner,
            "ended_status": _ENDED,
        }

    def _generic(self, conn: Connection, writes: Sequence[SessionWrite], lease_expiry: float | None) -> set[int]:
        rows = [self._session_row(w, lease_expiry) for w in writes]
        with conn.begin():
            # one executemany for every session (each statement hands the GIL back and must win it again, which
            # under load costs far more than the statement); row by row only when some session was taken over
            if conn.execute(_GENERIC_UPDATE, rows).rowcount == len(rows):
                owned = {w.pk for w in writes}
            else:
                owned = {row["pk"] for row in rows if conn.execute(_GENERIC_UPDATE, row).rowcount == 1}
            events = [record.row() for w in writes if w.pk in owned for record in w.events]
            if events:
                conn.execute(insert(SessionEvent), events)
            snapshots = [s for w in writes if w.pk in owned and (s := w.snapshot) is not None]
            if snapshots:
                conn.execute(insert(SessionSnapshot), [s.snapshot_row() for s in snapshots])
                conn.execute(
                    delete(SessionSnapshot).where(
                        SessionSnapshot.session_pk == bindparam("pk"), SessionSnapshot.seq < bindparam("seq")
                    ),
                    [{"pk": s.snapshot_row()["session_pk"], "seq": s.seq} for s in snapshots],
                )
        return owned

    def _session_row(self, w: SessionWrite, lease_expiry: float | None) -> dict[str, Any]:
        last = w.last
        letgo = w.release or (last is not None and last.ended)
        return {
            "pk": w.pk,
            "me": self.owner,
            "last_seq": last.seq if last else None,
            "agent_id": last.agent_id if last else None,
            "agent_name": last.agent_name if last else None,
            "turn_count": last.turn_count if last else None,
            "ended": bool(last and last.ended),
            "ended_status": _ENDED,
            "now": _now(),
            "letgo": letgo,
            "lease": None if letgo else lease_expiry,
        }

    def close(self) -> None:
        for conn in self._all:
            conn.close()


__all__ = ["BatchWriter", "Record", "SessionWrite"]
