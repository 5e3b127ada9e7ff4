"""Code written for the original project runs here: its names, at its paths, used the way its examples and its
business-rules tests use them (docs/migrating.md). Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

import rataura2
from rataura2.db import session as session_module
from rataura2.errors import InvalidConditionError, InvalidRulesError, UnknownAgentError, UnknownTransitionError
from rataura2.settings import get_settings

PACKAGE = Path(rataura2.__file__).parent


@pytest.fixture
def original_setup(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The environment an original project's script runs in: its database named by the environment, and
    ``SessionLocal`` not yet built (as in a fresh process)."""
    monkeypatch.setenv("RATAURA2_DATABASE_URL", database_url)
    get_settings.cache_clear()
    built = session_module.__dict__.pop("SessionLocal", None)
    yield database_url
    made = session_module.__dict__.pop("SessionLocal", None)
    if made is not None:
        made.dispose()
    if built is not None:
        session_module.__dict__["SessionLocal"] = built
    get_settings.cache_clear()


def _agents(db: Session) -> tuple[Any, Any, Any]:
    from rataura2.db.models.agent import Agent, AgentType, LLMProvider

    made = tuple(
        Agent(
            name=f"{kind.title()} Agent",
            description=f"the {kind} specialist",
            instructions=f"You are the {kind} specialist.",
            agent_type=getattr(AgentType, kind.upper()).value,
            llm_provider=LLMProvider.GEMINI.value,
            llm_model="flash",
        )
        for kind in ("general", "combat", "market")
    )
    db.add_all(made)
    db.commit()
    return made


def _move(agent_id: int, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "transition_to_agent", "params": {"agent_id": agent_id}}, *extra]


def _when_contains(*words: str, then: list[dict[str, Any]]) -> dict[str, Any]:
    leaves = [{"name": "user_input", "operator": "contains", "value": w} for w in words]
    return {"conditions": {"any": leaves} if len(leaves) > 1 else {"all": leaves}, "actions": then}


def _unless_contains(*words: str, then: list[dict[str, Any]]) -> dict[str, Any]:
    leaves = [{"name": "user_input", "operator": "not_contains", "value": w} for w in words]
    return {"conditions": {"all": leaves}, "actions": then}


LOG = {"name": "log_transition"}  # the original's log_transition takes no message


# names and where they live ---------------------------------------------------------------------------------------
def test_the_original_model_imports_give_our_models() -> None:
    from rataura2.db import models
    from rataura2.db.models.agent import (
        Agent,
        AgentType,
        BusinessRulesTransition,
        Conversation,
        LLMProvider,
        MetaAgent,
        STTProvider,
        Transition,
        TransitionConditionType,
        TTSProvider,
    )
    from rataura2.db.models.base import Base
    from rataura2.transitions.business_rules_adapter import BusinessRulesTransition as AdapterRules

    assert (Agent, Conversation, Transition, BusinessRulesTransition, Base) == (
        models.Agent,
        models.Conversation,
        models.Transition,
        models.BusinessRulesTransition,
        models.Base,
    )
    assert MetaAgent is Conversation and AdapterRules is BusinessRulesTransition
    assert {"tool_result", "user_input", "agent_decision", "event", "custom"} <= {
        t.value for t in TransitionConditionType
    }
    assert {"general", "combat", "market"} <= {t.value for t in AgentType}
    assert LLMProvider.GEMINI.value == "gemini" and STTProvider.NONE.value == TTSProvider.NONE.value == "none"
    with pytest.raises(ImportError, match="NoSuchModel"):
        from rataura2.db.models.agent import NoSuchModel  # type: ignore[attr-defined]  # noqa: F401


def test_the_database_is_the_configured_one_or_the_originals_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("RATAURA2_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///original.db")
    get_settings.cache_clear()
    try:
        assert session_module.configured_url() == "sqlite:///original.db"
        monkeypatch.setenv("RATAURA2_DATABASE_URL", "sqlite:///ours.db")
        get_settings.cache_clear()
        assert session_module.configured_url() == "sqlite:///ours.db"
        monkeypatch.delenv("RATAURA2_DATABASE_URL")
        monkeypatch.delenv("DATABASE_URL")
        get_settings.cache_clear()
        assert session_module.configured_url() == get_settings().database_url == "sqlite:///rataura2.db"
    finally:
        get_settings.cache_clear()


