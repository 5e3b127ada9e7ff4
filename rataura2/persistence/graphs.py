"""Compiled graphs of published versions, shared by every ``SessionManager`` of a process on one database.

A session start must run on the latest definition, and must not cost more on a big graph than on a small one. The
conversation row says whether its latest version is current (``revision`` equals ``published_revision``: nobody
edited the definition since it was published); reading that is one indexed query (:func:`read_marker`), whatever
the size of the graph. Only after an edit does a session start read the definition, publish it and compile it,
once; every process notices the new version by the same query. Compiled graphs are immutable, so one serves every
session on its version.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rataura2.core.graph import CompiledGraph
from rataura2.db.models import Conversation
from rataura2.errors import PersistenceError, UnknownConversationError
from rataura2.persistence.versions import conversation_key, load_version, publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Marker:
    """What a conversation row says about its versions."""

    conversation_id: int
    revision: int
    published_revision: int | None
    version: int

    @property
    def current(self) -> bool:
        """The latest version is the definition as it stands (nobody edited it since)."""
        return self.published_revision == self.revision


def read_marker(conn: Connection, conversation: int | str) -> Marker:
    """The conversation's revision, the revision its latest version stands for, and that version: one query on the
    primary key (or the unique name)."""
    c = Conversation
    row = conn.execute(
        select(c.id, c.revision, c.published_revision, c.version).where(conversation_key(conversation))
    ).first()
    if row is None:
        raise UnknownConversationError(f"no conversation {conversation!r}")
    return Marker(*row)


class Graphs:
    """The compiled graphs of one database's conversations. Thread-safe.

    The latest version of each conversation is kept; older ones stay while some session runs on them (they are held
    weakly), so the cache does not grow with the number of versions ever published.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._latest: dict[int, CompiledGraph] = {}
        self._versions: weakref.WeakValueDictionary[tuple[int, int], CompiledGraph] = weakref.WeakValueDictionary()
        self._lock = threading.Lock()
        self._compiling: dict[tuple[int, int], threading.Lock] = {}
        self.publish_errors: dict[int, str] = {}
        """By conversation id: why its current definition could not be published (new sessions start on the last
        good version meanwhile, and each start tries again until an edit that compiles is published)."""

    @property
    def engine(self) -> Engine:
        engine = self._engine()
        if engine is None:
            raise PersistenceError("the database engine of these graphs is gone")
        return engine

    def latest(self, marker: Marker) -> CompiledGraph:
        """The compiled graph of the latest version :func:`read_marker` found, publishing the definition first if it
        was edited since the latest version was published. A definition that does not compile never replaces the
        last good version (see :attr:`publish_errors`); with no version published before, its error is raised."""
        if marker.current:
            self.publish_errors.pop(marker.conversation_id, None)
            graph = self._latest.get(marker.conversation_id)
            if graph is not None and graph.version == marker.version:
                return graph
            graph = self.version(marker.conversation_id, marker.version)
        else:
            graph = self._publish(marker.conversation_id)
        with self._lock:
            held = self._latest.get(graph.conversation_id)
            if held is None or held.version <= graph.version:
                self._latest[graph.conversation_id] = graph
        return graph

    def version(self, conversation_id: int, version: int) -> CompiledGraph:
        """The compiled graph of one published version, as it was published (compiled once per process)."""
        key = (conversation_id, version)
        graph = self._versions.get(key)
        if graph is not None:
            return graph
        with self._compile_lock(key):
            graph = self._versions.get(key)
            if graph is None:
                with Session(self.engine) as db:
                    spec = load_version(db, conversation_id, version).graph_spec()
                graph = self._remember(CompiledGraph(spec))
            return graph

    def _publish(self, conversation_id: int) -> CompiledGraph:
        try:
            with Session(self.engine, expire_on_commit=False) as db:
                published = publish(db, conversation_id, keep_last_good=True)
        except OperationalError as exc:
            raise PersistenceError(
                f"could not read or publish conversation {conversation_id!r} (is another session holding "
                f"uncommitted changes to the definitions?): {exc}"
            ) from exc
        if published.error is None:
            self.publish_errors.pop(conversation_id, None)
        else:
            self.publish_errors[conversation_id] = published.error
            logger.warning(
                "conversation %s: the current definition is not published, new sessions start on version %d: %s",
                conversation_id,
                published.version,
                published.error,
            )
        key = (published.conversation_id, published.version)
        with self._compile_lock(key):
            graph = self._versions.get(key)
            return graph if graph is not None else self._remember(CompiledGraph(published.graph_spec()))

    def _remember(self, graph: CompiledGraph) -> CompiledGraph:
        with self._lock:
            self._versions[(graph.conversation_id, graph.version)] = graph
        return graph

    def _compile_lock(self, key: tuple[int, int]) -> threading.Lock:
        """One lock per version: a graph is compiled once, and compiling one holds up no other."""
        with self._lock:
            lock = self._compiling.get(key)
            if lock is None:
                lock = self._compiling[key] = threading.Lock()
            return lock


_SHARED: weakref.WeakKeyDictionary[Engine, Graphs] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def graphs_of(engine: Engine) -> Graphs:
    """The process's compiled graphs for ``engine``: one :class:`Graphs` per engine, shared by its managers, gone
    with the engine."""
    with _SHARED_LOCK:
        graphs = _SHARED.get(engine)
        if graphs is None:
            graphs = _SHARED[engine] = Graphs(engine)
        return graphs


__all__ = ["Graphs", "Marker", "graphs_of", "read_marker"]
