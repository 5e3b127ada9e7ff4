"""Writing a batch of acknowledged events: the session rows, the log and the snapshots, in one transaction.

Each session's row is updated only where this process still owns it (the fence of ``leases``), and its events and
snapshot are written only with it: a session another process took over loses its records, the others are stored.

On PostgreSQL the whole batch is one statement, run in autocommit mode on a connection kept open: the session rows,
the events and the snapshots travel as one JSON array each, data-modifying CTEs do the rest, so a batch is one round
trip however many sessions it holds. An event goes in as the JSON texts ``integrity.canonical_event`` made when it
computed the checksum (data and result keep their key order; the checksum is over the sorted form), pasted into the
array as they are: nothing is encoded again here, which is most of what building a batch would cost.
Other databases (SQLite is in-process, where round trips cost little) get the same writes as a few ordinary
statements in one transaction, from the records' ``row()`` and ``snapshot_row()``; the PostgreSQL statement checks
that the event's fields cover every column of the log, so a column added to it cannot be left out there.
"""

from __future__ import annotations

import json
import queue
import sqlite3
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
    Dialect,
    Double,
    Engine,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    case,
    delete,
    func,
    insert,
    null,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DBAPIError

from rataura2.db.models import SessionEvent, SessionRecord, SessionSnapshot
from rataura2.persistence.connection import KeptConnection
from rataura2.persistence.integrity import CanonicalEvent
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

    def canonical(self) -> CanonicalEvent: ...

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


_CANONICAL_COLUMNS = ("seq", "event_id", "type", "timestamp", "source", "data", "result")
"""The log's columns in the order of ``CanonicalEvent.fields``."""
_SESSION_COLUMNS = {
    "pk": "integer",
    "last_seq": "integer",
    "agent_id": "integer",
    "agent_name": "text",
    "turn_count": "integer",
    "ended": "boolean",
    "letgo": "boolean",
}


def _recordset(table: Table, parameter: str) -> tuple[list[str], str, str]:
    """The written columns of ``table``, the ``json_to_recordset(...) AS x (...)`` that brings its rows in from one
    JSON array parameter, and the SELECT list that inserts them (the stamp columns get ``now()``). JSON rather than
    an array per column: psycopg escapes array elements one by one in Python, ``json.dumps`` is C, and JSON columns
    arrive as they are, not encoded twice."""
    columns = [c for c in table.columns if c.name not in _STAMPS]
    names = ", ".join(f'"{c.name}" {_pg_type(c)}' for c in columns)
    stamps = [c.name for c in table.columns if c.name in _STAMPS]
    select_list = ", ".join([*(f'x."{c.name}"' for c in columns), *("now()" for _ in stamps)])
    return [c.name for c in columns], f"json_to_recordset(CAST(%({parameter})s AS json)) AS x ({names})", select_list


def _event_template(columns: list[str]) -> str:
    """The ``%``-template of one event in the batch's JSON array: the session's row id, the checksum and the
    canonical fields, pasted in as they are."""
    if sorted(columns) != sorted(("session_pk", "checksum", *_CANONICAL_COLUMNS)):
        raise TypeError(f"session_events has columns {columns}; the PostgreSQL writer sends {_CANONICAL_COLUMNS}")
    fields = ",".join(f'"{name}":%s' for name in _CANONICAL_COLUMNS)
    return '{"session_pk":%d,"checksum":"%s",' + fields + "}"


@cache
def _pg_statement() -> tuple[str, str, list[str]]:
    """One batch on PostgreSQL (SQL for the driver, parameters in its ``%(name)s`` style), the template of an event
    and the snapshot columns it takes. Every CTE runs whether or not the final SELECT reads it, and all see the rows
    as they were before the statement: the DELETE never touches the snapshot inserted beside it."""
    events, snapshots = SessionEvent.__table__, SessionSnapshot.__table__
    event_columns, event_source, event_select = _recordset(events, "events")  # type: ignore[arg-type]
    snapshot_columns, snapshot_source, snapshot_select = _recordset(snapshots, "snapshots")  # type: ignore[arg-type]
    stamps = ", ".join(f'"{c.name}"' for c in events.columns if c.name in _STAMPS)
    snapshot_stamps = ", ".join(f'"{c.name}"' for c in snapshots.columns if c.name in _STAMPS)
    session_columns = ", ".join(f"{name} {kind}" for name, kind in _SESSION_COLUMNS.items())
    statement = f"""
WITH v AS (
    SELECT * FROM json_to_recordset(CAST(%(sessions)s AS json)) AS v ({session_columns})
), upd AS (
    UPDATE sessions AS s SET
        last_seq = COALESCE(v.last_seq, s.last_seq),
        current_agent_id = COALESCE(v.agent_id, s.current_agent_id),
        current_agent_name = COALESCE(v.agent_name, s.current_agent_name),
        turn_count = COALESCE(v.turn_count, s.turn_count),
        status = CASE WHEN v.ended THEN %(ended_status)s ELSE s.status END,
        ended_at = CASE WHEN v.ended THEN now() ELSE s.ended_at END,
        owner = CASE WHEN v.ended OR v.letgo THEN NULL ELSE s.owner END,
        lease_expires_at = NULL,
        updated_at = now()
    FROM v
    WHERE s.id = v.pk AND s.owner = %(owner)s
    RETURNING s.id
), ev AS (
    INSERT INTO session_events ({", ".join(f'"{c}"' for c in event_columns)}, {stamps})
    SELECT {event_select} FROM {event_source}
    WHERE x.session_pk IN (SELECT id FROM upd)
), sn AS (
    INSERT INTO session_snapshots ({", ".join(f'"{c}"' for c in snapshot_columns)}, {snapshot_stamps})
    SELECT {snapshot_select} FROM {snapshot_source}
    WHERE x.session_pk IN (SELECT id FROM upd)
    RETURNING session_pk, seq
), sd AS (
    DELETE FROM session_snapshots AS d USING sn WHERE d.session_pk = sn.session_pk AND d.seq < sn.seq
)
SELECT id FROM upd
"""
    return statement, _event_template(event_columns), snapshot_columns


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


