"""The brief's "graph manager": :class:`AgentGraphManager` is the compiled graph (:class:`CompiledGraph`) with the
conveniences the original offered on it: loading from the database and drawing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from rataura2.core.graph import CompiledGraph, CompiledTransition, Evaluation, TransitionMatch, edge_label
from rataura2.db.loader import load_graph_spec
from rataura2.drawing import draw_graph


class AgentGraphManager(CompiledGraph):
    """A compiled conversation graph (see :class:`CompiledGraph`), loadable and drawable in one place."""

    @classmethod
    def load(cls, db: Session, conversation: int | str) -> AgentGraphManager:
        return cls(load_graph_spec(db, conversation))

    def draw(self, path: str | Path) -> Path:
        return draw_graph(self, path)


__all__ = ["AgentGraphManager", "CompiledGraph", "CompiledTransition", "Evaluation", "TransitionMatch", "edge_label"]
