"""The session store on a SQL database (SQLite or PostgreSQL): session rows, the event log and snapshots.

:class:`SyncStore` writes each event in a transaction of its own before ``process_event`` returns: an event is
acknowledged only once it is in the database. The async store (``async_store.py``) shares everything here but the
moment of writing.

The store works on the engine it is given, with short-lived connections of its own, never on the caller's
``Session``: the async writer and the lease heartbeat run in threads of their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from rataura2.core.result import TransitionResult
from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.errors import PersistenceError, SessionExistsError, SessionOwnedError
from rataura2.persistence.group_commit import GroupCommit, Outcome
from rataura2.persistence.integrity import CanonicalEvent, canonical_event, event_checksum, snapshot_checksum
from rataura2.persistence.leases import Leases, SessionRow, default_owner, read_row
from rataura2.persistence.log import SessionLog, logged_result, read_log
from rataura2.persistence.writes import BatchWriter, SessionWrite
from rataura2.settings import checked
from rataura2.vocabulary.enums import SessionStatus

if TYPE_CHECKING:
    from rataura2.core.events import EventData
    from rataura2.core.orchestrator import AgentOrchestrator

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Tracked:
    """A session this store writes: its row id and the last sequence number given to one of its events."""

    pk: int
    seq: int


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One acknowledged event as it goes to the database, with the session summary it leaves behind."""

    session_id: str
    pk: int
    seq: int
    event: EventData
    result: dict[str, Any]
    snapshot: str | None
    ended: bool
    agent_id: int
    agent_name: str
    turn_count: int
    encoded: CanonicalEvent | None = None
    """The event's stored JSON texts and checksum, when encoded ahead of the write (see :meth:`canonical`)."""

    def canonical(self) -> CanonicalEvent:
        """The event's fields as the log stores them and the checksum of its canonical form: what is written and what
        verifies it."""
        if self.encoded is not None:
            return self.encoded
        event = self.event
        return canonical_event(
            self.seq, event.id, event.type.value, event.timestamp, event.source, event.data, self.result
        )

    def _checksum(self) -> str:
        if self.encoded is not None:
            return self.encoded.checksum
        event = self.event  # the checksum alone costs less than the fields one by one
        return event_checksum(
            self.seq, event.id, event.type.value, event.timestamp, event.source, event.data, self.result
        )

    def row(self) -> dict[str, Any]:
        event = self.event
        return {
            "session_pk": self.pk,
            "seq": self.seq,
            "event_id": event.id,
            "type": event.type.value,
            "timestamp": event.timestamp,
            "source": event.source,
            "data": event.data,
            "result": self.result,
            "checksum": self._checksum(),
            "recorded_at": _now(),
        }

    def snapshot_row(self) -> dict[str, Any]:
        """The ``session_snapshots`` row of this record's snapshot (when it carries one)."""
        state = self.snapshot
        checksum = None if state is None else snapshot_checksum(self.seq, state)
        return {"session_pk": self.pk, "seq": self.seq, "state": state, "checksum": checksum, "created_at": _now()}


@dataclass(frozen=True, slots=True)
class Release:
    """Async queue marker: let the session go once everything queued before it is written."""

    session_id: str
    pk: int


def session_writes(items: Sequence[EventRecord | Release]) -> list[SessionWrite]:
    """The items of a batch, session by session, in the order they came. A batch never holds items of a session
    after its release (a session is resumed only once its queued items are written)."""
    pks: dict[str, int] = {}
    events: dict[str, list[EventRecord]] = {}
    released: set[str] = set()
    for item in items:
        pks.setdefault(item.session_id, item.pk)
        if isinstance(item, Release):
            released.add(item.session_id)
        else:
            events.setdefault(item.session_id, []).append(item)
    return [SessionWrite(sid, pk, tuple(events.get(sid, ())), sid in released) for sid, pk in pks.items()]


