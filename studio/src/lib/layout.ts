// Auto-layout: agents in layers along the direction of their transitions (dagre), so a flow reads left to right.
import { Graph, layout } from "@dagrejs/dagre";
import type { Position } from "../api/types";

export const NODE_WIDTH = 230;
export const NODE_HEIGHT = 104;

export interface LayoutEdge {
  id: number;
  source: number;
  target: number;
}

/** Top-left positions for every node, laid out by dagre (initial agent first when given). */
export function autoLayout(nodeIds: number[], edges: LayoutEdge[], initialId?: number | null): Record<number, Position> {
  const graph = new Graph({ multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 48, ranksep: 140, edgesep: 24, marginx: 20, marginy: 20 });
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
