"""Replay: 1,000 recorded demo sessions replayed on an edited rule report exactly the sessions whose route the edit
changes, none falsely; the command's filters, formats and exit codes."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bench.recorded import record_sessions
from rataura2.cli.main import app
from rataura2.cli.replay import parse_since
from rataura2.demo.seed import DEMO_CONVERSATION, market_rules, seed_demo
from rataura2.errors import RatauraError
from rataura2.persistence.recorded import recorded_sessions
from rataura2.persistence.versions import publish_conversation
from rataura2.replay import ReplayReport
from rataura2.rules.repository import update_business_rules_transition
from rataura2.sessions.manager import SessionManager
from rataura2.testing.replaying import replay_conversation
from rataura2.vocabulary.events import EventType

SESSIONS = 1000


def setup(db: Session) -> tuple[Any, int, Engine]:
    """The demo, published as version 1, with 1,000 recorded sessions; returns the conversation, the id of its
    rules transition and the engine."""
    conversation = seed_demo(db)
    manager = SessionManager(db, durability="off")
    graph = manager.publish_and_compile(conversation.id)
    record_sessions(manager.engine, graph, SESSIONS)
    rules = next(t for t in graph.spec.transitions if t.condition_type == "business_rules")
    return conversation, rules.id, manager.engine


def buy_too(market_agent_id: int) -> list[dict[str, Any]]:
    """The edit: the market rule also answers "buy"."""
    rules = market_rules(market_agent_id)
    rules[0]["conditions"]["all"][1]["any"].append(
        {"name": "user_input", "operator": "contains_case_insensitive", "value": "buy"}
    )
    return rules


def expected_changes(engine: Engine, conversation_id: int, general_id: int) -> dict[str, int]:
    """Computed from the log, not by replaying: a session changes route exactly when, while it was with General,
    the pilot said "buy" and nothing moved the session (the edit makes the market rule fire there; before that
    first place both routes are the same). Session id -> position of that event in its log."""
    changes = {}
    for session in recorded_sessions(engine, conversation_id):
        for index, (event, result) in enumerate(session.events, start=1):
            said = event.data.get("message", "") if event.type is EventType.USER_MESSAGE else ""
            if result.from_agent_id == general_id and "buy" in said.casefold() and not result.hops:
                changes[session.session_id] = index
                break
    return changes


def test_replaying_an_edited_rule_reports_exactly_the_sessions_it_changes(db: Session) -> None:
    conversation, rules_id, engine = setup(db)
    agents = {a.name: a.id for a in conversation.agents}
    expected = expected_changes(engine, conversation.id, agents["General"])
    assert 50 < len(expected) < SESSIONS / 2  # the inputs are varied enough for both kinds to be many

    update_business_rules_transition(db, rules_id, buy_too(agents["Market"]))
    db.commit()
    report = replay_conversation(db, conversation.id, "draft")
    assert len(report.sessions) == SESSIONS and report.events > 5 * SESSIONS
    assert {s.session_id: s.divergence.index for s in report.changed if s.divergence} == expected
    for session in report.changed:
        d = session.divergence
        assert d is not None and d.event_type == "user_message" and "buy" in d.event.casefold()
        assert (d.agent_before, d.old_after, d.new_after) == ("General", "General", "Market")
        assert d.old_reason == "stays (no transition held)" and d.old_transition is None
        assert d.new_transition == rules_id and "contains_case_insensitive 'buy'" in d.new_reason

    on_their_version = replay_conversation(db, conversation.id, "1")
    assert len(on_their_version.sessions) == SESSIONS and on_their_version.changed == ()
    assert publish_conversation(db, conversation) == 2
    published = replay_conversation(db, conversation.id, "2", limit=100)
    assert len(published.sessions) == 100 and published.sessions[-1].session_id == f"rec-{SESSIONS - 1:04d}"
    assert {s.session_id for s in published.changed} == {k for k in expected if int(k[4:]) >= SESSIONS - 100}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["replay", *args], env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_the_command_filters_formats_and_exit_codes(sqlite_db: Session) -> None:
    db = sqlite_db
    conversation, rules_id, _ = setup(db)
    url = db.get_bind().url.render_as_string(hide_password=False)
    update_business_rules_transition(
        db, rules_id, buy_too(next(a.id for a in conversation.agents if a.name == "Market"))
    )
    db.commit()
    code, out = run(DEMO_CONVERSATION, "-d", url, "--since", "2h", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["replayed"] == 119 and report["against"] == "draft" and report["versions"] == [1]
    assert report["changed"] == len(report["sessions"]) > 0
    first = report["sessions"][0]
    assert set(first["divergence"]) >= {"index", "event", "agent_before", "old_after", "new_after", "old_reason"}

    code, out = run(DEMO_CONVERSATION, "-d", url, "--limit", "300", "--fail-on-change")
    assert code == 1
    assert "recorded sessions replayed on draft" in out and "Sessions whose route changes" in out
    assert "General: stays (no transition held)" in out and "Market: rule 1:" in out
    code, out = run(DEMO_CONVERSATION, "-d", url, "--limit", "300", "--against", "1")
    assert code == 0 and "No session's route changes." in out

    for bad, message in (
        (["--against", "latest"], "--against takes 'draft' or a version number"),
        (["--against", "9"], "has no published version 9"),
        (["--since", "yesterday"], "--since takes a date or time"),
    ):
        result = CliRunner().invoke(app, ["replay", DEMO_CONVERSATION, "-d", url, *bad])
        assert isinstance(result.exception, RatauraError) and message in str(result.exception)


def test_since_takes_dates_times_and_durations() -> None:
    from datetime import UTC, datetime

    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_since("2025-03-01", now) == datetime(2025, 3, 1, tzinfo=UTC)
    assert parse_since("2025-03-01T08:30+01:00", now).hour == 8
    assert parse_since("90m", now) == datetime(2025, 3, 10, 10, 30, tzinfo=UTC)
    assert parse_since("2w", now) == datetime(2025, 2, 24, 12, 0, tzinfo=UTC)


def test_a_report_counts_what_it_replayed() -> None:
    report = ReplayReport("c", "draft", (), 0.0)
    assert report.to_dict()["replayed"] == 0 and report.changed == ()
