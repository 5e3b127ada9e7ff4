"""Conversation versions: a published graph is frozen as JSON so sessions keep the graph they started on.

Designers edit agents and transitions as rows; sessions never run on rows. :func:`publish_conversation` compares
the rows with the latest published version (by a digest of the spec) and, when they differ, publishes them as the
next version. ``SessionManager`` publishes on first use, when a session is created, so an edit reaches the next
new session without a restart and without anyone remembering to publish; running sessions (and sessions resumed
in another process) keep theirs, read back from ``conversation_versions``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec, frozen
from rataura2.db.loader import find_conversation, load_graph_spec
from rataura2.db.models import Conversation, ConversationVersion
from rataura2.errors import InvalidGraphError

_PUBLISH_ATTEMPTS = 5
_Spec = TypeVar("_Spec", AgentSpec, ToolSpec, TransitionSpec)


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    conversation_id: int
    version: int
    spec: dict[str, Any]
    """The spec as stored (:func:`spec_to_dict`, without the version number)."""

    def graph_spec(self) -> GraphSpec:
        return spec_from_dict(self.spec, self.version)


def _plain(value: Any) -> Any:
    """Mappings (frozen ones included) and tuples as JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _fields_to_dict(item: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(item, f.name)) for f in dataclasses.fields(item)}


def _fields_from_dict(cls: type[_Spec], raw: Mapping[str, Any]) -> _Spec:
    """Rebuild a spec dataclass, typing each field back as its annotation says (mappings frozen, tuples as
    tuples). Fields unknown to this code are ignored; fields missing from old data take their defaults."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        value, kind = raw[f.name], str(f.type)
        if value is not None and kind.startswith("Mapping"):
            value = frozen(value)
        elif value is not None and kind.startswith("tuple"):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


def spec_to_dict(spec: GraphSpec) -> dict[str, Any]:
    """The spec as plain JSON data, without its version number (which is not part of what a version is)."""
    return {
        "conversation_id": spec.conversation_id,
        "name": spec.name,
        "description": spec.description,
        "initial_agent_id": spec.initial_agent_id,
        "config": _plain(spec.config),
        "agents": [_fields_to_dict(a) for a in sorted(spec.agents.values(), key=lambda a: a.id)],
        "transitions": [_fields_to_dict(t) for t in sorted(spec.transitions, key=lambda t: t.id)],
        "tools": [_fields_to_dict(t) for t in sorted(spec.tools.values(), key=lambda t: t.id)],
    }


def spec_from_dict(data: Mapping[str, Any], version: int) -> GraphSpec:
    agents = {a.id: a for a in (_fields_from_dict(AgentSpec, raw) for raw in data["agents"])}
    tools = {t.id: t for t in (_fields_from_dict(ToolSpec, raw) for raw in data["tools"])}
    return GraphSpec(
        conversation_id=data["conversation_id"],
        name=data["name"],
        description=data.get("description"),
        initial_agent_id=data["initial_agent_id"],
        agents=frozen(agents),  # type: ignore[arg-type]
        transitions=tuple(_fields_from_dict(TransitionSpec, raw) for raw in data["transitions"]),
        tools=frozen(tools),  # type: ignore[arg-type]
        version=version,
        config=frozen(data.get("config")),
    )


def spec_digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def latest_version(db: Session, conversation_id: int) -> ConversationVersion | None:
    return db.scalars(
        select(ConversationVersion)
        .where(ConversationVersion.conversation_id == conversation_id)
        .order_by(ConversationVersion.version.desc())
        .limit(1)
    ).first()


def publish(db: Session, conversation: int | str | Conversation) -> PublishedVersion:
    """Publish the conversation's current rows as a new version if they differ from the latest published one;
    either way, return the version new sessions start on. Commits ``db``.

    The graph must compile (every condition is checked) before it is published. Several processes publishing the
    same edit at once agree on one version number: the loser of the insert race re-reads and finds it.
    """
    ident = conversation.id if isinstance(conversation, Conversation) else conversation
    db.flush()
    for _ in range(_PUBLISH_ATTEMPTS):
        db.expire_all()  # another process may have published since these rows were read
        conv = find_conversation(db, ident)
        spec = load_graph_spec(db, conv.id)
        data = spec_to_dict(spec)
        digest = spec_digest(data)
        latest = latest_version(db, conv.id)
        if latest is not None and latest.digest == digest:
            if conv.version != latest.version:
                conv.version = latest.version
                db.commit()
            return PublishedVersion(conv.id, latest.version, dict(latest.spec))
        CompiledGraph(spec)  # only a graph that compiles is published
        number = conv.version if latest is None else max(conv.version, latest.version + 1)
        db.add(ConversationVersion(conversation_id=conv.id, version=number, digest=digest, spec=data))
        conv.version = number
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            continue
        return PublishedVersion(conv.id, number, data)
    raise InvalidGraphError(f"conversation {ident!r}: could not publish a version (too many concurrent publishers)")


def publish_conversation(db: Session, conversation: int | str | Conversation) -> int:
    """Publish the conversation's graph as edited (a new version only if it changed) and return the version that
    new sessions take. Commits ``db``. Sessions already running keep the version they started on."""
    return publish(db, conversation).version


def load_version(db: Session, conversation_id: int, version: int) -> PublishedVersion:
    """A published version, as frozen when it was published."""
    row = db.scalars(
        select(ConversationVersion).where(
            ConversationVersion.conversation_id == conversation_id, ConversationVersion.version == version
        )
    ).first()
    if row is None:
        raise InvalidGraphError(f"conversation {conversation_id} has no published version {version}")
    return PublishedVersion(conversation_id, version, dict(row.spec))
