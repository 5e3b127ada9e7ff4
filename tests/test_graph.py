"""The compiled graph: loading, compile-time errors naming the transition, analysis and drawing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from rataura2.core.conditions.base import describe_condition
from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import AgentSpec, GraphSpec, TransitionSpec
from rataura2.db.loader import load_graph
from rataura2.db.models import Agent, Conversation, Transition
from rataura2.drawing import draw_graph
from rataura2.errors import InvalidConditionError, InvalidGraphError, UnknownAgentError, UnknownConversationError
from rataura2.lint import lint_graph
from tests.builders import build_graph


def test_load_builds_a_multigraph_with_every_transition(db: Session) -> None:
    graph = build_graph(
        db,
        ["General", "Combat", "Market", "Orphan"],
        [
            ("General", "Combat", "user_input", {"pattern": "combat"}, 10),
            ("General", "Combat", "agent_decision", {}),
            ("General", "Market", "user_input", {"pattern": "market"}),
            ("Combat", "General", "custom", {"condition_code": "context.turn_count > 5"}),
        ],
    )
    manager = load_graph(db, graph.conversation.id)
    assert manager.graph.number_of_edges() == 4
    assert manager.graph.number_of_edges(graph.agents["General"].id, graph.agents["Combat"].id) == 2
    assert manager.get_initial_agent().name == "General"
    ordered = manager.get_agent_transitions(graph.agents["General"].id)
    assert [t.spec.condition_type for t in ordered] == ["user_input", "agent_decision", "user_input"]
    report = lint_graph(manager.spec)
    assert [(f.code, [manager.get_agent(a).name for a in f.agent_ids]) for f in report.findings] == [
        ("dead_end", ["Market"]),
        ("undescribed_decision", ["General"]),
        ("unreachable_agent", ["Orphan"]),
    ]
    assert manager.get_agent("combat").id == graph.agents["Combat"].id
    with pytest.raises(UnknownAgentError, match="Nobody"):
        manager.get_agent("Nobody")


def test_by_name_and_unknown_conversation(db: Session) -> None:
    build_graph(db, ["A"], [], name="Support line")
    assert load_graph(db, "Support line").spec.name == "Support line"
    with pytest.raises(UnknownConversationError, match="Nope"):
        load_graph(db, "Nope")


def test_transitions_to_agents_of_another_conversation_are_not_part_of_it(db: Session) -> None:
    """Agents can be shared: an edge between two agents of conversation "other" is part of that graph only, even
    when its source is also an agent of this one."""
    graph = build_graph(db, ["A", "B"], [])
    outsider = Agent(name="Outsider", instructions="")
    db.add(Conversation(name="other", initial_agent=graph.agents["A"], agents=[graph.agents["A"], outsider]))
    db.add(
        Transition(
            source_agent=graph.agents["A"],
            target_agent=outsider,
            condition_type="user_input",
            condition_data={"pattern": "x"},
        )
    )
    db.commit()
    assert load_graph(db, graph.conversation.id).graph.number_of_edges() == 0
    assert load_graph(db, "other").graph.number_of_edges() == 1


def test_a_conversation_without_initial_agent_is_refused(db: Session) -> None:
    db.add(Conversation(name="empty"))
    db.commit()
    with pytest.raises(InvalidGraphError, match="no initial agent"):
        load_graph(db, "empty")


def test_bad_data_that_reached_the_database_is_an_error_at_load_naming_the_transition(db: Session) -> None:
    graph = build_graph(db, ["A", "B"], [("A", "B", "user_input", {"pattern": "ok"})])
    db.execute(text("UPDATE transitions SET condition_data = :d"), {"d": '{"pattern": "(", "match": "regex"}'})
    db.commit()
    db.expire_all()
    with pytest.raises(InvalidConditionError) as info:
        load_graph(db, graph.conversation.id)
    assert "transition 1" in str(info.value) and "not a valid (RE2) regex" in str(info.value)


def test_tool_result_with_a_tool_id_from_another_conversation_is_refused() -> None:
    spec = GraphSpec(
        1,
        "g",
        1,
        {1: AgentSpec(1, "A"), 2: AgentSpec(2, "B")},
        (TransitionSpec(5, 1, 2, "tool_result", {"tool_id": 42}),),
    )
    with pytest.raises(InvalidConditionError, match=r"transition 5.*tool_id 42"):
        CompiledGraph(spec)


def test_mermaid_and_png(tmp_path: Path, sqlite_db: Session) -> None:
    graph = build_graph(sqlite_db, ["General", "Combat"], [("General", "Combat", "user_input", {"pattern": "pvp"})])
    manager = load_graph(sqlite_db, graph.conversation.id)
    mermaid = manager.to_mermaid()
    assert mermaid.startswith("flowchart LR")
    assert f'a{graph.agents["General"].id}(["General"])' in mermaid
    assert "says 'pvp'" in mermaid
    png = draw_graph(manager, tmp_path / "graph.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_schema_comes_from_migrations(db: Session) -> None:
    inspector = inspect(db.get_bind())
    assert {"agents", "tools", "conversations", "transitions", "business_rules_transitions"} <= set(
        inspector.get_table_names()
    )
    assert db.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_models_accept_ids_in_place_of_objects_and_check_enums(db: Session) -> None:
    a = Agent(name="A", instructions="", llm_provider="offline")
    b = Agent(name="B", instructions="", agent_type="combat")
    db.add_all([a, b])
    db.flush()
    conversation = Conversation(name="ids", initial_agent=a.id, agents=[a, b])
    db.add(conversation)
    db.add(Transition(source_agent=a.id, target_agent=b.id, condition_type="agent_decision", condition_data={}))
    db.commit()
    assert load_graph(db, "ids").graph.number_of_edges() == 1
    with pytest.raises(ValueError, match="llm_provider must be one of"):
        Agent(name="C", llm_provider="skynet")
    with pytest.raises(TypeError, match="colour"):
        Agent(name="C", colour="red")


def test_edge_labels_show_patterns_as_written_and_cut_expressions_at_a_word() -> None:
    regex = TransitionSpec(1, 1, 2, "user_input", {"pattern": r"\b(pvp|gank)\b", "match": "regex"})
    assert describe_condition(regex) == r"says '\b(pvp|gank)\b'"
    cel = TransitionSpec(2, 1, 2, "custom", {"condition_code": "context.turn_count > 3 && context.vip == true"})
    assert describe_condition(cel) == "cel: context.turn_count > 3 && ..."
