"""Facts kept in one place: the lists derived from them, or that must agree with them, are checked here."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rataura2.core.conditions import condition_types
from rataura2.livekit import providers, translate
from rataura2.livekit.bridge import SESSION_EVENTS
from rataura2.livekit.session_handler import ROOM_EVENTS
from rataura2.vocabulary.enums import ConditionType, LLMProvider, STTProvider, TTSProvider
from rataura2.vocabulary.events import LIVEKIT_EVENT_MAP, LIVEKIT_EVENTS


def test_the_condition_enum_is_the_registry() -> None:
    assert sorted(ConditionType) == sorted(condition_types())


def test_every_livekit_event_the_shell_subscribes_to_is_a_row_of_the_table_and_back() -> None:
    emitted = {(e.emitter, e.emitted) for e in LIVEKIT_EVENTS if e.emitted}
    assert {("room", name) for name in ROOM_EVENTS} | {("session", name) for name in SESSION_EVENTS} == emitted
    assert len(set(ROOM_EVENTS)) == len(ROOM_EVENTS) and len(set(SESSION_EVENTS)) == len(SESSION_EVENTS)


def test_room_facts_the_translator_reads_are_the_table_rows() -> None:
    assert {e.name for e in LIVEKIT_EVENTS if e.emitter == "room"} == translate.ROOM_EVENT_NAMES
    assert set(LIVEKIT_EVENT_MAP) == {e.name for e in LIVEKIT_EVENTS}


def test_every_provider_name_is_buildable_and_every_plugin_is_a_provider_name() -> None:
    named = {
        "llm": {p.value for p in LLMProvider},
        "stt": {p.value for p in STTProvider},
        "tts": {p.value for p in TTSProvider},
    }
    built_in = {providers.NO_PROVIDER, providers.OFFLINE, providers.LIVEKIT_INFERENCE}
    for kind, names in named.items():
        plugins = {name for (k, name) in providers.PLUGINS if k == kind}
        assert plugins <= names, f"{kind}: plugins for providers the enum does not know: {plugins - names}"
        assert names - plugins <= built_in, f"{kind}: providers with no way to build them: {names - plugins}"


def test_every_plugin_names_an_extra_of_the_package() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    extras = set(pyproject["project"]["optional-dependencies"])
    assert {plugin.extra for plugin in providers.PLUGINS.values()} <= extras
