"""What the studio's forms offer: the enums of the definitions, each condition type's data schema, the trigger
names, model names to suggest per provider, and what this server can do. Read from the tables that define them, so
a form never offers what the API would refuse."""

from __future__ import annotations

from fastapi import APIRouter

import rataura2.core.conditions  # noqa: F401  (registers the built-in condition types)
from rataura2.api.auth import Viewer
from rataura2.api.schemas.meta import MODEL_SUGGESTIONS, Features, Meta, Triggers
from rataura2.core.conditions.base import condition_types, get_condition_kind
from rataura2.core.conditions.triggers import DEFAULT_TRIGGERS, TRIGGER_NAMES
from rataura2.vocabulary.enums import (
    ActionType,
    AgentType,
    ContextStrategy,
    LLMProvider,
    Role,
    SessionStatus,
    STTProvider,
    TTSProvider,
)
from rataura2.vocabulary.events import LIVEKIT_EVENTS, EventType

router = APIRouter(prefix="/api/v1", tags=["meta"])


def build_meta() -> Meta:
    return Meta(
        enums={
            "agent_type": [t.value for t in AgentType],
            "llm_provider": [p.value for p in LLMProvider],
            "stt_provider": [p.value for p in STTProvider],
            "tts_provider": [p.value for p in TTSProvider],
            "condition_type": [str(t) for t in condition_types()],
            "event_type": [t.value for t in EventType],
            "livekit_event": [e.name for e in LIVEKIT_EVENTS],
            "context_strategy": [s.value for s in ContextStrategy],
            "action_type": [a.value for a in ActionType],
            "role": [r.value for r in Role],
            "session_status": [s.value for s in SessionStatus],
        },
        conditions={str(t): get_condition_kind(t).data_model.model_json_schema() for t in condition_types()},
        triggers=Triggers(names=list(TRIGGER_NAMES), default=sorted(DEFAULT_TRIGGERS)),
        models=MODEL_SUGGESTIONS,
        features=Features(chat=True, session_versions=True, editors_run_sessions=True),
    )


_META = build_meta()


@router.get("/meta", response_model=Meta)
def meta(_: Viewer) -> Meta:
    """Enums, condition data schemas, trigger names, model suggestions per provider, and features."""
    return _META