ORIGINAL_IMPORTS = {
    "rataura2.db.session": {"SessionLocal", "create_tables", "get_db", "configured_url"},
    "rataura2.db.models.agent": {"Conversation", "MetaAgent", "Transition", "BusinessRulesTransition"}
    | {"TransitionConditionType"},
}
ORIGINAL_ATTRIBUTES = {"SessionLocal", "create_tables", "rules_definition", "MetaAgent", "TransitionConditionType"}


def test_nothing_inside_the_package_uses_the_original_names() -> None:
    """They are for users' code; inside, each fact has its own name (import-linter keeps rataura2.transitions
    out; this keeps out the original's names that live in our own modules). The original's modules may use them:
    where they are defined, ``rataura2.transitions`` and the original's HTTP router (whose JSON keeps the name
    ``rules_definition``). Other things may share a name, like the HTTP API's own ``get_db`` dependency."""
    defined_in = {PACKAGE / "db" / "session.py", PACKAGE / "db" / "models" / "agent.py"}
    defined_in |= {PACKAGE / "db" / "models" / "transition.py", PACKAGE / "api" / "business_rules.py"}
    defined_in |= set((PACKAGE / "transitions").rglob("*.py"))
    uses = []
    for path in sorted(set(PACKAGE.rglob("*.py")) - defined_in):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = {a.name for a in node.names} & ORIGINAL_IMPORTS.get(node.module or "", set())
            elif isinstance(node, ast.Attribute):
                names = {node.attr} & ORIGINAL_ATTRIBUTES
            else:
                continue
            uses += [f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}" for name in sorted(names)]
    assert uses == []


# rataura2.db.session: SessionLocal, create_tables, get_db --------------------------------------------------------
def test_session_local_and_create_tables_prepare_the_configured_database(original_setup: str) -> None:
    from rataura2.db.session import SessionLocal, create_tables

    assert SessionLocal.url == session_module.Database(create_engine(original_setup)).url
    create_tables()
    create_tables()  # as the original's scripts do on every run: a database at the latest migration stays so
    tables = set(inspect(SessionLocal.engine).get_table_names())
    assert {"agents", "conversations", "transitions", "business_rules_transitions", "alembic_version"} <= tables
    db = SessionLocal()
    try:
        general, _, _ = _agents(db)
        assert general.id is not None
    finally:
        db.close()
    from rataura2.db.session import SessionLocal as again

    assert again is SessionLocal  # one factory, one engine, for the whole process


def test_get_db_yields_a_session_and_closes_it(original_setup: str) -> None:
    from rataura2.db.models.agent import Agent
    from rataura2.db.session import create_tables, get_db

    create_tables()
    requests = get_db()
    db = next(requests)
    db.add(Agent(name="Solo", instructions="Alone."))
    db.commit()
    requests.close()  # what FastAPI does once the response is sent
    assert not db.in_transaction()
    with next(get_db()) as other:
        assert other.scalars(select(Agent.name)).all() == ["Solo"]


