"""kill -9 on PostgreSQL with context updates through the API (issue 15, case 4): a worker is killed mid-session,
the client retries everything it sent, with the same idempotency ids, against the worker that resumes the session;
every acknowledged update is there, and none is applied twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rataura2.db.models import SessionEvent, SessionRecord
from rataura2.db.session import init_db
from rataura2.sessions.manager import SessionManager
from tests._procs import ROOT, build_conversation, drive, logged_ids, reference_run, script, spawn_args
from tests.conftest import _reset_postgres


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.parametrize("kill_after", [14])
def test_update_context_survives_kill_9_exactly_once(postgres_server_url: str, tmp_path: Path, kill_after: int) -> None:
    _reset_postgres(postgres_server_url)
    factory = init_db(postgres_server_url)
    with factory() as db:
        conversation_id = build_conversation(db)
    events = script()
    updates = [e["id"] for e in events if e["type"] == "custom" and e["source"] == "api"]
    ack = tmp_path / "acknowledged"
    ack.touch()
    args = spawn_args(postgres_server_url, "s", conversation_id, create=True, delay=0.01, ack=ack, api=True)
    writer = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(lambda: len(ack.read_text().split()) >= kill_after or writer.poll() is not None, 30, "acknowledgements")
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    assert writer.returncode == -signal.SIGKILL
    acknowledged = ack.read_text().split()

    with factory() as db:
        logged = logged_ids(db, "s")
        assert set(acknowledged) <= set(logged)  # nothing acknowledged is lost
        manager = SessionManager(db)
        manager.resume_session("s", wait=10)  # the advisory lock died with the worker
        # the client never heard back about some of what it sent: it sends everything again, updates included
        assert drive(manager, "s", events, api=True) == len(events) - (len(logged) - 1)
        assert drive(manager, "s", events, api=True) == 0
        resumed = manager["s"]
        manager.close()
        pk = db.scalar(select(SessionRecord.id).where(SessionRecord.session_id == "s"))
        logged_updates = db.scalars(
            select(SessionEvent.event_id).where(
                SessionEvent.session_pk == pk, SessionEvent.source == "api", SessionEvent.type == "custom"
            )
        ).all()
    assert sorted(logged_updates) == sorted(updates)  # each update logged once: none doubled, none lost
    assert logged_ids(factory(), "s") == ["rataura2:created", *(e["id"] for e in events)]
    never_crashed = reference_run(postgres_server_url, conversation_id, "s", events)
    assert resumed.get_context() == never_crashed.get_context()
    factory.dispose()
