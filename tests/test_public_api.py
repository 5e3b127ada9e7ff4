"""The public surface: what ``import rataura2`` offers, and the brief's import paths (DESIGN.md, "Public API").

Like httpx's ``test_exported_members``: adding or dropping a public name is a decision, so it shows up here.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import rataura2

PUBLIC = {
    "Agent", "AgentEventHandler", "AgentGraphManager", "AgentOrchestrator", "AgentType", "BacklogFullError",
    "BusinessRulesTransition", "CompiledGraph", "ConditionType", "ContextManager", "ContextValue", "Conversation",
    "ConversationVariables", "Database", "EventData", "EventHandler", "EventManager", "EventType",
    "InvalidConditionError", "InvalidEventError", "InvalidGraphError", "InvalidRulesError", "LIVEKIT_EVENT_MAP",
    "LLMProvider", "LivekitAgentFactory", "LivekitEventHandler", "LivekitSessionHandler", "PersistenceError",
    "RatauraError", "STTProvider", "SessionContext", "SessionEndedError", "SessionEventHandler",
    "SessionExistsError", "SessionManager", "SessionOwnedError", "TTSProvider", "Tool", "ToolRegistry",
    "Transition", "TransitionActions", "TransitionController", "TransitionResult", "TransitionStatus",
    "UnknownAgentError", "UnknownConversationError", "UnknownSessionError", "create_business_rules_transition",
    "generate_ui_config", "init_db", "json_to_rules", "load_graph", "publish_conversation", "register_tool",
    "rules_to_json",
}  # fmt: skip

BRIEF_PATHS = {
    "rataura2.db.session": ["init_db"],
    "rataura2.db.models": ["Conversation", "Agent", "Tool", "Transition", "BusinessRulesTransition"],
    "rataura2.livekit_agent.events": [
        "EventType",
        "EventData",
        "EventHandler",
        "LivekitEventHandler",
        "SessionEventHandler",
        "AgentEventHandler",
        "EventManager",
    ],
    "rataura2.orchestration.context": ["ContextValue", "SessionContext", "ContextManager"],
    "rataura2.orchestration.orchestrator": ["AgentOrchestrator", "SessionManager", "TransitionResult"],
    "rataura2.orchestration.livekit_integration": ["LivekitSessionHandler", "LivekitAgentFactory"],
    "rataura2.graph.manager": ["AgentGraphManager"],
    "rataura2.transitions.business_rules_adapter": [
        "create_business_rules_transition",
        "TransitionController",
        "ConversationVariables",
        "TransitionActions",
    ],
    "rataura2.transitions.web_ui": ["generate_ui_config", "rules_to_json", "json_to_rules"],
}


def test_the_public_names_are_exactly_these() -> None:
    assert set(rataura2.__all__) == PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_public_name_imports_from_rataura2(name: str) -> None:
    assert getattr(rataura2, name) is not None


@pytest.mark.parametrize(("path", "names"), sorted(BRIEF_PATHS.items()))
def test_the_brief_paths_import_the_same_objects_as_rataura2(path: str, names: list[str]) -> None:
    module = importlib.import_module(path)
    for name in names:
        assert getattr(module, name) is getattr(rataura2, name), f"{path}.{name}"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        rataura2.no_such_thing  # noqa: B018


def test_import_rataura2_loads_nothing_heavy() -> None:
    code = "import sys, rataura2; print(sorted(m for m in ('sqlalchemy', 'livekit', 'pydantic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_agent_graph_manager_is_the_compiled_graph_that_loads_and_draws() -> None:
    assert issubclass(rataura2.AgentGraphManager, rataura2.CompiledGraph)
    assert callable(rataura2.AgentGraphManager.load) and callable(rataura2.AgentGraphManager.draw)
