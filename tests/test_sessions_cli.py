"""``rataura2 sessions``: list, show (context, transitions and why), resume and purge, on both databases."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app
from rataura2.db.models import SessionRecord
from rataura2.sessions.manager import SessionManager
from tests._procs import T0, build_conversation, drive, script


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["sessions", *args], env={"COLUMNS": "250"})
    return result.exit_code, result.output


def test_list_show_resume_and_purge(db: Session, database_url: str) -> None:
    conversation_id = build_conversation(db)
    events = script(3)
    with SessionManager(db) as parked:
        parked.create_session("done", conversation_id, timestamp=T0)
        drive(parked, "done", events)
        parked.end_session("done", timestamp=T0 + 100)
        parked.create_session("parked", conversation_id, timestamp=T0)
        drive(parked, "parked", events[:20])
    live = SessionManager(db)
    assert live.store is not None
    live.create_session("live", conversation_id, timestamp=T0)

    code, out = run("list", "-d", database_url)
    assert code == 0, out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("│")}
    assert set(lines) == {"done", "parked", "live"}
    assert "ended" in lines["done"] and "Farewell" in lines["done"]
    assert live.store.owner in lines["live"] and "(gone)" not in lines["live"]
    assert "active" in lines["parked"] and "Router" in lines["parked"]

    code, out = run("show", "parked", "-d", database_url)
    assert code == 0, out
    assert "parked: durable v1, active, on Router after 6 user turns" in out
    assert "Router -> Combat (transition 1, event e002): user said 'round 0: tell me about combat', which" in out
    assert "Combat -> Router (transition 4, event e014): agent decided transition_to='router'" in out
    assert "Combat -> Market (transition 3, event e018): tool 'fit_ship' returned result.cost=1200 gte 1000" in out
    assert "Market -> Router (transition 5, event e020): expression" in out
    code, out = run("show", "parked", "--json", "-d", database_url)
    assert json.loads(out) == live.load_session("parked").get_context()
    code, out = run("show", "nope", "-d", database_url)
    assert (code, "no session 'nope' in the database" in out) == (1, True)

    code, out = run("resume", "live", "-d", database_url)
    assert (code, f"is driven by {live.store.owner}" in out) == (1, True)
    code, out = run("resume", "parked", "--end", "-d", database_url)
    assert code == 0, out
    assert "Resumed parked on Router after 6 user turns" in out and "Ended." in out

    code, out = run("purge", "--dry-run", "-d", database_url)
    assert code == 0 and "2 ended sessions" in out
    code, out = run("purge", "--yes", "-d", database_url)
    assert code == 0 and "Purged 2 sessions." in out
    db.expire_all()
    assert db.scalars(select(SessionRecord.session_id)).all() == ["live"]
    live.close()