# examples/agent_orchestration_example.py, in our words -----------------------------------------------------------
def test_the_orchestration_example_session_moves_on_rules_that_only_log(original_setup: str) -> None:
    from rataura2.db.models.agent import Conversation, Transition
    from rataura2.db.session import SessionLocal, create_tables
    from rataura2.livekit_agent.events import EventData, EventType
    from rataura2.orchestration.orchestrator import SessionManager
    from rataura2.transitions.business_rules_adapter import create_business_rules_transition

    create_tables()
    db = SessionLocal()
    general, combat, market = _agents(db)
    conversation = Conversation(name="Example Conversation", initial_agent_id=general.id)
    db.add(conversation)
    conversation.agents.append(general)
    db.commit()
    conversation.agents.append(combat)
    conversation.agents.append(market)
    db.commit()
    # stored as "event" transitions first, then made business_rules ones by their rules, as the example does
    edges = {}
    for source, target in ((general, combat), (general, market), (combat, general), (market, general)):
        edges[source.name, target.name] = Transition(
            source_agent_id=source.id,
            target_agent_id=target.id,
            condition_type="event",
            condition_data={"event_type": "user_message", "event_data": {}},
            priority=10,
        )
    db.add_all(edges.values())
    db.commit()
    rules = {
        ("General Agent", "Combat Agent"): [
            _when_contains("combat", then=_move(combat.id, LOG)),
            _when_contains("ship fitting", "pvp", "battle", then=_move(combat.id, LOG)),
        ],
        ("General Agent", "Market Agent"): [
            _when_contains("market", then=_move(market.id, LOG)),
            _when_contains("trading", "economy", "price", then=_move(market.id, LOG)),
        ],
        ("Combat Agent", "General Agent"): [
            _unless_contains("combat", "ship", "pvp", "battle", then=_move(general.id, LOG))
        ],
        ("Market Agent", "General Agent"): [
            _unless_contains("market", "trading", "economy", "price", then=_move(general.id, LOG))
        ],
    }
    for key, rule_set in rules.items():
        create_business_rules_transition(db, edges[key].id, rule_set)

    manager = SessionManager(db)
    session_id = f"example:{conversation.id}"
    orchestrator = manager.create_session(session_id, conversation.id)
    assert orchestrator.get_context()["current_agent_name"] == "General Agent"
    after_each_turn = []
    for message in (
        "Hello, I'm new to EVE Online. Can you help me?",
        "I'm interested in combat. What ships are good for PvP?",
        "How much does a good combat ship cost?",
        "Thank you for your help!",
    ):
        orchestrator.process_event(
            EventData(type=EventType.USER_MESSAGE, timestamp=time.time(), data={"message": message}, source="user")
        )
        orchestrator.check_and_execute_transition()
        context = orchestrator.get_context()
        after_each_turn.append(context["current_agent_name"])
        orchestrator.process_event(
            EventData(
                type=EventType.AGENT_MESSAGE,
                timestamp=time.time(),
                data={"agent_id": context["current_agent_id"], "message": f"[{context['current_agent_name']}] ok"},
                source="agent",
            )
        )
        orchestrator.check_and_execute_transition()
    assert after_each_turn == ["General Agent", "Combat Agent", "Combat Agent", "General Agent"]
    moves = [e for e in orchestrator.get_context()["events"] if e["type"] == "transition"]
    assert len(moves) == 2
    assert all("log: transition triggered by business rules" in m["data"]["reason"] for m in moves)
    manager.end_session(session_id)
    assert session_id not in manager
    manager.close()
    db.close()


# examples/business_rules_example.py, in our words ----------------------------------------------------------------
def test_the_business_rules_example_checks_agents_in_no_conversation(original_setup: str) -> None:
    from rataura2.db.models.agent import Transition
    from rataura2.db.session import SessionLocal, create_tables
    from rataura2.transitions.business_rules_adapter import TransitionController, create_business_rules_transition
    from rataura2.transitions.web_ui import generate_ui_config

    create_tables()
    db = SessionLocal()
    general, combat, market = _agents(db)
    pairs = ((general, combat), (general, market), (combat, general), (market, general))
    to_combat, to_market, back_from_combat, _ = edges = [
        Transition(source_agent_id=s.id, target_agent_id=t.id, condition_type="business_rules", priority=10)
        for s, t in pairs
    ]
    db.add_all(edges)
    db.commit()  # business_rules transitions without rules yet: stored, as the original stored them
    create_business_rules_transition(
        db,
        to_combat.id,
        [
            _when_contains("combat", then=_move(combat.id, LOG)),
            _when_contains("ship fitting", "pvp", "battle", then=_move(combat.id, LOG)),
        ],
    )
    create_business_rules_transition(
        db,
        to_market.id,
        [
            _when_contains("market", then=_move(market.id, LOG)),
            _when_contains("trading", "economy", "price", then=_move(market.id, LOG)),
        ],
    )
    controller = TransitionController(db)

    def context(text: str) -> dict[str, Any]:
        return {
            "user_input": text,
            "current_agent_name": general.name,
            "current_agent_type": general.agent_type,
            "turn_count": 1,
        }

    pvp = controller.check_transitions(general.id, context("Can you help me with ship fittings for PvP combat?"))
    assert (pvp["next_agent_id"], pvp["context_updates"], pvp["transition_id"]) == (combat.id, {}, to_combat.id)
    price = controller.check_transitions(general.id, context("What's the current market price of PLEX?"))
    assert price["next_agent_id"] == market.id
    assert controller.check_transitions(general.id, context("Tell me about the history of EVE Online")) == {}
    # a transition that still has no rules is refused when checked, saying what it needs
    with pytest.raises(InvalidConditionError, match="create_business_rules_transition") as refused:
        controller.check_transitions(combat.id, context("hello"))
    assert f"transition {back_from_combat.id}" in str(refused.value)

    config = generate_ui_config()
    assert json.loads(json.dumps(config)) == config  # the example prints it as JSON
    log = next(a for a in config["actions"] if a["name"] == "log_transition")
    assert [(p["name"], p["required"]) for p in log["params"]] == [("message", False)]
    db.close()


