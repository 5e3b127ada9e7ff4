"""Conversation versions: editing a conversation publishes a new version, running (and resumed) sessions keep the
version they started on, new sessions take the latest, and a running manager picks it up without a restart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.core.events import EventData
from rataura2.core.orchestrator import AgentOrchestrator
from rataura2.db.models import Conversation, ConversationVersion, Transition
from rataura2.db.session import init_db
from rataura2.persistence import publish_conversation
from rataura2.sessions.manager import SessionManager
from tests._procs import T0
from tests.builders import build_graph

_clock = iter(range(1, 10_000))


def say(orchestrator: AgentOrchestrator, text: str) -> str:
    """Send a user message; the agent the session is on afterwards."""
    orchestrator.process_event(
        EventData(type="user_message", timestamp=T0 + next(_clock), data={"message": text}, source="user")
    )
    return orchestrator.get_current_agent().name


def test_sessions_keep_their_version_and_new_ones_take_the_latest(db: Session, database_url: str) -> None:
    graph = build_graph(db, ["Router", "Combat", "Trade"], [("Router", "Combat", "user_input", {"pattern": "combat"})])
    conversation_id = graph.conversation.id
    manager = SessionManager(db)
    old = manager.create_session("old", conversation_id, timestamp=T0)
    manager.create_session("parked", conversation_id, timestamp=T0)
    assert old.get_context()["conversation_version"] == 1
    manager.release_session("parked")  # its worker lets it go; another process resumes it below

    # a designer edits the conversation: the combat edge now listens for "fight", and a trade edge appears
    edge = db.scalars(select(Transition)).one()
    edge.condition_data = {"pattern": "fight"}
    db.add(
        Transition(
            source_agent=graph.agents["Router"],
            target_agent=graph.agents["Trade"],
            condition_type="user_input",
            condition_data={"pattern": "trade"},
        )
    )
    db.commit()
    assert publish_conversation(db, conversation_id) == 2
    assert publish_conversation(db, conversation_id) == 2  # nothing changed since: no new version

    new = manager.create_session("new", conversation_id, timestamp=T0)  # same manager, no restart
    assert new.get_context()["conversation_version"] == 2
    assert manager.publish_and_compile(conversation_id) is new.graph  # compiled once per version, shared
    assert say(new, "let's talk combat") == "Router"
    assert say(new, "I want to fight") == "Combat"
    assert say(old, "I want to fight") == "Router"  # version 1 knows nothing of "fight"...
    assert say(old, "let's talk combat") == "Combat"  # ...and still listens for "combat"

    other_factory = init_db(database_url)  # another process: nothing cached, the rows are at version 2
    with other_factory() as other_db, SessionManager(other_db) as other:
        resumed = other.resume_session("parked")
        assert resumed.get_context()["conversation_version"] == 1
        assert resumed.graph.version == 1
        assert say(resumed, "trade please") == "Router"
        assert say(resumed, "combat please") == "Combat"
    other_factory.dispose()

    # an edit nobody published explicitly reaches the next new session: it is published on first use
    edge.condition_data = {"pattern": "battle"}
    db.commit()
    third = manager.create_session("third", conversation_id, timestamp=T0)
    assert third.get_context()["conversation_version"] == 3
    assert say(third, "battle stations") == "Combat"
    db.expire_all()
    assert db.get(Conversation, conversation_id).version == 3  # type: ignore[union-attr]
    versions = db.scalars(
        select(ConversationVersion.version).where(ConversationVersion.conversation_id == conversation_id)
    ).all()
    assert sorted(versions) == [1, 2, 3]
    manager.close()


def test_a_published_version_is_frozen_whatever_happens_to_the_rows(db: Session) -> None:
    graph = build_graph(db, ["A", "B"], [("A", "B", "user_input", {"pattern": "go"})])
    assert publish_conversation(db, graph.conversation) == 1
    db.delete(db.scalars(select(Transition)).one())
    db.delete(graph.agents["B"])
    db.commit()
    assert publish_conversation(db, graph.conversation.id) == 2
    with SessionManager(db, durability="off") as manager:
        v1 = manager.compiled_version(graph.conversation.id, 1)
        assert [a.name for a in v1.agents()] == ["A", "B"]
        assert len(v1.spec.transitions) == 1
        assert [a.name for a in manager.publish_and_compile(graph.conversation.id).agents()] == ["A"]
