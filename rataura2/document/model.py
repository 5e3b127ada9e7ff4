"""The shape of a conversation document, as pydantic models; its JSON Schema is published from these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rataura2.vocabulary.enums import AgentType, ConditionType, LLMProvider, STTProvider, TTSProvider

FORMAT: Literal["rataura2.conversation/1"] = "rataura2.conversation/1"
Name = Field(min_length=1, max_length=255)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class Position(_Strict):
    """Where an agent sits on the conversation's canvas."""

    x: float
    y: float


class ToolDocument(_Strict):
    name: str = Name
    function_name: str = Field(min_length=1, max_length=255, description="Key of the Python callable.")
    description: str | None = None
    parameters_schema: dict[str, Any] | None = None
    is_active: bool = True


class AgentDocument(_Strict):
    name: str = Field(min_length=1, max_length=255, description="Unique within the conversation.")
    agent_type: AgentType = AgentType.GENERAL
    description: str | None = None
    instructions: str = ""
    llm_provider: LLMProvider = LLMProvider.OFFLINE
    llm_model: str | None = None
    stt_provider: STTProvider = STTProvider.NONE
    stt_model: str | None = None
    tts_provider: TTSProvider = TTSProvider.NONE
    tts_model: str | None = None
    config: dict[str, Any] | None = None
    is_active: bool = True
    tools: list[str] = Field(default_factory=list, description="Names of tools in the document's tools.")
    position: Position | None = None


class TransitionDocument(_Strict):
    source: str = Field(min_length=1, description="Name of the agent the transition leaves.")
    target: str = Field(min_length=1, description="Name of the agent it hands over to.")
    condition_type: ConditionType
    condition_data: dict[str, Any] | None = None
    priority: int = 0
    description: str | None = None
    tool: str | None = Field(default=None, description="Name of a tool in the document's tools.")
    rules: list[dict[str, Any]] | None = Field(
        default=None,
        description="business_rules transitions: the rule set, in the business-rules format; transition_to_agent "
        "takes {'agent': NAME}.",
    )


class ConversationDocument(_Strict):
    """A conversation with its agents, tools, transitions, rule sets and layout."""

    format: Literal["rataura2.conversation/1"] = FORMAT
    name: str = Name
    description: str | None = None
    initial_agent: str | None = Field(default=None, description="Name of one of the agents.")
    is_active: bool = True
    config: dict[str, Any] | None = None
    tools: list[ToolDocument] = Field(default_factory=list)
    agents: list[AgentDocument] = Field(default_factory=list)
    transitions: list[TransitionDocument] = Field(default_factory=list)


def document_schema() -> dict[str, Any]:
    """The JSON Schema of a conversation document (draft 2020-12)."""
    schema = ConversationDocument.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
