// Auto-layout: agents in layers along the direction of their transitions (dagre), so a flow reads left to right.
import { Graph, layout } from "@dagrejs/dagre";
import type { Position } from "../api/types";

export const NODE_WIDTH = 210;
export const NODE_HEIGHT = 104;

export interface LayoutEdge {
  id: number;
  source: number;
  target: number;
}

/** Top-left positions for every node, laid out by dagre (initial agent first when given). */
export function autoLayout(nodeIds: number[], edges: LayoutEdge[], initialId?: number | null): Record<number, Position> {
  const graph = new Graph({ multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 70, ranksep: 170, edgesep: 30, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  const ordered = initialId != null && nodeIds.includes(initialId) ? [initialId, ...nodeIds.filter((n) => n !== initialId)] : nodeIds;
  for (const id of ordered) graph.setNode(String(id), { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) {
    if (edge.source === edge.target) continue; // a self-loop does not affect layers
    if (!graph.hasNode(String(edge.source)) || !graph.hasNode(String(edge.target))) continue;
    graph.setEdge(String(edge.source), String(edge.target), { width: 120, height: 24, labelpos: "c" }, String(edge.id));
  }
  layout(graph);
  const positions: Record<number, Position> = {};
  for (const id of nodeIds) {
    const node = graph.node(String(id));
    positions[id] = { x: Math.round(node.x - NODE_WIDTH / 2), y: Math.round(node.y - NODE_HEIGHT / 2) };
  }
  return positions;
}

/** Where a node without a saved position goes: right of everything placed, stacked. */
export function nextFreePosition(placed: Position[], index = 0): Position {
  if (placed.length === 0) return { x: 40 + index * 40, y: 40 + index * (NODE_HEIGHT + 40) };
  const maxX = Math.max(...placed.map((p) => p.x));
  const minY = Math.min(...placed.map((p) => p.y));
  return { x: maxX + NODE_WIDTH + 120, y: minY + index * (NODE_HEIGHT + 40) };
}

/** The nearest place to ``wanted`` (a top-left corner) where a new node overlaps none of ``placed``. */
export function freeSpot(wanted: Position, placed: Position[], gap = 30): Position {
  const clear = (p: Position) =>
    placed.every((q) => Math.abs(p.x - q.x) >= NODE_WIDTH + gap || Math.abs(p.y - q.y) >= NODE_HEIGHT + gap);
  const stepX = NODE_WIDTH + gap;
  const stepY = NODE_HEIGHT + gap;
  for (let ring = 0; ring < 30; ring++) {
    const candidates: Position[] = [];
    for (let dx = -ring; dx <= ring; dx++)
      for (let dy = -ring; dy <= ring; dy++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        candidates.push({ x: Math.round(wanted.x + dx * stepX), y: Math.round(wanted.y + dy * stepY) });
      }
    candidates.sort((a, b) => Math.hypot(a.x - wanted.x, a.y - wanted.y) - Math.hypot(b.x - wanted.x, b.y - wanted.y));
    const found = candidates.find(clear);
    if (found) return found;
  }
  return wanted;
}
