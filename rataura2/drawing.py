"""Conversation graphs drawn as pictures (matplotlib): for people, so it lives in the shell, not in the core."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from rataura2.core.graph import CompiledGraph


def draw_graph(compiled: CompiledGraph, path: str | Path) -> Path:
    """Draw the graph to a PNG file: agents as nodes (the initial one highlighted), transitions as labelled
    arrows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    graph = compiled.graph
    pos = _layered_positions(compiled)
    width = 4 + 3.2 * (1 + max(x for x, _ in pos.values()))
    fig, ax = plt.subplots(figsize=(width, 2.2 + 2.0 * (1 + max(abs(y) for _, y in pos.values()) * 2)))
    colors = ["#f6c85f" if d["initial"] else "#9dd9f3" for _, d in graph.nodes(data=True)]
    nx.draw_networkx_nodes(graph, pos, node_size=2600, node_color=colors, edgecolors="#333", ax=ax)
    nx.draw_networkx_labels(graph, pos, {n: d["name"] for n, d in graph.nodes(data=True)}, font_size=9, ax=ax)
    seen: dict[tuple[int, int], int] = {}
    for u, v, _key, data in graph.edges(keys=True, data=True):
        index = seen[(u, v)] = seen.get((u, v), -1) + 1
        rad = 0.15 + 0.2 * index
        nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=[(u, v)],
            node_size=2600,
            arrowsize=18,
            connectionstyle=f"arc3,rad={rad}",
            edge_color="#555",
            ax=ax,
        )
        (x1, y1), (x2, y2) = pos[u], pos[v]
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        ax.text(
            mx + rad * (y2 - y1) / 2,
            my - rad * (x2 - x1) / 2,
            data["label"][:34],
            fontsize=7,
            ha="center",
            va="center",
            bbox={"boxstyle": "round", "fc": "white", "ec": "#ccc"},
        )
    ax.set_title(f"{compiled.spec.name} (version {compiled.spec.version})")
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def _layered_positions(compiled: CompiledGraph) -> dict[int, tuple[float, float]]:
    """Agents in columns by their distance from the initial agent (unreachable ones in a last column)."""
    start = compiled.spec.initial_agent_id
    layers = [list(layer) for layer in nx.bfs_layers(compiled.graph, [start])]
    placed = {n for layer in layers for n in layer}
    rest = [n for n in compiled.graph if n not in placed]
    if rest:
        layers.append(rest)
    pos: dict[int, tuple[float, float]] = {}
    for x, layer in enumerate(layers):
        for i, node in enumerate(sorted(layer)):
            pos[node] = (float(x), (len(layer) - 1) / 2 - i)
    return pos


__all__ = ["draw_graph"]
