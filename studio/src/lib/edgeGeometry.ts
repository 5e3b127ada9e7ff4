// Edges drawn between node borders ("floating"), bent apart when several join the same two agents, so every
// transition and its label stays visible whatever the layout.

export interface Rect {
  x: number; // top-left
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface EdgeShape {
  path: string;
  label: Point;
  start: Point;
  end: Point;
}

export const PARALLEL_SPACING = 64;

export function centre(rect: Rect): Point {
  return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
}

/** Where the line from the rectangle's centre towards ``towards`` leaves the rectangle. */
export function borderPoint(rect: Rect, towards: Point): Point {
  const c = centre(rect);
  const dx = towards.x - c.x;
  const dy = towards.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const sx = dx === 0 ? Infinity : rect.width / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : rect.height / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: c.x + dx * s, y: c.y + dy * s };
}

/** Offsets (perpendicular bends) for edges sharing a pair of nodes, in either direction. */
export function parallelOffsets(edges: readonly { id: string; source: string; target: string }[]): Map<string, number> {
  const groups = new Map<string, { id: string; flipped: boolean }[]>();
  for (const e of edges) {
    if (e.source === e.target) continue;
    const flipped = e.source > e.target;
    const key = flipped ? `${e.target}\u0000${e.source}` : `${e.source}\u0000${e.target}`;
    const group = groups.get(key) ?? [];
    group.push({ id: e.id, flipped });
    groups.set(key, group);
  }
  const offsets = new Map<string, number>();
  for (const group of groups.values()) {
    group.forEach((e, i) => {
      const canonical = (i - (group.length - 1) / 2) * PARALLEL_SPACING;
      // the bend is measured against the edge's own direction: flip it back for edges drawn the other way
      offsets.set(e.id, e.flipped ? -canonical : canonical);
    });
  }
  return offsets;
}

/** A quadratic curve between the borders of two nodes, bent by ``offset`` pixels; a loop for a self-edge. */
export function edgeShape(source: Rect, target: Rect, offset = 0, selfIndex = 0): EdgeShape {
  if (source === target || (source.x === target.x && source.y === target.y)) return loopShape(source, selfIndex);
  const a = centre(source);
  const b = centre(target);
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = Math.hypot(dx, dy) || 1;
  const normal = { x: -dy / length, y: dx / length };
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const control = { x: mid.x + normal.x * offset * 2, y: mid.y + normal.y * offset * 2 };
  const start = borderPoint(source, offset ? control : b);
  const end = borderPoint(target, offset ? control : a);
  const label = {
    x: 0.25 * start.x + 0.5 * control.x + 0.25 * end.x,
    y: 0.25 * start.y + 0.5 * control.y + 0.25 * end.y,
  };
  const path = offset
    ? `M ${r(start.x)} ${r(start.y)} Q ${r(control.x)} ${r(control.y)} ${r(end.x)} ${r(end.y)}`
    : `M ${r(start.x)} ${r(start.y)} L ${r(end.x)} ${r(end.y)}`;
  return { path, label, start, end };
}

function loopShape(rect: Rect, index: number): EdgeShape {
  const size = 46 + index * 22;
  const start = { x: rect.x + rect.width * 0.62, y: rect.y };
  const end = { x: rect.x + rect.width * 0.38, y: rect.y };
  const path = `M ${r(start.x)} ${r(start.y)} C ${r(start.x + size)} ${r(start.y - size * 1.6)} ${r(end.x - size)} ${r(end.y - size * 1.6)} ${r(end.x)} ${r(end.y)}`;
  return { path, label: { x: rect.x + rect.width / 2, y: rect.y - size * 1.2 }, start, end };
}

function r(value: number): number {
  return Math.round(value * 10) / 10;
}
