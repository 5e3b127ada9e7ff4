"""Flow settings as data: what is checked when agents, conversations and tools are saved, what the graph checks when
it is compiled, how versions keep them, and the schema that holds them (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from rataura2.core.flow import compile_agent_flow
from rataura2.core.graph import CompiledGraph
from rataura2.core.templates import compile_template
from rataura2.db.loader import load_graph, load_graph_spec
from rataura2.db.models import Agent, Conversation, Tool, Transition
from rataura2.db.session import alembic_config
from rataura2.errors import InvalidFlowError, InvalidTemplateError
from rataura2.persistence.versions import publish, spec_from_dict, spec_to_dict
from rataura2.vocabulary.enums import ContextStrategy


def _store(db: Session, row: Agent | Conversation | Tool) -> None:
    db.add(row)
    db.commit()


REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"instructions": "Hello {{ name | shout }}"}, "agent 'Bad'.instructions", "No filter named 'shout'"),
    ({"instructions": "Hello {{ name "}, "agent 'Bad'.instructions", "template error"),
    ({"instructions": "{% if vip %}VIP"}, "agent 'Bad'.instructions", "template error"),
    ({"on_enter": [{"type": "dance"}]}, "agent 'Bad'.on_enter[0]", "unknown action type"),
    ({"on_enter": [{"type": "say"}]}, "agent 'Bad'.on_enter[0].text", "Field required"),
    ({"on_enter": [{"type": "say", "text": "Hi {{ x is nothing }}"}]}, "agent 'Bad'.on_enter[0].text", "No test"),
    (
        {"on_enter": [{"type": "handover", "agent": "B"}, {"type": "say", "text": "too late"}]},
        "agent 'Bad'.on_enter[1]",
        "nothing can follow handover",
    ),
    ({"on_exit": [{"type": "end_conversation"}]}, "agent 'Bad'.on_exit[0].type", "cannot be an on_exit action"),
    (
        {"on_enter": [{"type": "set_context", "values": {"turn_count": 9}}]},
        "agent 'Bad'.on_enter[0].values.turn_count",
        "kept by the orchestrator",
    ),
    ({"on_enter": {"type": "say", "text": "hi"}}, "agent 'Bad'.on_enter", "must be a list of actions"),
    ({"context_strategy": "last_n"}, "agent 'Bad'.context_options.n", "last_n needs n"),
    (
        {
            "context_strategy": "reset_with_summary",
            "context_options": {"summary_prompt": "a", "summary_template": "b"},
        },
        "agent 'Bad'.context_options",
        "exactly one of",
    ),
    ({"context_strategy": "reset", "context_options": {"n": 3}}, "agent 'Bad'.context_options.n", "does not apply"),
    (
        {"context_strategy": "reset_with_summary", "context_options": {"summary_template": "{{ a | nope }}"}},
        "agent 'Bad'.context_options.summary_template",
        "No filter named 'nope'",
    ),
]
"""Agent fields that would not compile, the field the error names, and what it says."""


def test_an_agent_whose_flow_would_not_compile_is_not_stored(db: Session) -> None:
    for fields, field, message in REFUSED:
        with pytest.raises(InvalidFlowError, match=message) as caught:
            _store(db, Agent(name="Bad", **fields))
        assert caught.value.field == field, fields
        db.rollback()
    assert db.scalar(select(func.count()).select_from(Agent)) == 0


def test_conversation_and_tool_marks_are_checked_when_saved(db: Session) -> None:
    with pytest.raises(InvalidTemplateError, match=r"conversation 'C'.role_instructions: template error"):
        _store(db, Conversation(name="C", role_instructions="You are {{ role"))
    db.rollback()
    with pytest.raises(InvalidFlowError, match=r"conversation 'C'.sensitive_keys: 'turn_count' is kept"):
        _store(db, Conversation(name="C", sensitive_keys=["card", "turn_count"]))
    db.rollback()
    schema = {"type": "object", "properties": {"number": {"type": "string", "sensitive": "yes"}}}
    with pytest.raises(InvalidFlowError, match=r"tool 'pay'.parameters_schema.properties.number.sensitive: must be"):
        _store(db, Tool(name="pay", function_name="pay", parameters_schema=schema))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Conversation)) == 0
    assert db.scalar(select(func.count()).select_from(Tool)) == 0
    with pytest.raises(ValueError, match="context_strategy must be one of append, reset"):
        Agent(name="A", context_strategy="forget")


def test_plain_instructions_are_kept_exactly_and_templates_render_missing_values_as_nothing() -> None:
    plain = "You are {a} {b} guide; say 'hi'.\n"
    assert compile_template(plain, "x").render({"a": 1}) == plain
    template = compile_template("Hi {{ name }}{{ order.total }}! {{ empty }}|{{ vip | default('no') }}", "x")
    assert template.render({"empty": None}) == "Hi ! |no"
    assert template.variables == {"name", "order", "empty", "vip"}
    # the sandbox: Python internals read as nothing
    assert compile_template("{{ ''.__class__.__mro__ }}", "x").render({}) == ""
    broken = compile_template("{{ n + 1 }}", "x")
    assert broken.render_or_source({"n": "a"}, "agent 'A'.instructions") == "{{ n + 1 }}"


def test_what_actions_name_is_checked_when_saved_and_hand_overs_are_edges(db: Session) -> None:
    hub = Agent(name="Hub", on_enter=[{"type": "handover", "agent": "Desk", "reason": "routing"}])
    desk = Agent(name="Desk", on_enter=[{"type": "run_tool", "tool": "clock"}])
    clock = Tool(name="clock", function_name="clock")
    conversation = Conversation(name="flow", initial_agent=hub, agents=[hub, desk], tools=[clock])
    _store(db, conversation)
    graph = load_graph(db, "flow")
    assert graph.graph.has_edge(hub.id, desk.id, key="on_enter:handover")  # reachability and drawings see it
    assert f'a{hub.id} -.->|"on_enter hand-over"| a{desk.id}' in graph.to_mermaid()
    assert graph.tools_of(desk.id) == (clock.id,)

    desk.on_enter = [{"type": "run_tool", "tool": "radio"}]
    with pytest.raises(InvalidFlowError, match=r"agent 'Desk'.on_enter\[0\].tool: 'radio' is not a tool") as caught:
        db.commit()
    assert caught.value.field == "agent 'Desk'.on_enter[0].tool"
    db.rollback()
    hub.on_enter = [{"type": "handover", "agent": "Nobody"}]
    with pytest.raises(InvalidFlowError, match="no agent 'Nobody' in conversation 'flow'"):
        db.commit()
    db.rollback()
    assert load_graph(db, "flow").get_flow(hub.id).on_enter[0].agent == "Desk"  # nothing was stored


def test_graphs_that_use_no_new_field_keep_their_version_and_new_fields_round_trip(db: Session) -> None:
    a, b = Agent(name="A", instructions="You are A."), Agent(name="B")
    conversation = Conversation(name="versions", initial_agent=a, agents=[a, b])
    _store(db, conversation)
    db.add(Transition(source_agent=a, target_agent=b, condition_type="user_input", condition_data={"pattern": "b"}))
    db.commit()
    first = publish(db, conversation.id)
    assert not {"on_enter", "on_exit", "context_strategy", "context_options", "sensitive_input"} & set(
        first.spec["agents"][0]
    )
    assert not {"role_instructions", "tool_ids", "sensitive_keys"} & set(first.spec)
    a.context_strategy = "append"  # the default, written out: the same graph
    db.commit()
    assert publish(db, conversation.id).version == first.version

    clock = Tool(name="clock", function_name="clock", parameters_schema={"type": "object"})
    conversation.tools = [clock]
    conversation.role_instructions = "You work at {{ place }}."
    conversation.sensitive_keys = ["card"]
    b.on_enter = [{"type": "say", "text": "Hello {{ name }}"}, {"type": "end_conversation", "reason": "done"}]
    b.on_exit = [{"type": "set_context", "values": {"left": True}, "scope": "agent"}]
    b.context_strategy = "last_n"
    b.context_options = {"n": 4}
    b.sensitive_input = True
    db.commit()
    second = publish(db, conversation.id)
    assert second.version == first.version + 1
    assert spec_from_dict(spec_to_dict(second.graph_spec()), second.version) == second.graph_spec()
    spec = second.graph_spec()
    assert load_graph_spec(db, conversation.id) == spec
    assert spec.role_instructions == "You work at {{ place }}." and spec.tool_ids == (clock.id,)
    assert spec.sensitive_keys == ("card",)
    b_spec = spec.agents[b.id]
    assert b_spec.context_strategy == "last_n" and dict(b_spec.context_options) == {"n": 4} and b_spec.sensitive_input
    graph = CompiledGraph(spec)
    assert graph.get_flow(b.id).history.n == 4 and graph.get_flow(b.id).on_enter[1].reason == "done"
    assert graph.sensitive.keys == {"card"} and graph.sensitive.agents == {b.id}
    assert graph.instructions(a.id, {"place": "La Maison"}) == "You work at La Maison.\n\nYou are A."


def test_fresh_history_is_the_reset_strategy() -> None:
    flow = compile_agent_flow("agent 'A'", instructions="", config={"fresh_history": True})
    assert flow.history.strategy is ContextStrategy.RESET


def test_the_migration_goes_down_and_up(db: Session) -> None:
    engine = db.get_bind()
    config = alembic_config(engine)  # type: ignore[arg-type]
    db.close()
    command.downgrade(config, "0005")
    columns = {c["name"] for c in inspect(engine).get_columns("agents")}
    assert "on_enter" not in columns and "conversation_tools" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    columns = {c["name"] for c in inspect(engine).get_columns("agents")}
    assert {"on_enter", "on_exit", "context_strategy", "context_options", "sensitive_input"} <= columns
    assert "conversation_tools" in inspect(engine).get_table_names()


def test_flow_fields_travel_in_the_conversation_document(db: Session) -> None:
    """Export -> import into an empty database -> export gives the same text; a published version's document holds
    them too; a bad template or action in a document is refused with its path, and nothing is stored."""
    import importlib.util
    from pathlib import Path

    from rataura2.db.session import init_db
    from rataura2.document.apply import apply_document
    from rataura2.document.codec import load, to_yaml
    from rataura2.document.export import document_from_spec, export_document
    from rataura2.errors import InvalidDocumentError

    path = Path(__file__).resolve().parents[1] / "examples" / "restaurant_agent.py"
    spec = importlib.util.spec_from_file_location("examples_restaurant_agent_doc", path)
    assert spec is not None and spec.loader is not None
    restaurant = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(restaurant)
    conversation = restaurant.seed(db)
    first = to_yaml(export_document(db, conversation))
    assert "role_instructions: |-\n  You take calls for a small restaurant." in first
    assert "conversation_tools:\n- update_name\n- update_phone\nsensitive_keys:\n- card_number" in first
    assert "  sensitive_input: true" in first and "  context_strategy: last_n\n  context_options:\n    n: 6" in first
    assert publish(db, conversation.id).spec  # a version of it, read back below

    other_url = str(db.get_bind().url.render_as_string(hide_password=False))
    text = first
    if other_url.startswith("sqlite"):
        other_url = other_url.replace(".db", "-copy.db")
    else:  # the same PostgreSQL database: import under another name
        text = first.replace(f"name: {restaurant.NAME}", "name: copy", 1)
    with init_db(other_url) as other, other() as copy:
        imported = apply_document(copy, load(text, "yaml"))
        copy.commit()
        assert to_yaml(export_document(copy, imported.conversation)) == text
        graph = load_graph(copy, imported.conversation.id)
        assert graph.sensitive.keys == {"card_number", "card_expiry", "card_cvv"}
        assert [copy.get(Tool, t).name for t in graph.spec.tool_ids] == ["update_name", "update_phone"]

    from rataura2.persistence.versions import latest_version

    version = latest_version(db, conversation.id)
    assert version is not None
    from_version = document_from_spec(version.spec)
    greeter = next(a for a in from_version.agents if a.name == "Greeter")
    assert greeter.on_enter is not None and greeter.on_enter[0]["type"] == "say"
    assert from_version.conversation_tools == ["update_name", "update_phone"]

    broken = load(first, "yaml")
    broken.agents[1].instructions = "Take {{ time | nope }}"
    with pytest.raises(InvalidDocumentError) as caught:
        apply_document(db, broken)
    assert caught.value.path == ("agents", 1, "instructions") and "No filter named 'nope'" in caught.value.message
    db.rollback()
    broken = load(first, "yaml")
    broken.agents[0].on_enter = [{"type": "handover", "agent": "Nobody"}]
    with pytest.raises(InvalidDocumentError, match="no agent named 'Nobody'") as caught:
        apply_document(db, broken)
    assert caught.value.path == ("agents", 0, "on_enter", 0, "agent")
    db.rollback()
    assert to_yaml(export_document(db, db.get(Conversation, conversation.id))) == first  # nothing stored