def _session_fields(w: SessionWrite) -> dict[str, Any]:
    """The ``sessions`` row's columns that a batch moves on: where the session's last written event left it."""
    last = w.last
    return {
        "pk": w.pk,
        "last_seq": last.seq if last else None,
        "agent_id": last.agent_id if last else None,
        "agent_name": last.agent_name if last else None,
        "turn_count": last.turn_count if last else None,
        "ended": bool(last and last.ended),
    }


class _RowsInsert:
    """Rows inserted by one multi-row INSERT (as many rows a statement as the connection's limit of bound values
    allows), each value bound as SQLAlchemy binds it (the column types' own bind processors). ``executemany``
    would step one statement per row, and in each step the writer thread hands the interpreter back to the
    sessions' event loop and must win it again: under load, that costs both far more than the rows (so does each
    statement: a batch of 500 events in five statements rather than one added 0.15 ms to a LiveKit turn). Rows
    that do not give every column (a column with a default, added later) get SQLAlchemy's insert, which fills the
    defaults in."""

    FALLBACK_VARIABLES = 999
    """SQLite's historic limit of bound values per statement, for a driver that cannot tell its own (3.32 raised
    the default to 32,766)."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        if dialect.paramstyle != "qmark":
            raise TypeError(f"multi-row inserts are written for SQLite's parameter style, not {dialect.paramstyle}")
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns]
        self._per_statement = 0
        """Rows a statement, from the first connection's limit (``_rows_per_statement``)."""
        quote = dialect.identifier_preparer.quote
        self._row = "(" + ",".join("?" * len(self.columns)) + ")"
        self._head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, self.columns))}) VALUES "

    def insert(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if rows[0].keys() != set(self.columns):
            conn.execute(insert(self.table), rows)
            return
        bound = list(zip(self.columns, self.processors, strict=True))
        per_statement = self._rows_per_statement(conn)
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values: list[Any] = []
            for row in chunk:
                for name, process in bound:
                    value = row[name]
                    values.append(value if process is None else process(value))
            conn.exec_driver_sql(self._head + ",".join([self._row] * len(chunk)), tuple(values))

    def _rows_per_statement(self, conn: Connection) -> int:
        if not self._per_statement:
            getlimit = getattr(conn.connection.dbapi_connection, "getlimit", None)
            limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else self.FALLBACK_VARIABLES
            self._per_statement = max(1, limit // len(self.columns))
        return self._per_statement


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
        self._events = (
            None if self.one_statement else _RowsInsert(SessionEvent.__table__, engine.dialect)  # type: ignore[arg-type]
        )
        self._conns: queue.SimpleQueue[KeptConnection] = queue.SimpleQueue()
        self._all = [KeptConnection(engine, autocommit=self.one_statement) for _ in range(self.parallel)]
        for conn in self._all:
            self._conns.put(conn)

    def write(self, writes: Sequence[SessionWrite], lease_expiry: float | None) -> set[str]:
        kept = self._conns.get()
        try:
            if self.one_statement:
                statement, params = self._pg(writes)
                owned = set(kept.run(lambda conn: conn.exec_driver_sql(statement, params).scalars().all(), retry=False))
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

    def _pg(self, writes: Sequence[SessionWrite]) -> tuple[str, dict[str, Any]]:
        statement, event_template, snapshot_columns = _pg_statement()
        sessions: list[dict[str, Any]] = []
        events: list[str] = []
        snapshots: list[dict[str, Any]] = []
        for w in writes:
            sessions.append({**_session_fields(w), "letgo": w.release})
            for record in w.events:
                fields, checksum = record.canonical()
                events.append(event_template % (w.pk, checksum, *fields))
            snapshot = w.snapshot
            if snapshot is not None:
                row = snapshot.snapshot_row()
                snapshots.append({c: row[c] for c in snapshot_columns})
        return statement, {
            "sessions": json.dumps(sessions),
            "events": "[" + ",".join(events) + "]",
            "snapshots": json.dumps(snapshots),
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
                assert self._events is not None  # made for every database but PostgreSQL
                self._events.insert(conn, events)
            snapshots = [s for w in writes if w.pk in owned and (s := w.snapshot) is not None]
            if snapshots:
                snapshot_rows = [s.snapshot_row() for s in snapshots]  # each checksums its state: once
                conn.execute(insert(SessionSnapshot), snapshot_rows)
                conn.execute(
                    delete(SessionSnapshot).where(
                        SessionSnapshot.session_pk == bindparam("pk"), SessionSnapshot.seq < bindparam("seq")
                    ),
                    [{"pk": row["session_pk"], "seq": row["seq"]} for row in snapshot_rows],
                )
        return owned

    def _session_row(self, w: SessionWrite, lease_expiry: float | None) -> dict[str, Any]:
        fields = _session_fields(w)
        letgo = w.release or fields["ended"]
        return {
            **fields,
            "me": self.owner,
            "ended_status": _ENDED,
            "now": _now(),
            "letgo": letgo,
            "lease": None if letgo else lease_expiry,
        }

    def close(self) -> None:
        for conn in self._all:
            conn.close()


__all__ = ["BatchWriter", "Record", "SessionWrite"]