class Fenced(Exception):
    """A write found the session owned by someone else (this process lost its lease)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(session_id)
        self.session_id = session_id


def _now() -> datetime:
    return datetime.now(UTC)


class SqlStore:
    """What both durability modes share: creating, claiming, loading, writing and releasing sessions."""

    durability = "sync"
    blocks = True

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        snapshot_every: int | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.owner = owner or default_owner()
        self.snapshot_every = int(checked("snapshot_every", snapshot_every))
        self.leases = Leases(engine, self.owner, checked("lease_seconds", lease_seconds))
        self._tracked: dict[str, Tracked] = {}
        self._mutex = threading.Lock()
        self.writer = BatchWriter(engine, self.owner)

    # the SessionStore protocol -------------------------------------------------------------------------------
    def session_started(self, orchestrator: AgentOrchestrator) -> None:
        """Record a new session, owned by this store. :class:`SessionExistsError` if its id is taken."""
        session_id = orchestrator.session_id
        graph = orchestrator.graph
        agent = orchestrator.get_current_agent()
        try:
            with self.engine.begin() as conn:
                if conn.scalar(select(SessionRecord.id).where(SessionRecord.session_id == session_id)) is not None:
                    raise SessionExistsError(
                        f"session {session_id!r} exists in the database; resume it with resume_session()"
                    )
                pk: int = conn.execute(
                    insert(SessionRecord)
                    .values(
                        session_id=session_id,
                        conversation_id=graph.conversation_id,
                        version=graph.version,
                        status=SessionStatus.ACTIVE.value,
                        owner=self.owner,
                        lease_expires_at=self.leases.expiry(),
                        current_agent_id=agent.id,
                        current_agent_name=agent.name,
                        created_at=_now(),
                        updated_at=_now(),
                    )
                    .returning(SessionRecord.id)
                ).scalar_one()
                self.leases.hold_new(session_id, pk)
        except IntegrityError as exc:
            self.leases.forget(session_id)
            raise SessionExistsError(f"session {session_id!r} exists in the database") from exc
        except SQLAlchemyError as exc:
            self.leases.forget(session_id)
            raise PersistenceError(f"could not record new session {session_id!r}: {exc}") from exc
        except BaseException:
            self.leases.forget(session_id)
            raise
        with self._mutex:
            self._tracked[session_id] = Tracked(pk, 0)

    def event_processed(self, orchestrator: AgentOrchestrator, event: EventData, result: TransitionResult) -> None:
        raise NotImplementedError

    def session_ended(self, orchestrator: AgentOrchestrator) -> None:
        self.release(orchestrator.session_id)

    def repeated(self, orchestrator: AgentOrchestrator, event_id: str) -> None:
        """Nothing to do: a sync event was stored before it was first answered, and an async one is acknowledged
        before it is stored, its repeat alike."""

    def logged_result(self, orchestrator: AgentOrchestrator, event_id: str) -> TransitionResult | None:
        """The logged result of an event whose id left the session's dedupe window, if it was processed."""
        session_id = orchestrator.session_id
        tracked = self._tracked.get(session_id)
        if tracked is None:
            return None
        try:
            with self.engine.connect() as conn:
                return logged_result(conn, tracked.pk, session_id, event_id)
        except SQLAlchemyError as exc:
            raise PersistenceError(
                f"could not look up event {event_id!r} of session {session_id!r} in its log; send it again once "
                f"the database is back: {exc}"
            ) from exc

    def close(self) -> None:
        """Let every session go, so another process can resume them at once."""
        with self._mutex:
            self._tracked.clear()
        self.leases.close()
        self.writer.close()

    # resuming ------------------------------------------------------------------------------------------------
    def claim(self, session_id: str, *, wait: float = 0.0) -> SessionRow:
        """Take the session to drive it from this process (see :meth:`Leases.claim`)."""
        try:
            return self.leases.claim(session_id, wait=wait)
        except SQLAlchemyError as exc:
            raise PersistenceError(f"could not claim session {session_id!r}: {exc}") from exc

    def load(self, row: SessionRow) -> SessionLog:
        try:
            with self.engine.connect() as conn:
                return read_log(conn, read_row(conn, row.session_id), older_ids=True)
        except SQLAlchemyError as exc:
            raise PersistenceError(f"could not read session {row.session_id!r}: {exc}") from exc

    def attach(self, orchestrator: AgentOrchestrator, log: SessionLog) -> None:
        """Drive a resumed session from here: its next event gets the sequence number after the log's last."""
        with self._mutex:
            self._tracked[orchestrator.session_id] = Tracked(log.row.pk, log.last_seq)
        orchestrator.store = self

    def release(self, session_id: str) -> None:
        """Stop driving the session (it stays resumable elsewhere)."""
        with self._mutex:
            self._tracked.pop(session_id, None)
        try:
            self.leases.release(session_id)
        except SQLAlchemyError as exc:
            self.leases.forget(session_id)
            logger.warning("could not release session %s (its lease will lapse): %s", session_id, exc)

    def discard(self, session_id: str) -> None:
        """After :meth:`session_started`, when the session's first events could not be saved: remove the row if
        no event made it, otherwise let the session go (it can be resumed). Best effort."""
        with self._mutex:
            tracked = self._tracked.get(session_id)
        if tracked is None:
            return
        try:
            with self.engine.begin() as conn:
                removed = conn.execute(
                    delete(SessionRecord).where(SessionRecord.id == tracked.pk, SessionRecord.last_seq == 0)
                ).rowcount
        except SQLAlchemyError as exc:
            logger.warning("could not remove the empty session %s: %s", session_id, exc)
            removed = 0
        if removed:
            with self._mutex:
                self._tracked.pop(session_id, None)
            self.leases.forget(session_id)
        else:
            self.release(session_id)

    # writing -------------------------------------------------------------------------------------------------
    def _tracking(self, session_id: str) -> Tracked:
        tracked = self._tracked.get(session_id)
        if tracked is None or not self.leases.holds(session_id):
            raise SessionOwnedError(
                session_id,
                None,
                f"session {session_id!r} is not driven by this process ({self.owner}): it was released, or its "
                "lease was lost to another process; resume it to go on",
            )
        return tracked

    def _record(
        self,
        orchestrator: AgentOrchestrator,
        tracked: Tracked,
        event: EventData,
        result: TransitionResult,
        *,
        encode: bool = False,
    ) -> EventRecord:
        """The event as it goes to the database; with ``encode``, encoded as stored already, in the caller's thread,
        so that the writer of a shared commit only pastes it in (PostgreSQL). Not on SQLite, whose rows need only
        the checksum: the fields one by one would only lengthen each session's turn, and with it the wait for
        company before each commit."""
        seq = tracked.seq + 1
        ended = orchestrator.ended
        context = orchestrator.context
        snapshot = context.to_json() if ended or seq % self.snapshot_every == 0 else None
        result_row = result.to_dict()
        encoded = (
            canonical_event(seq, event.id, event.type.value, event.timestamp, event.source, event.data, result_row)
            if encode
            else None
        )
        return EventRecord(
            session_id=orchestrator.session_id,
            pk=tracked.pk,
            seq=seq,
            event=event,
            result=result_row,
            snapshot=snapshot,
            ended=ended,
            agent_id=orchestrator.current_agent_id,
            agent_name=str(context.get("current_agent_name")),
            turn_count=int(context.get("turn_count", 0)),
            encoded=encoded,
        )

    def _write(self, items: Sequence[EventRecord | Release]) -> set[str]:
        """Write a batch in one transaction; the ids of the sessions found owned by another process (their items
        were not written). See ``writes``."""
        return self.writer.write(session_writes(items), self.leases.expiry())

    def _finished(self, items: Iterable[EventRecord | Release]) -> None:
        """After a commit: sessions that ended or were released in it are no longer held."""
        for item in items:
            if isinstance(item, Release) or item.ended:
                with self._mutex:
                    self._tracked.pop(item.session_id, None)
                self.leases.forget(item.session_id)

    def _owner_of(self, session_id: str) -> str | None:
        try:
            with self.engine.connect() as conn:
                return read_row(conn, session_id).owner
        except Exception:
            return None

    def _split_written(self, records: Sequence[EventRecord]) -> tuple[list[EventRecord], list[EventRecord]]:
        """After an IntegrityError: the records already in the log (a commit reported as failed that went
        through), and those whose sequence number holds another event (a conflict)."""
        written: list[EventRecord] = []
        conflicting: list[EventRecord] = []
        with self.engine.connect() as conn:
            for r in records:
                existing = conn.scalar(
                    select(SessionEvent.event_id).where(SessionEvent.session_pk == r.pk, SessionEvent.seq == r.seq)
                )
                if existing == r.event.id:
                    written.append(r)
                elif existing is not None:
                    conflicting.append(r)
        return written, conflicting


