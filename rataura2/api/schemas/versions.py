"""Bodies of the document, lint, publish and version routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rataura2.api.schemas.definitions import ConversationOut
from rataura2.document.model import ConversationDocument


class ImportOut(BaseModel):
    conversation: ConversationOut
    changed: bool = Field(description="False when the document matched the database: nothing was written.")
    created: bool
    version: int | None = Field(default=None, description="The published version, with ?publish=true.")


class FindingOut(BaseModel):
    severity: str = Field(description="error (cannot publish), warning or info.")
    code: str
    message: str
    agent_ids: list[int]
    transition_ids: list[int]


class LintOut(BaseModel):
    ok: bool = Field(description="No errors: the graph can be published.")
    revision: int
    findings: list[FindingOut]


class PublishOut(BaseModel):
    conversation_id: int
    version: int
    created: bool = Field(description="False when the definition equals the latest version already.")


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    digest: str
    agent_count: int
    transition_count: int
    latest: bool


class VersionDetail(BaseModel):
    version: int
    created_at: datetime
    document: ConversationDocument


class FieldChange(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    before: Any = Field(alias="from")
    after: Any = Field(alias="to")


class NamedChange(BaseModel):
    name: str
    fields: dict[str, FieldChange]


class NamedDiff(BaseModel):
    added: list[str]
    removed: list[str]
    changed: list[NamedChange]


class TransitionRef(BaseModel):
    source: str
    target: str
    index: int = Field(description="Position among the transitions between source and target, in document order.")
    condition_type: str


class TransitionChange(TransitionRef):
    fields: dict[str, FieldChange]


class TransitionDiff(BaseModel):
    added: list[TransitionRef]
    removed: list[TransitionRef]
    changed: list[TransitionChange]


class RulesChange(TransitionRef):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    before: list[Any] | None = Field(default=None, alias="from")
    after: list[Any] | None = Field(default=None, alias="to")


class RulesDiff(BaseModel):
    added: list[RulesChange]
    removed: list[RulesChange]
    changed: list[RulesChange]


class ConversationChanges(BaseModel):
    changed: dict[str, FieldChange]


class VersionDiff(BaseModel):
    from_version: int | str
    to_version: int | str
    conversation: ConversationChanges
    agents: NamedDiff
    tools: NamedDiff
    transitions: TransitionDiff
    rules: RulesDiff
