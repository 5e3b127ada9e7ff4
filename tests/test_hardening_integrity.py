"""A corrupt copy of a session (issue 15, case 8): refused at resume with the session and the row named, listed by
``rataura2 sessions verify``, and repaired to its last intact event on request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app
from rataura2.db.models import SessionEvent, SessionRecord, SessionSnapshot
from rataura2.errors import CorruptSessionError
from rataura2.sessions.manager import SessionManager
from tests._procs import T0, build_conversation, drive, reference_run, script

EVENTS = script(2)


def _stored(db: Session) -> tuple[int, int]:
    """A session "s" of the script, parked in the database: (conversation id, its row id)."""
    conversation_id = build_conversation(db)
    with SessionManager(db, snapshot_every=10) as manager:
        manager.create_session("s", conversation_id, timestamp=T0)
        drive(manager, "s", EVENTS)
    pk = db.scalar(select(SessionRecord.id).where(SessionRecord.session_id == "s"))
    assert pk is not None
    return conversation_id, pk


def _delete_event(seq: int) -> Callable[[Session, int], None]:
    def damage(db: Session, pk: int) -> None:
        db.execute(delete(SessionEvent).where(SessionEvent.session_pk == pk, SessionEvent.seq == seq))

    return damage


def _edit_event(seq: int, **values: Any) -> Callable[[Session, int], None]:
    def damage(db: Session, pk: int) -> None:
        db.execute(update(SessionEvent).where(SessionEvent.session_pk == pk, SessionEvent.seq == seq).values(**values))

    return damage


def _truncate_snapshot(db: Session, pk: int) -> None:
    state = db.scalar(select(SessionSnapshot.state).where(SessionSnapshot.session_pk == pk))
    assert state is not None
    db.execute(update(SessionSnapshot).where(SessionSnapshot.session_pk == pk).values(state=state[: len(state) // 2]))


DAMAGE: dict[str, tuple[Callable[[Session, int], None], str, int]] = {
    # what is done to the stored copy, the row the refusal names, the events a repair keeps
    "a row deleted (a gap in seq)": (_delete_event(12), "the event log", 11),
    "the last row deleted": (_delete_event(len(EVENTS) + 1), f"event {len(EVENTS) + 1}", len(EVENTS)),
    "a message edited": (_edit_event(14, data={"message": "I never said that"}), "event 14", 13),
    "a timestamp set to 1e308": (_edit_event(15, timestamp=1e308), "event 15", 14),
    "a result edited": (_edit_event(3, result={"status": "success"}), "event 3", 2),
    "the snapshot truncated": (_truncate_snapshot, "the snapshot at event 10", len(EVENTS) + 1),
}


def _verify(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sessions", "verify", *args, "-d", database_url], env={"COLUMNS": "250"})
    return result.exit_code, result.output


@pytest.mark.parametrize(("damage", "row", "kept"), DAMAGE.values(), ids=DAMAGE.keys())
def test_a_corrupt_session_is_refused_listed_and_repaired(
    db: Session, database_url: str, damage: Callable[[Session, int], None], row: str, kept: int
) -> None:
    conversation_id, pk = _stored(db)
    code, out = _verify(database_url)
    assert (code, "1 session checked, 0 damaged." in out) == (0, True), out
    damage(db, pk)
    db.commit()

    with pytest.raises(CorruptSessionError) as info:
        SessionManager(db).resume_session("s")
    assert (info.value.session_id, info.value.row) == ("s", row)
    assert "session 's' is corrupt at" in str(info.value)
    with pytest.raises(CorruptSessionError):
        SessionManager(db, durability="off").load_session("s")  # what `sessions show` reads
    assert db.scalar(select(SessionRecord.owner).where(SessionRecord.id == pk)) is None  # refused: not held
    shown = CliRunner().invoke(app, ["sessions", "show", "s", "-d", database_url], env={"COLUMNS": "250"})
    assert shown.exit_code == 2 and "Traceback" not in shown.output, shown.output
    assert shown.output.startswith(f"error: session 's' is corrupt at {row}") and shown.output.count("\n") == 1

    code, out = _verify(database_url, "s")
    assert code == 1 and "s: " in out and "1 problem" in out and "1 session checked, 1 damaged." in out, out
    code, out = _verify(database_url, "s", "--repair", "--yes")
    assert code == 0 and f"keep events 1 to {kept}" in out and "repaired" in out, out
    assert _verify(database_url, "s")[0] == 0

    db.expire_all()
    resumed = SessionManager(db).resume_session("s")
    expected = reference_run(database_url, conversation_id, "s", EVENTS[: kept - 1])
    assert resumed.get_context() == expected.get_context()
    for event in EVENTS:  # the client sends its script again: the cut-off events are new, the rest no-ops
        resumed.process_event(event)
        resumed.check_and_execute_transition()
    assert resumed.get_context() == reference_run(database_url, conversation_id, "s", EVENTS).get_context()


def test_verify_without_repair_changes_nothing_and_a_declined_repair_neither(db: Session, database_url: str) -> None:
    _, pk = _stored(db)
    _delete_event(5)(db, pk)
    db.commit()
    before = db.scalar(select(SessionRecord.last_seq).where(SessionRecord.id == pk))
    code, out = _verify(database_url)
    assert code == 1 and "event 5: events 5 to 5 are missing" in out, out
    result = CliRunner().invoke(app, ["sessions", "verify", "--repair", "-d", database_url], input="n\n")
    assert result.exit_code == 1
    db.expire_all()
    assert db.scalar(select(SessionRecord.last_seq).where(SessionRecord.id == pk)) == before