class SyncStore(SqlStore):
    """``durability="sync"``: an event is acknowledged once the transaction that holds it has committed.

    Sessions written at the same moment share a transaction (``group_commit``): each waits for the commit that
    holds its own event, never longer than one commit in flight before it. If the database cannot be reached,
    ``process_event`` raises :class:`PersistenceError` and the orchestrator undoes the event: nothing is
    acknowledged, and the same event can be sent again later.
    """

    durability = "sync"

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(engine, **options)
        self._group: GroupCommit[EventRecord] = GroupCommit(self._commit, writers=self.writer.parallel)

    def event_processed(self, orchestrator: AgentOrchestrator, event: EventData, result: TransitionResult) -> None:
        tracked = self._tracking(orchestrator.session_id)
        record = self._record(orchestrator, tracked, event, result, encode=self.writer.one_statement)
        try:
            self._group.submit(record)
        except Fenced as exc:
            self.leases.forget(exc.session_id)
            owner = self._owner_of(exc.session_id)
            raise SessionOwnedError(
                exc.session_id,
                owner,
                f"session {exc.session_id!r} is now driven by {owner or 'nobody'}: this process lost its lease, "
                f"event {event.id!r} was not saved",
            ) from None
        except SQLAlchemyError as exc:
            raise PersistenceError(
                f"could not save event {event.id!r} of session {orchestrator.session_id!r}; it was not applied, "
                f"send it again once the database is back: {exc}"
            ) from exc
        tracked.seq = record.seq
        self._finished([record])

    @property
    def commits(self) -> tuple[int, int]:
        """(transactions, events) written so far: how much group commit shared."""
        return self._group.batches, self._group.items

    def _commit(self, records: Sequence[EventRecord]) -> list[Outcome]:
        """One transaction for the records of a group (one per session: a session waits for its event's commit
        before it processes the next)."""
        try:
            fenced = self._write(records)
        except IntegrityError:
            if len(records) > 1:  # find the record the database refused; the others go in on their own
                return [self._commit(one)[0] for one in ([r] for r in records)]
            return [self._settle_conflict(records[0])]
        return [Fenced(r.session_id) if r.session_id in fenced else None for r in records]

    def _settle_conflict(self, record: EventRecord) -> Outcome:
        """A write refused as a duplicate: stored already (an earlier commit reported as failed went through), or
        its sequence number holds another event (an error)."""
        written, conflicting = self._split_written([record])
        if written:
            return None
        if conflicting:
            return PersistenceError(f"session {record.session_id!r}: seq {record.seq} holds another event in the log")
        return PersistenceError(f"session {record.session_id!r}: event {record.event.id!r} was refused as a duplicate")

    # held writes (``rataura2.sessions.held``) -----------------------------------------------------------------
    def held_record(
        self, orchestrator: AgentOrchestrator, event: EventData, result: TransitionResult, *, keep: bool = True
    ) -> EventRecord:
        """The record of an event, not written: for a caller that writes several events of a session in one
        transaction (:meth:`write_held`). ``keep`` takes its sequence number now (it is held, to be written with
        those that follow); without, the number is taken when the record is written."""
        tracked = self._tracking(orchestrator.session_id)
        record = self._record(orchestrator, tracked, event, result)
        if keep:
            tracked.seq = record.seq
        return record

    def write_held(self, records: Sequence[EventRecord]) -> list[Outcome]:
        """Write held records of one session, oldest first, in one transaction of their own (not shared with
        group commit: they are one session's, and their session waits for them); the outcome of each, None when
        it is stored. Sessions that ended in it are let go."""
        try:
            outcomes = self._commit(records)
        except SQLAlchemyError as exc:
            outcomes = [exc] * len(records)
        written = [r for r, outcome in zip(records, outcomes, strict=True) if outcome is None]
        for record in written:
            tracked = self._tracked.get(record.session_id)
            if tracked is not None and tracked.seq < record.seq:
                tracked.seq = record.seq
        self._finished(written)
        return outcomes