# tests/test_business_rules.py, in our words: a plain engine, tables from the metadata ----------------------------
@pytest.fixture
def plain_db(database_url: str) -> Iterator[Session]:
    """What the original's tests did: ``Base.metadata.create_all`` on an engine of their own, no migrations."""
    from rataura2.db.models.base import Base

    engine = create_engine(database_url)
    Base.metadata.create_all(engine)
    factory = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    with factory() as db:
        yield db
    engine.dispose()


@pytest.fixture
def pair(plain_db: Session) -> tuple[Any, Any, Any]:
    from rataura2.db.models.agent import Transition

    general, combat, _ = _agents(plain_db)
    transition = Transition(
        source_agent_id=general.id, target_agent_id=combat.id, condition_type="business_rules", priority=10
    )
    plain_db.add(transition)
    plain_db.commit()
    return general, combat, transition


def _rules_to(agent_id: int, word: str) -> list[dict[str, Any]]:
    return [_when_contains(word, then=_move(agent_id))]


def test_rules_definition_names_the_stored_rules(plain_db: Session, pair: tuple[Any, Any, Any]) -> None:
    from rataura2.db.models.agent import Transition
    from rataura2.transitions.business_rules_adapter import (
        BusinessRulesTransition,
        create_business_rules_transition,
        delete_business_rules_transition,
        get_business_rules_transition,
    )

    _, combat, transition = pair
    rules = _rules_to(combat.id, "combat")
    made = create_business_rules_transition(plain_db, transition.id, rules)
    assert (made.transition_id, made.rules_definition) == (transition.id, rules)
    stored = plain_db.query(Transition).filter(Transition.id == transition.id).first()
    assert stored is not None and stored.condition_type == "business_rules"
    found = get_business_rules_transition(plain_db, transition.id)
    assert found is not None and found.rules_definition == rules == found.rules
    by_synonym = plain_db.query(BusinessRulesTransition).filter(BusinessRulesTransition.rules_definition.isnot(None))
    assert by_synonym.one() is found
    assert delete_business_rules_transition(plain_db, transition.id) is True
    assert get_business_rules_transition(plain_db, transition.id) is None
    assert delete_business_rules_transition(plain_db, transition.id) is False


def test_the_controller_answers_a_decision_or_an_empty_dict(plain_db: Session, pair: tuple[Any, Any, Any]) -> None:
    from rataura2.transitions.business_rules_adapter import TransitionController, create_business_rules_transition

    general, combat, transition = pair
    create_business_rules_transition(plain_db, transition.id, _rules_to(combat.id, "combat"))
    controller = TransitionController(plain_db)
    seen = {"current_agent_name": general.name, "current_agent_type": general.agent_type, "turn_count": 1}
    moved = controller.check_transitions(general.id, {**seen, "user_input": "Tell me about combat in EVE Online"})
    assert moved["next_agent_id"] == combat.id
    assert controller.check_transitions(general.id, {**seen, "user_input": "Tell me about EVE Online"}) == {}
    with pytest.raises(UnknownAgentError, match="no agent 999"):
        controller.check_transitions(999, seen)


def test_web_ui_round_trips_the_stored_rules(plain_db: Session, pair: tuple[Any, Any, Any]) -> None:
    from rataura2.transitions.business_rules_adapter import create_business_rules_transition
    from rataura2.transitions.web_ui import generate_ui_config, json_to_rules, rules_to_json

    _, combat, transition = pair
    rules = _rules_to(combat.id, "combat")
    stored = create_business_rules_transition(plain_db, transition.id, rules)
    config = generate_ui_config()
    assert {"variables", "actions"} <= set(config)
    assert json_to_rules(rules_to_json(stored)) == rules


