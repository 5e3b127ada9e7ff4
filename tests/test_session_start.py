"""Session start: on an unedited conversation it reads one row (not the definition), whatever the graph's size; every
kind of edit reaches the next new session, in this process and in others; edits that bypass the ORM are published
with ``rataura2 graph publish``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from rataura2.cli.main import app
from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Tool, Transition, note_edited, note_revised
from rataura2.db.session import init_db
from rataura2.sessions.manager import SessionManager
from tests._procs import T0
from tests.builders import Graph, build_graph

_ids = iter(range(1_000_000))


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _start(manager: SessionManager, conversation_id: int) -> Any:
    return manager.create_session(f"s{next(_ids)}", conversation_id, timestamp=T0)


def _graph(db: Session) -> Graph:
    graph = build_graph(
        db,
        ["Router", "Combat", "Trade"],
        [
            ("Router", "Combat", "user_input", {"pattern": "combat"}),
            ("Combat", "Router", "user_input", {"pattern": "back"}),
        ],
        tools={"Combat": ["scan"]},
    )
    return graph


def test_an_unedited_conversation_starts_sessions_from_one_row(db: Session) -> None:
    graph = _graph(db)
    with SessionManager(db, durability="off") as manager:
        first = _start(manager, graph.conversation.id)  # publishes version 1 and compiles it
        with statements(manager.engine) as seen:
            second = _start(manager, graph.conversation.id)
            third = manager.create_session("by name", graph.conversation.name, timestamp=T0)
        assert second.graph is first.graph is third.graph
        assert len(seen) == 2, seen  # one query per session start...
        assert all("FROM conversations" in s and "agents" not in s.split("FROM")[1] for s in seen), seen
        assert not any("transitions" in s for s in seen)  # ...and the definition is not read


def test_managers_on_one_engine_share_compiled_graphs(db: Session) -> None:
    graph = _graph(db)
    with SessionManager(db, durability="off") as one, SessionManager(db, durability="off") as two:
        assert _start(one, graph.conversation.id).graph is _start(two, graph.conversation.id).graph


Edit = Callable[[Session, Graph], None]


def _rename_agent(db: Session, g: Graph) -> None:
    g.agents["Combat"].instructions = "You are a combat veteran."


def _add_transition(db: Session, g: Graph) -> None:
    db.add(
        Transition(
            source_agent=g.agents["Router"],
            target_agent=g.agents["Trade"],
            condition_type="user_input",
            condition_data={"pattern": "trade"},
        )
    )


def _change_condition(db: Session, g: Graph) -> None:
    edge = db.scalars(select(Transition).where(Transition.source_agent_id == g.agents["Router"].id)).one()
    edge.condition_data = {"pattern": "fight"}


def _retarget_transition(db: Session, g: Graph) -> None:
    edge = db.scalars(select(Transition).where(Transition.source_agent_id == g.agents["Router"].id)).one()
    edge.target_agent = g.agents["Trade"]


def _delete_transition(db: Session, g: Graph) -> None:
    db.delete(db.scalars(select(Transition).where(Transition.source_agent_id == g.agents["Combat"].id)).one())


def _change_tool(db: Session, g: Graph) -> None:
    g.tools["scan"].description = "Scans the system for anomalies."


def _give_tool(db: Session, g: Graph) -> None:
    g.agents["Router"].tools.append(Tool(name="market", function_name="market"))


def _add_agent(db: Session, g: Graph) -> None:
    g.conversation.agents.append(Agent(name="Industry", instructions="You build ships."))


def _remove_agent(db: Session, g: Graph) -> None:
    db.delete(g.agents["Trade"])


def _change_initial_agent(db: Session, g: Graph) -> None:
    g.conversation.initial_agent = g.agents["Trade"]


def _add_rules(db: Session, g: Graph) -> None:
    edge = Transition(source_agent=g.agents["Trade"], target_agent=g.agents["Router"], condition_type="business_rules")
    db.add(edge)
    db.flush()
    db.add(BusinessRulesTransition(transition=edge, rules=_rules(g.agents["Router"].id, "leave")))


def _rules(target: int, word: str) -> list[dict[str, Any]]:
    return [
        {
            "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": word}]},
            "actions": [{"name": "transition_to_agent", "params": {"agent_id": target}}],
        }
    ]


EDITS: dict[str, Edit] = {
    "agent instructions": _rename_agent,
    "new transition": _add_transition,
    "condition data": _change_condition,
    "transition target": _retarget_transition,
    "deleted transition": _delete_transition,
    "tool description": _change_tool,
    "tool given to an agent": _give_tool,
    "agent added": _add_agent,
    "agent deleted": _remove_agent,
    "initial agent": _change_initial_agent,
    "rule set added": _add_rules,
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_every_kind_of_edit_reaches_the_next_session(db: Session, edit: str) -> None:
    graph = _graph(db)
    cid = graph.conversation.id
    with SessionManager(db, durability="off") as manager:
        before = _start(manager, cid).graph
        revision = db.scalar(select(Conversation.revision).where(Conversation.id == cid))
        EDITS[edit](db, graph)
        db.commit()
        assert db.scalar(select(Conversation.revision).where(Conversation.id == cid)) == revision + 1
        after = _start(manager, cid).graph
        assert after.version == before.version + 1
        assert after.spec != before.spec


def test_a_rule_set_edit_reaches_the_next_session(db: Session) -> None:
    graph = _graph(db)
    _add_rules(db, graph)
    db.commit()
    with SessionManager(db, durability="off") as manager:
        before = _start(manager, graph.conversation.id).graph
        rules = db.scalars(select(BusinessRulesTransition)).one()
        rules.rules = _rules(graph.agents["Router"].id, "bye")
        db.commit()
        after = _start(manager, graph.conversation.id).graph
    assert after.version == before.version + 1
    assert [t.rules for t in after.spec.transitions if t.rules] != [t.rules for t in before.spec.transitions if t.rules]


def test_an_agent_shared_by_two_conversations_moves_both(db: Session) -> None:
    graph = _graph(db)
    other = Conversation(name="other", initial_agent=graph.agents["Combat"], agents=[graph.agents["Combat"]])
    db.add(other)
    db.commit()
    revisions = dict(db.execute(select(Conversation.id, Conversation.revision)).all())
    graph.agents["Combat"].instructions = "Shared and changed."
    db.commit()
    after = dict(db.execute(select(Conversation.id, Conversation.revision)).all())
    assert after == {cid: r + 1 for cid, r in revisions.items()}


def test_what_is_not_an_edit_moves_nothing(db: Session) -> None:
    graph = _graph(db)
    cid = graph.conversation.id
    with SessionManager(db, durability="sync") as manager:
        session = _start(manager, cid)  # publishing writes the version and the conversation's bookkeeping
        session.process_event({"type": "user_message", "timestamp": T0 + 1, "data": {"message": "combat"}})
        revision = db.scalar(select(Conversation.revision).where(Conversation.id == cid))
        graph.agents["Combat"].instructions = "Rolled back."
        db.flush()
        db.rollback()
        other = Agent(name="Loner", instructions="In no conversation.")
        db.add(other)
        db.commit()
        assert db.scalar(select(Conversation.revision).where(Conversation.id == cid)) == revision
        assert _start(manager, cid).graph is session.graph


def test_a_new_conversation_starts_at_revision_one(db: Session) -> None:
    graph = _graph(db)
    db.expire_all()
    assert db.get_one(Conversation, graph.conversation.id).revision == 1


def test_an_edit_that_moved_the_revision_itself_moves_it_once(db: Session) -> None:
    graph = _graph(db)
    cid = graph.conversation.id
    graph.agents["Router"].instructions = "Edited through the API."
    db.flush()
    db.execute(update(Conversation).where(Conversation.id == cid).values(revision=Conversation.revision + 1))
    note_revised(db, cid)
    db.commit()
    assert db.scalar(select(Conversation.revision).where(Conversation.id == cid)) == 2


def test_another_process_notices_an_edit(database_url: str) -> None:
    editor_db, worker_db = init_db(database_url), init_db(database_url)  # two engines: two processes' worth
    with editor_db() as db, worker_db() as other_db:
        graph = _graph(db)
        cid = graph.conversation.id
        with SessionManager(other_db, durability="off") as worker:
            assert _start(worker, cid).graph.version == 1
            _change_condition(db, graph)
            db.commit()
            fresh = _start(worker, cid)
            assert fresh.graph.version == 2
            fresh.process_event({"type": "user_message", "timestamp": T0 + 1, "data": {"message": "let's fight"}})
            assert fresh.get_current_agent().name == "Combat"
    editor_db.dispose()
    worker_db.dispose()


def test_sql_edits_are_published_on_request(database_url: str) -> None:
    factory = init_db(database_url)
    with factory() as db:
        graph = _graph(db)
        cid = graph.conversation.id
        with SessionManager(db, durability="off") as manager:
            assert _start(manager, cid).graph.version == 1
            router = graph.agents["Router"].id
            db.execute(text("UPDATE agents SET instructions = 'raw' WHERE id = :id"), {"id": router})
            db.commit()
            assert _start(manager, cid).graph.version == 1  # raw SQL passes the hooks by...
            result = CliRunner().invoke(app, ["graph", "publish", graph.conversation.name, "-d", database_url])
            assert result.exit_code == 0, result.output
            assert "version 2" in result.output
            assert _start(manager, cid).graph.get_agent(router).instructions == "raw"  # ...until published
            db.execute(text("UPDATE agents SET instructions = 'raw again' WHERE id = :id"), {"id": router})
            note_edited(db, [cid])  # or counted as an edit in its own transaction
            db.commit()
            assert _start(manager, cid).graph.get_agent(router).instructions == "raw again"
            again = CliRunner().invoke(app, ["graph", "publish", str(cid), "-d", database_url])
            assert again.exit_code == 0 and "version 3" in again.output and "unchanged" in again.output
    factory.dispose()


def test_publishing_an_unknown_conversation_is_one_error_line(database_url: str) -> None:
    init_db(database_url).dispose()
    result = CliRunner().invoke(app, ["graph", "publish", "No such assistant", "-d", database_url])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["error: no conversation 'No such assistant'"]
