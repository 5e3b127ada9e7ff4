// Edges drawn between node borders ("floating"), bent apart when several join the same two agents and bent around
// agents they would cross; labels slid along their edge until they cover no agent and no other label. So every
// transition and its label stays visible whatever the layout (auto-laid or dragged by hand).

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

export interface Size {
  width: number;
  height: number;
}

export interface RouteEdge {
  id: string;
  source: string;
  target: string;
  /** The label's size on the canvas (estimated: labels are placed before they are drawn). */
  label: Size;
}

export interface Route extends EdgeShape {
  offset: number;
}

/** How far apart (px) the bends tried to get round an agent are. */
export const DETOUR_STEP = 44;
const DETOURS = 6;
const BIG_GRAPH = 200;
const SAMPLES = 14;
const CLEARANCE = 8;
const LABEL_GAP = 4;
/** Where along its edge (0 at the source, 1 at the target) a label is tried, best first. */
const LABEL_STOPS = [0.5, 0.4, 0.6, 0.32, 0.68, 0.25, 0.75, 0.18, 0.82];

/** A label's size from its text: the canvas's label style (11.5px type, padding, the priority and traffic chips). */
export function estimateLabel(text: string, extraChars = 0): Size {
  return { width: 22 + (text.length + extraChars) * 6.4, height: 21 }; // labels are shortened to 44 characters
}

function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function inflate(rect: Rect, by: number): Rect {
  return { x: rect.x - by, y: rect.y - by, width: rect.width + 2 * by, height: rect.height + 2 * by };
}

function contains(rect: Rect, p: Point): boolean {
  return p.x > rect.x && p.x < rect.x + rect.width && p.y > rect.y && p.y < rect.y + rect.height;
}

/** The point at ``t`` on the edge (a line, or a quadratic curve through its control point). */
function pointAt(shape: { start: Point; end: Point; control: Point | null }, t: number): Point {
  const { start, end, control } = shape;
  if (!control) return { x: start.x + (end.x - start.x) * t, y: start.y + (end.y - start.y) * t };
  const u = 1 - t;
  return { x: u * u * start.x + 2 * u * t * control.x + t * t * end.x, y: u * u * start.y + 2 * u * t * control.y + t * t * end.y };
}

function controlOf(source: Rect, target: Rect, offset: number): Point | null {
  if (!offset) return null;
  const a = centre(source);
  const b = centre(target);
  const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  return { x: (a.x + b.x) / 2 + (-(b.y - a.y) / length) * offset * 2, y: (a.y + b.y) / 2 + ((b.x - a.x) / length) * offset * 2 };
}

/** The ends and control point of the edge bent by ``offset`` (``edgeShape``'s, without drawing its path). */
function endsOf(source: Rect, target: Rect, offset: number): { start: Point; end: Point; control: Point | null } {
  if (source.x === target.x && source.y === target.y) {
    const shape = edgeShape(source, target, offset);
    return { start: shape.start, end: shape.end, control: controlOf(source, target, offset) };
  }
  const control = controlOf(source, target, offset);
  return { start: borderPoint(source, control ?? centre(target)), end: borderPoint(target, control ?? centre(source)), control };
}

/** How many agents (other than its ends) the edge bent by ``offset`` runs through. */
function crossings(source: Rect, target: Rect, offset: number, agents: BoxGrid, skip: readonly Rect[]): number {
  const shape = endsOf(source, target, offset);
  // a quadratic curve stays inside the triangle of its three points: only agents in that box can be hit
  const { start, end, control } = shape;
  const minX = Math.min(start.x, end.x, control?.x ?? start.x);
  const minY = Math.min(start.y, end.y, control?.y ?? start.y);
  const box = { x: minX, y: minY, width: Math.max(start.x, end.x, control?.x ?? start.x) - minX, height: Math.max(start.y, end.y, control?.y ?? start.y) - minY };
  let hits = 0;
  let points: Point[] | null = null;
  agents.forNear(box, (rect) => {
    if (rect === skip[0] || rect === skip[1] || !overlaps(box, rect)) return;
    points ??= Array.from({ length: SAMPLES }, (_, i) => pointAt(shape, (i + 1) / (SAMPLES + 1)));
    if (points.some((p) => contains(rect, p))) hits++;
  });
  return hits;
}

/** Boxes kept in square cells, so that a new box is compared with its neighbours only. */
class BoxGrid {
  private readonly cells = new Map<number, Rect[]>();
  /** When each box was last visited (``forNear``): a box in several cells is visited once, without a set per call. */
  private readonly visited = new Map<Rect, number>();
  private visit = 0;
  constructor(private readonly size = 160) {}

  private range(box: Rect): [number, number, number, number] {
    return [Math.floor(box.x / this.size), Math.floor((box.x + box.width) / this.size), Math.floor(box.y / this.size), Math.floor((box.y + box.height) / this.size)];
  }

  // cells by one number: the canvas spans far fewer than 2^20 cells each way
  private static key(i: number, j: number): number {
    return (i + 0x80000) * 0x100000 + (j + 0x80000);
  }