def test_the_original_api_functions_and_their_shapes(plain_db: Session, pair: tuple[Any, Any, Any]) -> None:
    from rataura2.transitions.api import (
        check_transition,
        create_or_update_transition_rules,
        delete_transition_rules,
        get_agent_transitions_with_rules,
        get_transition_rules,
        get_ui_config,
    )
    from rataura2.transitions.business_rules_adapter import create_business_rules_transition

    general, combat, transition = pair
    first = _rules_to(combat.id, "combat")
    stored = create_business_rules_transition(plain_db, transition.id, first)
    answer = get_transition_rules(plain_db, transition.id)
    assert answer is not None
    assert json.loads(answer.pop("rules_json")) == first  # JSON text for an editor (jsonb may reorder keys)
    assert answer == {"id": stored.id, "transition_id": transition.id, "rules_definition": first}

    second = _rules_to(combat.id, "pvp")
    replaced = create_or_update_transition_rules(plain_db, transition.id, json.dumps(second))
    assert (replaced["id"], replaced["rules_definition"]) == (stored.id, second)  # the same row, new rules

    (listed,) = get_agent_transitions_with_rules(plain_db, general.id)
    assert json.loads(listed["business_rules"].pop("rules_json")) == second
    assert listed == {
        "id": transition.id,
        "source_agent_id": general.id,
        "target_agent_id": combat.id,
        "target_agent_name": "Combat Agent",
        "condition_type": "business_rules",
        "priority": 10,
        "description": None,
        "tool_id": None,
        "has_business_rules": True,
        "business_rules": {"id": stored.id, "rules_definition": second},
    }
    assert get_agent_transitions_with_rules(plain_db, combat.id) == []
    assert get_ui_config() == rataura2.generate_ui_config()

    seen = {"current_agent_name": general.name, "current_agent_type": general.agent_type, "turn_count": 1}
    assert check_transition(plain_db, general.id, {**seen, "user_input": "Tell me about pvp"})["next_agent_id"] == (
        combat.id
    )
    assert check_transition(plain_db, general.id, {**seen, "user_input": "Tell me about combat"}) == {}

    assert delete_transition_rules(plain_db, transition.id) is True
    assert get_transition_rules(plain_db, transition.id) is None
    assert delete_transition_rules(plain_db, transition.id) is False


def test_the_original_api_functions_refuse_bad_input_and_change_nothing(
    plain_db: Session, pair: tuple[Any, Any, Any]
) -> None:
    from rataura2.transitions.api import (
        create_or_update_transition_rules,
        get_agent_transitions_with_rules,
        get_transition_rules,
    )

    general, combat, transition = pair
    with pytest.raises(InvalidRulesError, match="not valid JSON"):
        create_or_update_transition_rules(plain_db, transition.id, "[{")
    unknown_variable = [
        {"conditions": {"all": [{"name": "mood", "operator": "contains", "value": "x"}]}, "actions": []}
    ]
    with pytest.raises(InvalidRulesError, match="unknown variable 'mood'") as refused:
        create_or_update_transition_rules(plain_db, transition.id, json.dumps(unknown_variable))
    assert isinstance(refused.value, ValueError)  # what the original raised, and its router answered 400 to
    with pytest.raises(InvalidRulesError, match="no rule moves the session to agent"):
        create_or_update_transition_rules(plain_db, transition.id, _rules_to(general.id, "back"))
    assert get_transition_rules(plain_db, transition.id) is None
    with pytest.raises(UnknownTransitionError, match="no transition 999"):
        create_or_update_transition_rules(plain_db, 999, json.dumps(_rules_to(combat.id, "x")))
    with pytest.raises(UnknownAgentError, match="no agent 999"):
        get_agent_transitions_with_rules(plain_db, 999)


def test_a_rule_written_for_the_originals_string_agent_type_is_refused_with_what_to_write(
    plain_db: Session, pair: tuple[Any, Any, Any]
) -> None:
    """The original's ``current_agent_type`` was a string variable; here it is a select (its options are the agent
    types), whose operators are contains / does_not_contain."""
    from rataura2.transitions.business_rules_adapter import (
        TransitionController,
        create_business_rules_transition,
        get_business_rules_transition,
    )

    _, combat, transition = pair
    written = {"name": "current_agent_type", "operator": "equal_to", "value": "general"}
    with pytest.raises(InvalidRulesError, match="for equal_to write contains"):
        create_business_rules_transition(
            plain_db, transition.id, [{"conditions": written, "actions": _move(combat.id)}]
        )
    assert get_business_rules_transition(plain_db, transition.id) is None
    fixed = {**written, "operator": "contains"}
    create_business_rules_transition(plain_db, transition.id, [{"conditions": fixed, "actions": _move(combat.id)}])
    decision = TransitionController(plain_db).check_transitions(transition.source_agent_id, {})
    assert decision["next_agent_id"] == combat.id  # the agent's own type, read from its row
