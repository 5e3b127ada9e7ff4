"""Designer mistakes are caught when saved: each is a clear error at ``commit()`` naming the transition (or tool) and
the fix, and the database is unchanged. A graph that fails to compile never replaces the last good version."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from rataura2.db.models import Agent, BusinessRulesTransition, Conversation, Tool, Transition
from rataura2.db.session import Database
from rataura2.errors import DuplicateToolNameError, InvalidConditionError, RatauraError
from rataura2.persistence.versions import publish_conversation
from rataura2.rules.repository import create_business_rules_transition
from rataura2.sessions.manager import SessionManager
from tests.builders import Graph, build_graph

MOVE = {"name": "transition_to_agent", "params": {"agent_id": 0}}


def refund_rules(target: int) -> list[dict[str, object]]:
    return [
        {
            "conditions": {"all": [{"name": "user_input", "operator": "contains", "value": "refund"}]},
            "actions": [{**MOVE, "params": {"agent_id": target}}],
        }
    ]


@pytest.fixture
def support(db: Session) -> Graph:
    return build_graph(db, ["Triage", "Billing"], [], name="Support", tools={"Billing": ["lookup_invoice"]})


def count(sessions: Database, table: str) -> int:
    with sessions() as fresh:
        return int(fresh.scalar(select(func.count()).select_from(text(table))) or 0)


def refused_at_commit(db: Session, sessions: Database, change: Callable[[], None], *messages: str) -> RatauraError:
    """Make ``change``, commit: the commit must fail with every message, and store nothing."""
    before = count(sessions, "transitions"), count(sessions, "tools"), count(sessions, "business_rules_transitions")
    change()
    with pytest.raises(RatauraError) as info:
        db.commit()
    for message in messages:
        assert message in str(info.value)
    with pytest.raises(RatauraError):  # committing again without a fix is refused again
        db.commit()
    db.rollback()
    after = count(sessions, "transitions"), count(sessions, "tools"), count(sessions, "business_rules_transitions")
    assert after == before
    return info.value


def edge(graph: Graph, source: str, target: Agent | str, kind: str, data: dict[str, object]) -> Transition:
    to = graph.agents[target] if isinstance(target, str) else target
    return Transition(source_agent=graph.agents[source], target_agent=to, condition_type=kind, condition_data=data)


def test_a_business_rules_transition_without_rules(db: Session, sessions: Database, support: Graph) -> None:
    error = refused_at_commit(
        db,
        sessions,
        lambda: db.add(edge(support, "Triage", "Billing", "business_rules", {})),
        "(Triage -> Billing, business_rules) in conversation 'Support'",
        "needs a rule set and has none; attach one with create_business_rules_transition",
    )
    assert isinstance(error, InvalidConditionError) and error.transition.startswith("transition ")


def test_a_business_rules_transition_committed_with_its_rules(db: Session, support: Graph) -> None:
    billing = support.agents["Billing"].id
    transition = edge(support, "Triage", "Billing", "business_rules", {})
    transition.business_rules = BusinessRulesTransition(rules=refund_rules(billing))
    db.add(transition)
    db.commit()
    later = edge(support, "Billing", "Triage", "business_rules", {})
    db.add(later)
    db.flush()  # an id for the rules; the commit carries both
    create_business_rules_transition(db, later.id, refund_rules(support.agents["Triage"].id))
    assert publish_conversation(db, support.conversation) == 1


def test_rules_naming_an_agent_outside_the_conversation(db: Session, sessions: Database, support: Graph) -> None:
    stranger = Agent(name="Stranger", instructions="")
    db.add(stranger)
    db.flush()

    def change() -> None:
        transition = edge(support, "Triage", "Billing", "business_rules", {})
        rules = refund_rules(support.agents["Billing"].id) + refund_rules(stranger.id)
        transition.business_rules = BusinessRulesTransition(rules=rules)
        db.add(transition)

    refused_at_commit(db, sessions, change, "rule 2", "is not an agent of conversation 'Support'")


def test_an_edge_to_an_agent_outside_the_conversation(db: Session, sessions: Database, support: Graph) -> None:
    ghost = Agent(name="Ghost", instructions="")
    refused_at_commit(
        db,
        sessions,
        lambda: db.add(edge(support, "Triage", ghost, "user_input", {"pattern": "boo"})),
        "(Triage -> Ghost, user_input): it leads to Ghost, which is not an agent of conversation 'Support'",
        "add Ghost to the conversation's agents, or delete the transition",
    )


def test_the_edge_is_fine_once_its_target_joins_in_the_same_transaction(db: Session, support: Graph) -> None:
    ghost = Agent(name="Ghost", instructions="")
    db.add(edge(support, "Triage", ghost, "user_input", {"pattern": "boo"}))
    db.flush()
    support.conversation.agents.append(ghost)
    db.commit()
    assert publish_conversation(db, support.conversation.id) == 1


def test_removing_an_agent_that_edges_lead_to(db: Session, sessions: Database, support: Graph) -> None:
    db.add(edge(support, "Triage", "Billing", "user_input", {"pattern": "bill"}))
    db.commit()
    refused_at_commit(
        db,
        sessions,
        lambda: support.conversation.agents.remove(support.agents["Billing"]),
        "it leads to Billing, which is not an agent of conversation 'Support'",
    )


def test_a_tool_result_condition_naming_an_unknown_tool(db: Session, sessions: Database, support: Graph) -> None:
    refused_at_commit(
        db,
        sessions,
        lambda: db.add(edge(support, "Billing", "Triage", "tool_result", {"tool_name": "lookup_invoce"})),
        "(Billing -> Triage, tool_result) in conversation 'Support'",
        "no agent of this conversation has a tool named 'lookup_invoce' (their tools: lookup_invoice)",
    )


def test_a_tool_result_condition_naming_a_tool_of_another_conversation(db: Session, sessions: Database) -> None:
    other = build_graph(db, ["X"], [], name="Other", tools={"X": ["elsewhere"]})
    support = build_graph(db, ["Triage", "Billing"], [], name="Support")
    tool_id = other.tools["elsewhere"].id
    refused_at_commit(
        db,
        sessions,
        lambda: db.add(edge(support, "Triage", "Billing", "tool_result", {"tool_id": tool_id})),
        f"tool_id {tool_id} is not a tool of this conversation's agents",
    )


def test_renaming_a_tool_that_a_condition_names(db: Session, sessions: Database, support: Graph) -> None:
    db.add(edge(support, "Billing", "Triage", "tool_result", {"tool_name": "lookup_invoice"}))
    db.commit()

    def rename() -> None:
        support.tools["lookup_invoice"].name = "find_invoice"

    refused_at_commit(db, sessions, rename, "no agent of this conversation has a tool named 'lookup_invoice'")


def test_tool_names_are_unique_per_conversation_not_globally(db: Session, sessions: Database) -> None:
    first = build_graph(db, ["A"], [], name="First", tools={"A": ["end_conversation"]})
    second = build_graph(db, ["B"], [], name="Second", tools={"B": ["end_conversation"]})
    assert first.tools["end_conversation"].id != second.tools["end_conversation"].id
    assert publish_conversation(db, "First") == publish_conversation(db, "Second") == 1

    def duplicate() -> None:
        first.agents["A"].tools.append(Tool(name="end_conversation", function_name="other_impl"))

    error = refused_at_commit(
        db, sessions, duplicate, "conversation 'First' has 2 tools named 'end_conversation'", "rename one of them"
    )
    assert isinstance(error, DuplicateToolNameError)


def test_a_conversation_being_built_without_an_initial_agent_can_be_saved(db: Session) -> None:
    draft = Conversation(name="draft", agents=[Agent(name="A", instructions=""), Agent(name="B", instructions="")])
    db.add(draft)
    db.commit()
    a, b = draft.agents
    db.add(Transition(source_agent=a, target_agent=b, condition_type="user_input", condition_data={"pattern": "x"}))
    db.commit()


# publishing ---------------------------------------------------------------------------------------------------
def test_a_graph_that_fails_to_compile_never_replaces_the_last_good_version(
    db: Session, support: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    db.add(edge(support, "Triage", "Billing", "user_input", {"pattern": "bill"}))
    db.commit()
    manager = SessionManager(db, durability="off")
    assert manager.create_session("before", support.conversation.id).graph.version == 1
    # a row written around the ORM (raw SQL, another tool) that no longer compiles; such a writer moves the
    # conversation's revision on, as the ORM does, so that session starts notice the edit
    db.execute(text("UPDATE transitions SET condition_data = :d"), {"d": '{"pattern": "(", "match": "regex"}'})
    db.execute(text("UPDATE conversations SET revision = revision + 1"))
    db.commit()
    with caplog.at_level("WARNING"):
        after = manager.create_session("after", support.conversation.id)
    assert after.graph.version == 1
    assert after.process_event({"type": "user_message", "timestamp": 1.0, "data": {"message": "bill"}}).transitioned
    error = manager.publish_errors[support.conversation.id]
    assert "not a valid (RE2) regex" in error and "new sessions start on version 1" in caplog.text
    with pytest.raises(InvalidConditionError, match="not a valid"):
        publish_conversation(db, support.conversation.id)  # publishing by hand says why, and publishes nothing
    db.execute(text("UPDATE transitions SET condition_data = :d"), {"d": '{"pattern": "invoice"}'})
    db.execute(text("UPDATE conversations SET revision = revision + 1"))
    db.commit()
    assert manager.create_session("fixed", support.conversation.id).graph.version == 2
    assert support.conversation.id not in manager.publish_errors


def test_with_no_good_version_the_error_is_raised(db: Session, support: Graph) -> None:
    db.execute(text("UPDATE conversations SET initial_agent_id = NULL"))
    db.commit()
    with pytest.raises(RatauraError, match="has no initial agent"):
        SessionManager(db, durability="off").create_session("s", support.conversation.id)
