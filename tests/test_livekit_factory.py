"""Agent rows as LiveKit agents: instructions, models from providers (and the errors when one is unavailable),
tools bound to registered callables, the decision tool."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
from livekit.agents import Agent, ToolError, inference
from sqlalchemy.orm import Session

from rataura2.core.spec import AgentSpec, ToolSpec
from rataura2.errors import UnknownAgentError
from rataura2.livekit import providers
from rataura2.livekit.factory import LivekitAgentFactory, OrchestratedAgent
from rataura2.livekit.offline_llm import DECISION_TOOL_NAME, OfflineConfigError, OfflineLLM
from rataura2.livekit.providers import PLUGINS, ProviderUnavailableError
from rataura2.livekit.session_handler import text_agent_session
from rataura2.livekit.tools import ToolConfigError, ToolRegistry, function_tool_for
from rataura2.sessions.manager import SessionManager
from tests.livekit_support import FIT_SHIP_SCHEMA, TIMEOUT, registry, seed

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
LIVEKIT_KEYS = (
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "LIVEKIT_INFERENCE_API_KEY",
    "LIVEKIT_INFERENCE_API_SECRET",
)


def spec(**fields: object) -> AgentSpec:
    return dataclasses.replace(AgentSpec(id=1, name="Probe", instructions="You probe."), **fields)  # type: ignore[arg-type]


def test_an_agent_row_becomes_a_livekit_agent(sqlite_db: Session) -> None:
    conversation = seed(sqlite_db)
    factory = LivekitAgentFactory(sqlite_db, tools=registry(), session_manager=SessionManager(sqlite_db))
    router_id, combat_id = (next(a.id for a in conversation.agents if a.name == n) for n in ("Router", "Combat"))

    router = factory.create_agent(router_id)
    combat = factory.create_agent(combat_id, conversation=conversation.name)

    assert isinstance(router, Agent) and isinstance(router, OrchestratedAgent)
    assert router.id == "Router" and router.instructions == "You route pilots."
    assert isinstance(router.llm, OfflineLLM) and router.llm.agent_name == "Router"
    assert router.stt is None and router.tts is None
    decision = next(t for t in router.tools if t.id == DECISION_TOOL_NAME)
    assert decision.info.raw_schema["parameters"]["properties"]["target"]["enum"] == ["Market"]
    (fit,) = combat.tools
    assert fit.info.raw_schema == {"name": "fit_ship", "description": "Fit a ship.", "parameters": FIT_SHIP_SCHEMA}


async def test_acreate_agent_reads_the_database_off_the_loop(sqlite_db: Session) -> None:
    conversation = seed(sqlite_db)
    factory = LivekitAgentFactory(sqlite_db, tools=registry())
    agent = await factory.acreate_agent(conversation.initial_agent_id or 0)
    assert agent.id == "Router"


async def test_an_agent_outside_an_orchestrated_session_cannot_hand_over(sqlite_db: Session) -> None:
    conversation = seed(sqlite_db)
    agent = LivekitAgentFactory(sqlite_db, tools=registry()).create_agent(conversation.initial_agent_id or 0)
    session = text_agent_session()
    import asyncio

    async with asyncio.timeout(TIMEOUT):
        await session.start(agent)
        result = await session.run(user_input="sell it")
        output = result.expect.next_event(type="function_call_output").event().item
        await session.aclose()
    assert output.is_error and "outside an orchestrated session" in output.output


def test_unknown_agents_and_agents_of_no_conversation_are_errors(sqlite_db: Session) -> None:
    from rataura2.db.models import Agent as AgentRow

    loner = AgentRow(name="Loner")
    sqlite_db.add(loner)
    sqlite_db.commit()
    factory = LivekitAgentFactory(sqlite_db)
    with pytest.raises(UnknownAgentError, match="no agent 999"):
        factory.create_agent(999)
    with pytest.raises(UnknownAgentError, match="belongs to no conversation"):
        factory.create_agent(loner.id)


def test_a_tool_without_a_registered_callable_is_an_error_naming_it() -> None:
    missing = ToolSpec(id=1, name="fit_ship", function_name="nowhere.fit", parameters_schema=FIT_SHIP_SCHEMA)
    with pytest.raises(ToolConfigError, match=r"no callable is registered for function 'nowhere\.fit'.*register_tool"):
        function_tool_for(missing, ToolRegistry())
    tool = dataclasses.replace(missing, function_name="fit_ship_impl")
    with pytest.raises(ToolConfigError, match="not a valid JSON schema"):
        function_tool_for(dataclasses.replace(tool, parameters_schema={"type": 12}), registry())
    with pytest.raises(ToolConfigError, match="reserved"):
        function_tool_for(dataclasses.replace(tool, name=DECISION_TOOL_NAME), registry())
    with pytest.raises(ToolConfigError, match="letters, digits"):
        function_tool_for(dataclasses.replace(tool, name="fit ship"), registry())


async def test_registered_callables_run_sync_or_async_and_their_failures_reach_the_llm() -> None:
    tools = ToolRegistry()

    @tools.register
    async def lookup(item: str) -> dict[str, object]:
        return {"item": item, "price": 4.2}

    @tools.register(name="explode")
    def boom(item: str) -> str:
        raise RuntimeError(f"no market for {item}")

    schema = {"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}
    ok = function_tool_for(ToolSpec(id=1, name="lookup", function_name="lookup", parameters_schema=schema), tools)
    bad = function_tool_for(ToolSpec(id=2, name="explode", function_name="explode", parameters_schema=schema), tools)

    assert await ok(raw_arguments={"item": "tritanium"}) == '{"item": "tritanium", "price": 4.2}'
    with pytest.raises(ToolError, match="explode failed: no market for plex"):
        await bad(raw_arguments={"item": "plex"})
    with pytest.raises(ToolError, match="invalid arguments for lookup: item: 3 is not of type 'string'"):
        await ok(raw_arguments={"item": 3})


def test_malformed_offline_rules_are_an_error_naming_the_agent_and_field() -> None:
    with pytest.raises(OfflineConfigError, match=r"agent 'Probe': config\.offline\.decide\.0\.target"):
        providers.build_llm(spec(config={"offline": {"decide": [{"when_user_says": "x"}]}}))


def test_a_plugin_provider_without_its_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ProviderUnavailableError, match="set OPENAI_API_KEY") as caught:
        providers.build_llm(spec(llm_provider="openai", llm_model="gpt-4.1-mini"))
    assert caught.value.env_vars == ("OPENAI_API_KEY",)
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    with pytest.raises(
        ProviderUnavailableError, match="STT provider 'deepgram' needs credentials: set DEEPGRAM_API_KEY"
    ):
        providers.check(spec(stt_provider="deepgram"))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # not even the livekit.plugins namespace
        return False


@pytest.mark.skipif(_installed("livekit.plugins.openai"), reason="the openai plugin is installed here")
def test_a_plugin_provider_that_is_not_installed_names_the_pip_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with pytest.raises(ProviderUnavailableError, match=r"pip install 'rataura2\[openai\]'") as caught:
        providers.build_llm(spec(llm_provider="openai"))
    assert caught.value.install_hint == "pip install 'rataura2[openai]'"
    assert "livekit-plugins-openai" in str(caught.value)
    # a key given in the agent's options is enough to get past the credentials check
    with pytest.raises(ProviderUnavailableError, match=r"rataura2\[anthropic\]"):
        providers.build_llm(spec(llm_provider="anthropic", config={"llm_options": {"api_key": "k"}}))


def test_every_plugin_extra_is_declared_in_pyproject() -> None:
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    for plugin in PLUGINS.values():
        package = plugin.module.replace(".", "-")
        assert any(dep.startswith(package) for dep in extras[plugin.extra]), (plugin.extra, package)


def test_livekit_inference_models_need_a_model_string_and_livekit_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in LIVEKIT_KEYS:
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ProviderUnavailableError, match=re.escape("needs a model string such as 'openai/gpt-4.1-mini'")):
        providers.build_llm(spec(llm_provider="livekit"))
    with pytest.raises(ProviderUnavailableError, match="set LIVEKIT_INFERENCE_API_KEY or LIVEKIT_API_KEY"):
        providers.build_llm(spec(llm_provider="livekit", llm_model="openai/gpt-4.1-mini"))

    monkeypatch.setenv("LIVEKIT_API_KEY", "test-key")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "a-test-secret-long-enough-for-hmac-sha256")
    model = spec(
        llm_provider="livekit",
        llm_model="openai/gpt-4.1-mini",
        stt_provider="livekit",
        stt_model="deepgram/nova-3:en",
        tts_provider="livekit",
        tts_model="cartesia/sonic-3",
    )
    llm, stt, tts = providers.build_llm(model), providers.build_stt(model), providers.build_tts(model)
    assert isinstance(llm, inference.LLM) and llm.model == "openai/gpt-4.1-mini"
    assert isinstance(stt, inference.STT) and stt.model == "deepgram/nova-3"
    assert isinstance(tts, inference.TTS) and tts.model == "cartesia/sonic-3"


def test_an_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(
        ProviderUnavailableError, match="TTS provider 'espeak' is unknown; known TTS providers: cartesia"
    ):
        providers.check(spec(tts_provider="espeak"))
    providers.check(spec())  # offline LLM, no STT, no TTS: nothing to install, nothing to set
