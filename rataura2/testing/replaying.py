"""Replaying a conversation's recorded sessions on its draft or on a published version: the graph to replay on,
the sessions from the log, and the names of the agents each session knew."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from rataura2.core.graph import CompiledGraph
from rataura2.db.loader import find_conversation, load_graph_spec
from rataura2.errors import InvalidGraphError
from rataura2.persistence.recorded import recorded_sessions
from rataura2.persistence.versions import load_version
from rataura2.replay import RecordedSession, ReplayReport, replay_all
from rataura2.vocabulary import DRAFT


def against_graph(db: Session, conversation_id: int, against: str) -> tuple[str, CompiledGraph]:
    """The graph named by ``against`` (``draft``: the definition as edited now; a number: that published
    version), compiled, with its name for reports."""
    if against == DRAFT:
        return DRAFT, CompiledGraph(load_graph_spec(db, conversation_id))
    if not against.isdigit():
        raise InvalidGraphError(f"--against takes 'draft' or a version number, not {against!r}")
    return f"version {against}", CompiledGraph(load_version(db, conversation_id, int(against)).graph_spec())


def replay_conversation(
    db: Session,
    conversation: int | str,
    against: str,
    *,
    since: datetime | None = None,
    limit: int | None = None,
    on_loaded: Callable[[list[RecordedSession]], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Replay the conversation's recorded sessions (created since ``since``, the ``limit`` most recent) on
    ``against`` and report those whose route changes."""
    conv = find_conversation(db, conversation)
    name, graph = against_graph(db, conv.id, against)
    bind = db.get_bind()
    engine: Engine = bind if isinstance(bind, Engine) else bind.engine
    recorded = recorded_sessions(engine, conv.id, since=since, limit=limit)
    if on_loaded is not None:
        on_loaded(recorded)

    @cache
    def names(version: int) -> Mapping[int, str]:
        try:
            spec = load_version(db, conv.id, version).graph_spec()
        except InvalidGraphError:  # a version that is gone: the names of the graph replayed on will do
            spec = graph.spec
        return {a.id: a.name for a in spec.agents.values()}

    return replay_all(conv.name, name, graph, recorded, names, progress=progress)
