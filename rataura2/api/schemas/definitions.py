"""Bodies of the definition routes: conversations, agents, transitions, rule sets, tools, layout."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rataura2.document.model import Position
from rataura2.vocabulary.enums import AgentType, ConditionType, LLMProvider, STTProvider, TTSProvider


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class ConversationCreate(_In):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    config: dict[str, Any] | None = None
    is_active: bool = True


class ConversationUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    initial_agent_id: int | None = None
    config: dict[str, Any] | None = None
    is_active: bool | None = None


class ConversationOut(BaseModel):
    id: int
    name: str
    description: str | None
    initial_agent_id: int | None
    config: dict[str, Any] | None
    is_active: bool
    revision: int
    version: int = Field(description="The latest published version; 0 if never published.")
    published: bool | None = Field(
        default=None, description="Whether the definition equals the latest version (single reads only)."
    )
    agent_count: int
    transition_count: int
    created_at: datetime
    updated_at: datetime


class AgentFields(_In):
    description: str | None = None
    instructions: str = ""
    agent_type: AgentType = AgentType.GENERAL
    llm_provider: LLMProvider = LLMProvider.OFFLINE
    llm_model: str | None = Field(default=None, max_length=255)
    stt_provider: STTProvider = STTProvider.NONE
    stt_model: str | None = Field(default=None, max_length=255)
    tts_provider: TTSProvider = TTSProvider.NONE
    tts_model: str | None = Field(default=None, max_length=255)
    config: dict[str, Any] | None = None
    is_active: bool = True
    tool_ids: list[int] = Field(default_factory=list)
    position: Position | None = None


class AgentCreate(AgentFields):
    name: str = Field(min_length=1, max_length=255)
    make_initial: bool = Field(default=False, description="Make it the conversation's initial agent.")


class AgentUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    instructions: str | None = None
    agent_type: AgentType | None = None
    llm_provider: LLMProvider | None = None
    llm_model: str | None = Field(default=None, max_length=255)
    stt_provider: STTProvider | None = None
    stt_model: str | None = Field(default=None, max_length=255)
    tts_provider: TTSProvider | None = None
    tts_model: str | None = Field(default=None, max_length=255)
    config: dict[str, Any] | None = None
    is_active: bool | None = None
    tool_ids: list[int] | None = None
    position: Position | None = None


class AgentOut(BaseModel):
    id: int
    name: str
    description: str | None
    instructions: str
    agent_type: str
    llm_provider: str
    llm_model: str | None
    stt_provider: str
    stt_model: str | None
    tts_provider: str
    tts_model: str | None
    config: dict[str, Any] | None
    is_active: bool
    tool_ids: list[int]
    position: Position | None
    is_initial: bool
    revision: int


class TransitionCreate(_In):
    source_agent_id: int
    target_agent_id: int
    condition_type: ConditionType
    condition_data: dict[str, Any] | None = None
    priority: int = Field(default=0, ge=-(2**31), lt=2**31)
    description: str | None = None
    tool_id: int | None = None
    rules: list[Any] | None = Field(default=None, description="business_rules transitions: the rule set.")


class TransitionUpdate(_In):
    source_agent_id: int | None = None
    target_agent_id: int | None = None
    condition_type: ConditionType | None = None
    condition_data: dict[str, Any] | None = None
    priority: int | None = Field(default=None, ge=-(2**31), lt=2**31)
    description: str | None = None
    tool_id: int | None = None
    rules: list[Any] | None = None


class TransitionOut(BaseModel):
    id: int
    source_agent_id: int
    target_agent_id: int
    condition_type: str
    condition_data: dict[str, Any] | None
    priority: int
    description: str | None
    tool_id: int | None
    rules: list[Any] | None
    revision: int


class RulesIn(_In):
    rules: list[Any]


class RulesOut(BaseModel):
    transition_id: int
    rules: list[Any]
    revision: int


class LayoutIn(_In):
    positions: dict[int, Position | None] = Field(description="Agent id -> position (null: forget it).")


class LayoutOut(BaseModel):
    positions: dict[int, Position]
    revision: int


class ToolCreate(_In):
    name: str = Field(min_length=1, max_length=255)
    function_name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    parameters_schema: dict[str, Any] | None = None
    is_active: bool = True


class ToolUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    function_name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    parameters_schema: dict[str, Any] | None = None
    is_active: bool | None = None


class ToolOut(BaseModel):
    id: int
    name: str
    function_name: str
    description: str | None
    parameters_schema: dict[str, Any] | None
    is_active: bool


class Deleted(BaseModel):
    deleted: bool = True
    revision: int | None = Field(default=None, description="The conversation's revision after the deletion.")
