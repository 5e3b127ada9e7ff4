"""One process drives a session at a time: a second one is told who owns it or waits its turn, a dead or stalled
owner is taken over, and a process that lost its session can no longer write to it."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from rataura2.errors import SessionExistsError, SessionOwnedError
from rataura2.sessions.manager import SessionManager
from tests._procs import ROOT, T0, build_conversation, drive, logged_ids, reference_run, script, spawn_args


def _race(database_url: str, tmp_path: Path, session_id: str, conversation_id: int, wait: float) -> list[Any]:
    """Two real processes set up, then try to take the session at the same moment; each reports as JSON lines."""
    go = tmp_path / f"{session_id}.go"
    ready = [tmp_path / f"{session_id}.{n}.ready" for n in range(2)]
    procs = [
        subprocess.Popen(
            spawn_args(database_url, session_id, conversation_id, wait=wait, delay=0.02, ready=r, go=go),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    for _ in range(3000):
        if all(r.exists() for r in ready) or any(p.poll() is not None for p in procs):
            break
        threading.Event().wait(0.01)
    go.touch()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode in (0, 3), err
        reports.append([json.loads(line) for line in out.splitlines()])
    return reports


def _start(db: Session, session_id: str) -> int:
    conversation_id = build_conversation(db)
    with SessionManager(db) as manager:
        manager.create_session(session_id, conversation_id, timestamp=T0)
    return conversation_id


def test_two_processes_race_one_drives_the_other_is_told_who(db: Session, database_url: str, tmp_path: Path) -> None:
    conversation_id = _start(db, "race")
    events = script()
    reports = _race(database_url, tmp_path, "race", conversation_id, wait=0)
    outcomes = sorted(r[-1]["step"] for r in reports)
    assert outcomes == ["done", "refused"]
    winner = next(r for r in reports if r[-1]["step"] == "done")
    loser = next(r for r in reports if r[-1]["step"] == "refused")
    assert winner[-1]["new"] == len(events)
    assert loser[-1]["owner"] == winner[0]["owner"]
    assert f"is driven by {winner[0]['owner']}" in loser[-1]["message"]
    assert logged_ids(db, "race") == ["race/created", *(e["id"] for e in events)]


def test_two_processes_race_the_loser_waits_and_applies_nothing_twice(
    db: Session, database_url: str, tmp_path: Path
) -> None:
    conversation_id = _start(db, "race")
    events = script()
    reports = _race(database_url, tmp_path, "race", conversation_id, wait=30)
    assert sorted(r[-1]["new"] for r in reports) == [0, len(events)]  # the second found every event seen
    first, second = sorted(reports, key=lambda r: r[-1]["new"], reverse=True)
    assert first[-1]["t"] <= second[1]["t"], "the waiting process drives only once the first has let go"
    assert logged_ids(db, "race") == ["race/created", *(e["id"] for e in events)]
    with SessionManager(db) as manager:
        resumed = manager.resume_session("race")
        assert resumed.get_context() == reference_run(database_url, conversation_id, "race", events).get_context()


def test_a_second_manager_is_told_who_owns_the_session_and_can_wait(db: Session) -> None:
    conversation_id = build_conversation(db)
    first, second = SessionManager(db), SessionManager(db)
    assert first.store is not None and second.store is not None
    mine = first.create_session("s", conversation_id, timestamp=T0)
    with pytest.raises(SessionOwnedError, match=f"is driven by {first.store.owner}") as caught:
        second.resume_session("s")
    assert caught.value.owner == first.store.owner
    with pytest.raises(SessionExistsError, match="exists in the database"):
        second.create_session("s", conversation_id)

    threading.Timer(0.3, first.release_session, ["s"]).start()
    theirs = second.resume_session("s", wait=10)
    events = script(1)
    with pytest.raises(SessionOwnedError, match="not driven by this process"):
        mine.process_event(events[0])
    assert not mine.seen(events[0]["id"])
    drive(second, "s", events)
    assert logged_ids(db, "s") == ["s/created", *(e["id"] for e in events)]
    assert theirs.get_context()["turn_count"] == 2
    first.close()
    second.close()


def test_a_stalled_owner_is_taken_over_and_fenced_out(db: Session, database_url: str) -> None:
    conversation_id = build_conversation(db)
    stalled, successor = SessionManager(db, lease_seconds=0.5), SessionManager(db, lease_seconds=0.5)
    assert stalled.store is not None and successor.store is not None
    orchestrator = stalled.create_session("s", conversation_id, timestamp=T0)
    events = script(1)
    drive(stalled, "s", events[:3])
    leases = stalled.store.leases
    leases._stop.set()  # the owner stalls: it renews nothing any more...
    if leases.advisory:  # ...and on PostgreSQL its lock connection is gone
        pid = leases._conn[0].execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()

    taken = successor.resume_session("s", wait=5)
    with pytest.raises(SessionOwnedError, match=f"now driven by {successor.store.owner}"):
        orchestrator.process_event(events[3])
    assert not orchestrator.seen(events[3]["id"])
    drive(successor, "s", events)
    assert logged_ids(db, "s") == ["s/created", *(e["id"] for e in events)]
    assert taken.get_context()["turn_count"] == 2
    successor.close()


def test_open_session_resumes_what_the_database_has_and_creates_the_rest(db: Session) -> None:
    conversation_id = build_conversation(db)
    events = script(1)
    with SessionManager(db) as first:
        first.open_session("room-1", conversation_id)
        drive(first, "room-1", events[:4])
    with SessionManager(db) as second:
        resumed = second.open_session("room-1", conversation_id)
        assert second.open_session("room-1", conversation_id) is resumed
        assert [resumed.seen(e["id"]) for e in events[:5]] == [True] * 4 + [False]
        assert second.open_session("room-2", conversation_id).get_context()["event_count"] == 1
        second.end_session("room-2")
        with pytest.raises(SessionExistsError, match="has ended"):
            second.open_session("room-2", conversation_id)
