"""The body of ``GET /api/v1/meta``, and the model names it suggests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

MODEL_SUGGESTIONS: dict[str, dict[str, list[str]]] = {
    "llm": {
        "offline": ["echo"],
        "openai": ["gpt-4.1-mini", "gpt-4.1", "gpt-4o-mini"],
        "anthropic": ["claude-sonnet-4-5", "claude-haiku-4-5"],
        "google": ["gemini-2.5-flash", "gemini-2.5-pro"],
        "gemini": ["gemini-2.5-flash", "gemini-2.5-pro"],
        "livekit": ["openai/gpt-4.1-mini", "google/gemini-2.5-flash"],
    },
    "stt": {
        "deepgram": ["nova-3"],
        "openai": ["gpt-4o-transcribe"],
        "google": ["latest_long"],
        "livekit": ["deepgram/nova-3:en"],
    },
    "tts": {
        "elevenlabs": ["eleven_flash_v2_5"],
        "cartesia": ["sonic-3"],
        "openai": ["gpt-4o-mini-tts"],
        "google": [],
        "livekit": ["cartesia/sonic-3"],
    },
}
"""By kind, then provider: model names to offer in pick-lists. Suggestions only: any name the provider takes is
accepted (``livekit`` takes LiveKit Inference model strings, ``provider/model``)."""


class Triggers(BaseModel):
    names: list[str] = Field(description="What a transition may list in condition_data.triggers.")
    default: list[str] = Field(description="The triggers of a state condition that lists none.")


class Features(BaseModel):
    chat: bool = Field(description="POST /api/v1/sessions/{id}/chat answers with the agents' replies.")
    session_versions: bool = Field(description="POST /api/v1/sessions takes a published version to run.")
    editors_run_sessions: bool = Field(description="Editors may create sessions, send events and chat.")


class Meta(BaseModel):
    enums: dict[str, list[str]] = Field(
        description="agent_type, llm/stt/tts_provider, condition_type, event_type, livekit_event, context_strategy, "
        "action_type, role, session_status."
    )
    conditions: dict[str, dict[str, Any]] = Field(
        description="By condition type: the JSON Schema of its condition_data."
    )
    triggers: Triggers
    models: dict[str, dict[str, list[str]]] = Field(description="Model names to suggest, by kind and provider.")
    features: Features
