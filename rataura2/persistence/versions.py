"""Conversation versions: a published graph is frozen as JSON so sessions keep the graph they started on.

Designers edit agents and transitions as rows; sessions never run on rows. :func:`publish_conversation` (also
``rataura2 graph publish NAME``) compares the rows with the latest published version (by a digest of the spec) and,
when they differ, publishes them as the next version. It records the conversation's revision it published from;
every edit moves the revision on (``rataura2.db.models.revision``), so a session start tells whether the latest
version is current from one row (``rataura2.persistence.graphs``) and publishes only after an edit: an edit reaches
the next new session without a restart and without anyone remembering to publish. Running sessions (and sessions
resumed in another process) keep their version, read back from ``conversation_versions``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rataura2.core.graph import CompiledGraph
from rataura2.core.spec import AgentSpec, GraphSpec, ToolSpec, TransitionSpec, frozen
from rataura2.db.loader import load_graph_spec
from rataura2.db.models import Conversation, ConversationVersion
from rataura2.errors import InvalidGraphError, RatauraError, UnknownConversationError

_PUBLISH_ATTEMPTS = 5
_Spec = TypeVar("_Spec", AgentSpec, ToolSpec, TransitionSpec)


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    conversation_id: int
    version: int
    spec: dict[str, Any]
    """The spec as stored (:func:`spec_to_dict`, without the version number)."""
    error: str | None = None
    """Why the current definition could not be published, when this is the last good version kept instead."""
    new: bool = False
    """Published just now (not found equal to the latest version)."""

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
    """The fields of a spec as JSON data; a field added later (``LATER`` metadata) only when it is set, so that
    adding one changes no digest of a graph that does not use it."""
    out = {}
    for f in dataclasses.fields(item):
        value = _plain(getattr(item, f.name))
        if f.metadata.get("omit_default") and value == _plain(_default(f)):
            continue
        out[f.name] = value
    return out


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


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
    data: dict[str, Any] = {
        "conversation_id": spec.conversation_id,
        "name": spec.name,
        "description": spec.description,
        "initial_agent_id": spec.initial_agent_id,
        "config": _plain(spec.config),
        "agents": [_fields_to_dict(a) for a in sorted(spec.agents.values(), key=lambda a: a.id)],
        "transitions": [_fields_to_dict(t) for t in sorted(spec.transitions, key=lambda t: t.id)],
        "tools": [_fields_to_dict(t) for t in sorted(spec.tools.values(), key=lambda t: t.id)],
    }
    # conversation fields added later, stored only when set (see _fields_to_dict)
    if spec.role_instructions:
        data["role_instructions"] = spec.role_instructions
    if spec.tool_ids:
        data["tool_ids"] = list(spec.tool_ids)
    if spec.sensitive_keys:
        data["sensitive_keys"] = list(spec.sensitive_keys)
    return data


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
        role_instructions=data.get("role_instructions"),
        tool_ids=tuple(data.get("tool_ids") or ()),
        sensitive_keys=tuple(data.get("sensitive_keys") or ()),
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


def conversation_id_of(db: Session, conversation: int | str | Conversation) -> int:
    """A conversation's id, from its id, its name or its row; :class:`UnknownConversationError` otherwise."""
    if isinstance(conversation, Conversation):
        return conversation.id
    found = db.scalar(select(Conversation.id).where(conversation_key(conversation)))
    if found is None:
        raise UnknownConversationError(f"no conversation {conversation!r}")
    return found


def conversation_key(conversation: int | str) -> ColumnElement[bool]:
    """The WHERE clause finding a conversation by id (an int or a string of digits) or by name."""
    if isinstance(conversation, int) or conversation.isdigit():
        return Conversation.id == int(conversation)
    return Conversation.name == conversation


def publish(db: Session, conversation: int | str | Conversation, *, keep_last_good: bool = False) -> PublishedVersion:
    """Publish the conversation's current rows as a new version if they differ from the latest published one;
    either way, return the version new sessions start on, and record the revision it stands for
    (``published_revision``) so that session starts can tell it is current without reading the rows. Commits
    ``db``.

    The graph must compile (every condition is checked) before it is published: a definition that does not is
    never published, and never replaces the last good version. It is an error (an ``InvalidConditionError``,
    ``InvalidGraphError``...) unless ``keep_last_good`` is set and a version was published before: then that
    version is returned, with the error in ``PublishedVersion.error``, so that new sessions keep starting on it.
    Publishers of one conversation take turns (a row lock on PostgreSQL; SQLite has one writer), and the revision
    is read before the rows, so the rows published are at least as new as the revision recorded. Should two
    publishers race anyway, they agree on one version number: the loser of the insert race re-reads and finds it.
    """
    db.flush()
    ident = conversation_id_of(db, conversation)
    for _ in range(_PUBLISH_ATTEMPTS):
        db.expire_all()  # another process may have published since these rows were read
        revision = db.scalar(select(Conversation.revision).where(Conversation.id == ident).with_for_update())
        if revision is None:
            raise UnknownConversationError(f"no conversation {conversation!r}")
        conv = db.get_one(Conversation, ident)
        latest = latest_version(db, conv.id)
        try:
            spec = load_graph_spec(db, conv.id)
            data = spec_to_dict(spec)
            digest = spec_digest(data)
            if latest is None or latest.digest != digest:
                CompiledGraph(spec)  # only a graph that compiles is published
        except RatauraError as exc:
            kept = None if latest is None else PublishedVersion(conv.id, latest.version, dict(latest.spec), str(exc))
            db.rollback()  # lets go of the row lock
            if not keep_last_good or kept is None:
                raise
            return kept
        if latest is not None and latest.digest == digest:
            conv.version = latest.version
            conv.published_revision = revision
            db.commit()
            return PublishedVersion(conv.id, latest.version, dict(latest.spec))
        number = conv.version if latest is None else max(conv.version, latest.version + 1)
        db.add(ConversationVersion(conversation_id=conv.id, version=number, digest=digest, spec=data))
        conv.version = number
        conv.published_revision = revision
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            continue
        return PublishedVersion(conv.id, number, data, new=True)
    raise InvalidGraphError(
        f"conversation {conversation!r}: could not publish a version (too many concurrent publishers)"
    )


def publication(db: Session, conversation: Conversation) -> str:
    """Where the conversation stands, in words for listings: ``draft, never published``, ``version 3`` (the
    definition is that version), or ``version 3, edited since`` (the next session start publishes the edit)."""
    latest = latest_version(db, conversation.id)
    if latest is None:
        return "draft, never published"
    edited = conversation.published_revision != conversation.revision
    return f"version {latest.version}" + (", edited since" if edited else "")


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
        name = db.scalar(select(Conversation.name).where(Conversation.id == conversation_id))
        numbers = db.scalars(
            select(ConversationVersion.version)
            .where(ConversationVersion.conversation_id == conversation_id)
            .order_by(ConversationVersion.version)
        ).all()
        published = (
            f"its versions: {', '.join(map(str, numbers))}"
            if numbers
            else f"none is published yet (rataura2 graph publish {name!r}, or start a session)"
        )
        raise InvalidGraphError(f"conversation {name!r} has no published version {version}; {published}")
    return PublishedVersion(conversation_id, version, dict(row.spec))
