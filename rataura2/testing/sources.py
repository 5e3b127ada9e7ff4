"""Where a scenario file's conversation comes from: a seed function run into a scratch database, a database (the
draft, or a published version), or a conversation document. Graphs are loaded once per source and shared by every
scenario that names it."""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rataura2.core.graph import CompiledGraph
from rataura2.db.loader import find_conversation, load_graph_spec
from rataura2.db.models import Agent, Conversation
from rataura2.db.session import init_db
from rataura2.document import codec
from rataura2.document.apply import apply_document
from rataura2.document.export import document_from_spec, export_document
from rataura2.document.model import ConversationDocument
from rataura2.document.spec import graph_spec_of
from rataura2.errors import InvalidDocumentError, InvalidScenarioError
from rataura2.persistence.versions import load_version
from rataura2.scenarios.model import GraphSource
from rataura2.settings import get_settings

OFFLINE_MODEL = "echo"


@dataclass(frozen=True, slots=True)
class LoadedGraph:
    graph: CompiledGraph
    database_url: str | None
    """A scratch database holding the conversation, for runs on a LiveKit AgentSession (None: there is none)."""
    conversation_id: int


class GraphSources:
    """Loads and keeps the graphs that scenario files name. Scratch databases live in a temporary directory that
    :meth:`close` removes."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url
        self._loaded: dict[tuple[str, str, bool], LoadedGraph] = {}
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> GraphSources:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def load(self, source: GraphSource, base: Path, *, where: str, livekit: bool = False) -> LoadedGraph:
        """The graph of ``source`` (``base``: the folder of the file naming it). ``livekit``: also a scratch
        database holding it with every agent on the offline LLM, unscripted, since the scenario says what the LLM
        does."""
        key = (source.key, str(base.resolve()), livekit)
        if key not in self._loaded:
            self._loaded[key] = self._load(source, base, where, livekit)
        return self._loaded[key]

    def _load(self, source: GraphSource, base: Path, where: str, livekit: bool) -> LoadedGraph:
        if source.seed is not None:
            return self._seeded(source, where, livekit)
        if source.document is not None:
            document = _read_document(base / source.document, where)
            if livekit:
                return self._copied(document)
            return LoadedGraph(CompiledGraph(graph_spec_of(document)), None, 0)
        url = self.database_url or get_settings().database_url
        with init_db(url) as database, database() as db:
            conversation = find_conversation(db, _ident(source.conversation))
            if source.version is not None:
                published = load_version(db, conversation.id, source.version)
                if livekit:
                    return self._copied(document_from_spec(published.spec))
                spec = published.graph_spec()
            else:
                if livekit:
                    return self._copied(export_document(db, conversation))
                spec = load_graph_spec(db, conversation.id)
        return LoadedGraph(CompiledGraph(spec), None, conversation.id)

    def _scratch_url(self) -> str:
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="rataura2-scenarios-")
        return f"sqlite:///{Path(self._scratch.name) / f'graph-{len(self._loaded) + 1}.db'}"

    def _copied(self, document: ConversationDocument) -> LoadedGraph:
        """A scratch database holding ``document``'s conversation, on the offline LLM."""
        url = self._scratch_url()
        with init_db(url) as database, database() as db:
            conversation = apply_document(db, document).conversation
            db.commit()
            offline(db, conversation)
            spec = load_graph_spec(db, conversation.id)
        return LoadedGraph(CompiledGraph(spec), url, spec.conversation_id)

    def _seeded(self, source: GraphSource, where: str, livekit: bool) -> LoadedGraph:
        assert source.seed is not None
        seed = _seed_function(source.seed, where)
        url = self._scratch_url()
        database = init_db(url)
        try:
            with database() as db:
                made = seed(db)
                db.commit()
                conversation = _conversation_of(db, source, made, where)
                if livekit:
                    offline(db, conversation)
                spec = load_graph_spec(db, conversation.id)
        finally:
            database.dispose()
        return LoadedGraph(CompiledGraph(spec), url, spec.conversation_id)


def _read_document(path: Path, where: str) -> ConversationDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidScenarioError(f"{where}: graph.document", f"cannot read {path}: {exc}") from None
    try:
        return codec.load(text, codec.format_of(path.name))
    except InvalidDocumentError as exc:
        raise InvalidScenarioError(f"{where}: graph.document", f"{path}: {exc}") from None


def _ident(conversation: str | int | None) -> int | str:
    if conversation is None:
        raise InvalidScenarioError("graph", "name the conversation")
    return conversation


def _seed_function(path: str, where: str) -> Callable[[Session], Any]:
    module_name, _, name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidScenarioError(f"{where}: graph.seed", f"cannot import {module_name!r}: {exc}") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise InvalidScenarioError(f"{where}: graph.seed", f"{module_name} has no function {name!r}")
    seed: Callable[[Session], Any] = function
    return seed


def _conversation_of(db: Session, source: GraphSource, made: Any, where: str) -> Conversation:
    if source.conversation is not None:
        return find_conversation(db, source.conversation)
    if isinstance(made, Conversation):
        return made
    rows = db.scalars(select(Conversation)).all()
    if len(rows) != 1:
        raise InvalidScenarioError(
            f"{where}: graph", f"the seed made {len(rows)} conversations: name one with graph.conversation"
        )
    return rows[0]


def offline(db: Session, conversation: Conversation) -> None:
    """Put every agent of ``conversation`` on the offline LLM with no script, in text mode (no STT, no TTS)."""
    agents: list[Agent] = list(conversation.agents)
    if conversation.initial_agent is not None and conversation.initial_agent not in agents:
        agents.append(conversation.initial_agent)
    for agent in agents:
        agent.llm_provider, agent.llm_model = "offline", OFFLINE_MODEL
        agent.stt_provider, agent.tts_provider = "none", "none"
        agent.config = {k: v for k, v in (agent.config or {}).items() if k != "offline"}
    db.commit()