  add(box: Rect): void {
    const [i0, i1, j0, j1] = this.range(box);
    for (let i = i0; i <= i1; i++)
      for (let j = j0; j <= j1; j++) {
        const key = BoxGrid.key(i, j);
        const cell = this.cells.get(key);
        if (cell) cell.push(box);
        else this.cells.set(key, [box]);
      }
  }

  /** Each box sharing a cell with ``box``, once, in the order they were added to the first cell that has them. */
  forNear(box: Rect, visit: (other: Rect) => void): void {
    const [i0, i1, j0, j1] = this.range(box);
    if (i0 === i1 && j0 === j1) {
      for (const other of this.cells.get(BoxGrid.key(i0, j0)) ?? []) visit(other);
      return;
    }
    const stamp = ++this.visit;
    for (let i = i0; i <= i1; i++)
      for (let j = j0; j <= j1; j++)
        for (const other of this.cells.get(BoxGrid.key(i, j)) ?? []) {
          if (this.visited.get(other) === stamp) continue;
          this.visited.set(other, stamp);
          visit(other);
        }
  }
}

/**
 * Every edge's path and label point. Edges joining the same two agents are bent apart (``parallelOffsets``); an
 * edge that would run through another agent is bent further, one way or the other, until it clears every agent
 * (or crosses the fewest); then each label is slid along its edge to the first place where it covers no agent and
 * no label placed before it (edges listed first win). ``detours: false`` skips the bends round agents (while an
 * agent is being dragged: every frame reroutes).
 */
export function routeEdges(nodes: ReadonlyMap<string, Rect>, edges: readonly RouteEdge[], options: { detours?: boolean } = {}): Map<string, Route> {
  const detours = options.detours ?? true;
  const offsets = parallelOffsets(edges);
  const cleared = new Map([...nodes.entries()].map(([id, rect]) => [id, inflate(rect, CLEARANCE)]));
  const obstacles = new BoxGrid(240);
  for (const rect of cleared.values()) obstacles.add(rect);
  // on a big graph a few bends are tried, not many: the first page must stay quick
  const tries = edges.length > BIG_GRAPH ? 2 : DETOURS;
  const routes = new Map<string, Route & { control: Point | null }>();
  const selfSeen = new Map<string, number>();
  for (const e of edges) {
    const source = nodes.get(e.source);
    const target = nodes.get(e.target);
    if (!source || !target) continue;
    if (e.source === e.target) {
      const index = selfSeen.get(e.source) ?? 0;
      selfSeen.set(e.source, index + 1);
      routes.set(e.id, { ...edgeShape(source, source, 0, index), offset: 0, control: null });
      continue;
    }
    const ends = [cleared.get(e.source)!, cleared.get(e.target)!];
    const base = offsets.get(e.id) ?? 0;
    // bend away from the siblings' side first: a bent edge of a pair goes further out, never across the other
    const away = base < 0 ? -1 : 1;
    let best = base;
    let fewest = detours ? crossings(source, target, base, obstacles, ends) : 0;
    for (let k = 1; fewest > 0 && k <= tries; k++) {
      for (const offset of [base + away * k * DETOUR_STEP, base - away * k * DETOUR_STEP]) {
        const hits = crossings(source, target, offset, obstacles, ends);
        if (hits < fewest) {
          fewest = hits;
          best = offset;
          if (!hits) break;
        }
      }
    }
    routes.set(e.id, { ...edgeShape(source, target, best), offset: best, control: controlOf(source, target, best) });
  }
  const placed = new BoxGrid();
  const agents = new BoxGrid();
  for (const rect of nodes.values()) agents.add(inflate(rect, LABEL_GAP));
  for (const e of edges) {
    const route = routes.get(e.id);
    if (!route) continue;
    const boxAt = (p: Point): Rect => ({ x: p.x - e.label.width / 2, y: p.y - e.label.height / 2, width: e.label.width, height: e.label.height });
    const stops = e.source === e.target ? [null] : LABEL_STOPS;
    let chosen = route.label;
    let least = Infinity;
    for (const t of stops) {
      const point = t === null ? route.label : pointAt(route, t);
      const box = boxAt(point);
      const padded = inflate(box, LABEL_GAP);
      let cost = 0;
      placed.forNear(padded, (other) => {
        if (overlaps(padded, other)) cost += overlapArea(padded, other) + 1;
      });
      agents.forNear(box, (agent) => {
        if (overlaps(box, agent)) cost += overlapArea(box, agent) + 1;
      });
      if (cost < least) {
        least = cost;
        chosen = point;
        if (!cost) break;
      }
    }
    route.label = { x: r(chosen.x), y: r(chosen.y) };
    placed.add(boxAt(chosen));
  }
  const out = new Map<string, Route>();
  for (const [id, route] of routes) out.set(id, { path: route.path, label: route.label, start: route.start, end: route.end, offset: route.offset });
  return out;
}
