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

/** Above this many transitions, layers come from a breadth-first walk (``layered``): dagre's own ranking of every
 * edge costs seconds on dense graphs (long edges become chains of dummy nodes). */
export const FULL_LAYOUT_MAX_EDGES = 80;

/** Breadth-first depth of every node from the initial one (then from each node not reached yet, in order), and
 * the edge that first reached it. */
export function bfsTree(nodeIds: number[], edges: LayoutEdge[], initialId?: number | null) {
  const out = new Map<number, number[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) if (e.source !== e.target) out.get(e.source)?.push(e.target);
  const depth = new Map<number, number>();
  const parent = new Map<number, number>();
  const roots = initialId != null && out.has(initialId) ? [initialId, ...nodeIds] : nodeIds;
  for (const root of roots) {
    if (depth.has(root)) continue;
    depth.set(root, 0);
    const queue = [root];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const next of out.get(node) ?? []) {
        if (depth.has(next)) continue;
        depth.set(next, depth.get(node)! + 1);
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return { depth, parent };
}

export type Direction = "LR" | "TB";

/** Top-left positions for every node, laid out by dagre left to right (or top to bottom), initial agent first. */
export function autoLayout(nodeIds: number[], edges: LayoutEdge[], initialId?: number | null, direction: Direction = "LR"): Record<number, Position> {
  const graph = new Graph({ multigraph: true });
  graph.setGraph(
    direction === "LR"
      ? { rankdir: "LR", nodesep: 70, ranksep: 170, edgesep: 30, marginx: 20, marginy: 20 }
      : { rankdir: "TB", nodesep: 90, ranksep: 110, edgesep: 30, marginx: 20, marginy: 20 },
  );
  graph.setDefaultEdgeLabel(() => ({}));
  const ordered = initialId != null && nodeIds.includes(initialId) ? [initialId, ...nodeIds.filter((n) => n !== initialId)] : nodeIds;
  for (const id of ordered) graph.setNode(String(id), { width: NODE_WIDTH, height: NODE_HEIGHT });
  const known = (e: LayoutEdge) => e.source !== e.target && graph.hasNode(String(e.source)) && graph.hasNode(String(e.target));
  if (edges.length > FULL_LAYOUT_MAX_EDGES) return layered(ordered, edges.filter(known), initialId, direction);
  for (const edge of edges.filter(known)) {
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

/** A dense graph in breadth-first layers from the initial agent, each agent next to where its first caller sits:
 * no crossing minimisation (dagre's costs a hundred milliseconds and more on a few hundred edges, and a dense graph
 * has its crossings whatever the order). */
function layered(nodeIds: number[], edges: LayoutEdge[], initialId: number | null | undefined, direction: Direction): Record<number, Position> {
  const { depth, parent } = bfsTree(nodeIds, edges, initialId);
  const layers: number[][] = [];
  const slot = new Map<number, number>();
  const byDepth = [...nodeIds].sort((a, b) => depth.get(a)! - depth.get(b)!); // stable: keeps the given order
  for (const id of byDepth) (layers[depth.get(id)!] ??= []).push(id);
  for (const layer of layers) {
    if (!layer) continue;
    layer.sort((a, b) => (slot.get(parent.get(a) ?? -1) ?? -1) - (slot.get(parent.get(b) ?? -1) ?? -1));
    layer.forEach((id, i) => slot.set(id, i));
  }
  const widest = Math.max(...layers.map((l) => l?.length ?? 0));
  const [rankStep, slotStep] = direction === "LR" ? [NODE_WIDTH + 170, NODE_HEIGHT + 70] : [NODE_HEIGHT + 110, NODE_WIDTH + 90];
  const positions: Record<number, Position> = {};
  layers.forEach((layer, rank) => {
    const offset = ((widest - (layer?.length ?? 0)) * slotStep) / 2; // each layer centred on the widest
    layer?.forEach((id, i) => {
      const [along, across] = [rank * rankStep, offset + i * slotStep];
      positions[id] = direction === "LR" ? { x: 20 + along, y: 20 + across } : { x: 20 + across, y: 20 + along };
    });
  });
  return positions;
}

/** The size of the box around laid-out nodes. */
export function extent(positions: Record<number, Position>): { width: number; height: number } {
  const all = Object.values(positions);
  if (!all.length) return { width: 0, height: 0 };
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  return { width: Math.max(...xs) - Math.min(...xs) + NODE_WIDTH, height: Math.max(...ys) - Math.min(...ys) + NODE_HEIGHT };
}

/** The layout, left to right or top to bottom, that shows the graph largest in a box of that size. */
export function fittingLayout(nodeIds: number[], edges: LayoutEdge[], initialId: number | null | undefined, box: { width: number; height: number }): Record<number, Position> {
  const across = autoLayout(nodeIds, edges, initialId, "LR");
  if (!box.width || !box.height) return across;
  const down = autoLayout(nodeIds, edges, initialId, "TB");
  const scale = (p: Record<number, Position>) => {
    const size = extent(p);
    return Math.min(box.width / size.width, box.height / size.height);
  };
  // left to right reads best: top to bottom only when it shows the graph clearly larger
  return scale(down) > scale(across) * 1.15 ? down : across;
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
