import { borderPoint, edgeShape, parallelOffsets, routeEdges } from "./edgeGeometry";

const box = { x: 0, y: 0, width: 200, height: 100 };

test("an edge leaves a node on its border, towards the other node", () => {
  expect(borderPoint(box, { x: 500, y: 50 })).toEqual({ x: 200, y: 50 });
  expect(borderPoint(box, { x: 100, y: -300 })).toEqual({ x: 100, y: 0 });
  const right = { x: 400, y: 0, width: 200, height: 100 };
  const shape = edgeShape(box, right);
  expect(shape.start).toEqual({ x: 200, y: 50 });
  expect(shape.end).toEqual({ x: 400, y: 50 });
  expect(shape.label).toEqual({ x: 300, y: 50 });
});

test("edges between the same two agents, either way, are bent apart", () => {
  const edges = [
    { id: "a", source: "1", target: "2" },
    { id: "b", source: "1", target: "2" },
    { id: "c", source: "2", target: "1" },
    { id: "d", source: "3", target: "4" },
  ];
  const offsets = parallelOffsets(edges);
  expect(offsets.get("d")).toBe(0);
  const right = { x: 400, y: 0, width: 200, height: 100 };
  const labels = ["a", "b"].map((id) => edgeShape(box, right, offsets.get(id)).label.y);
  labels.push(edgeShape(right, box, offsets.get("c")).label.y);
  expect(new Set(labels.map((y) => Math.round(y))).size).toBe(3);
});

test("a self-transition is drawn as a loop above its agent", () => {
  const shape = edgeShape(box, box);
  expect(shape.path.startsWith("M")).toBe(true);
  expect(shape.label.y).toBeLessThan(0);
});

const labelSize = { width: 120, height: 21 };
const rectsOf = (entries: [string, { x: number; y: number }][]) =>
  new Map(entries.map(([id, p]) => [id, { ...p, width: 200, height: 100 }]));

function boxesOverlap(a: { x: number; y: number }, b: { x: number; y: number }, size = labelSize): boolean {
  return Math.abs(a.x - b.x) < size.width && Math.abs(a.y - b.y) < size.height;
}

test("an edge that would run through another agent is bent around it", () => {
  // 1 -> 3 on a straight line through 2
  const nodes = rectsOf([
    ["1", { x: 0, y: 0 }],
    ["2", { x: 400, y: 0 }],
    ["3", { x: 800, y: 0 }],
  ]);
  const routes = routeEdges(nodes, [{ id: "a", source: "1", target: "3", label: labelSize }]);
  const route = routes.get("a")!;
  expect(route.offset).not.toBe(0);
  expect(route.path).toContain(" Q ");
  // the label sits clear of the agent in the middle
  const middle = nodes.get("2")!;
  const inside = route.label.x > middle.x && route.label.x < middle.x + middle.width && route.label.y > middle.y - labelSize.height / 2 && route.label.y < middle.y + middle.height + labelSize.height / 2;
  expect(inside).toBe(false);
});

test("labels of edges meeting at one agent do not cover each other, nor any agent", () => {
  // a fan: 1 -> 2, 1 -> 3, 1 -> 4, and the parallel 1 -> 2, 2 -> 1
  const nodes = rectsOf([
    ["1", { x: 0, y: 200 }],
    ["2", { x: 420, y: 0 }],
    ["3", { x: 420, y: 200 }],
    ["4", { x: 420, y: 400 }],
  ]);
  const edges = [
    { id: "a", source: "1", target: "2", label: labelSize },
    { id: "b", source: "1", target: "3", label: labelSize },
    { id: "c", source: "1", target: "4", label: labelSize },
    { id: "d", source: "1", target: "2", label: labelSize },
    { id: "e", source: "2", target: "1", label: labelSize },
  ];
  const routes = routeEdges(nodes, edges);
  const labels = edges.map((e) => routes.get(e.id)!.label);
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) expect(boxesOverlap(labels[i]!, labels[j]!), `labels ${edges[i]!.id} and ${edges[j]!.id}`).toBe(false);
  for (const label of labels)
    for (const rect of nodes.values()) {
      const covers = label.x + labelSize.width / 2 > rect.x && label.x - labelSize.width / 2 < rect.x + rect.width && label.y + labelSize.height / 2 > rect.y && label.y - labelSize.height / 2 < rect.y + rect.height;
      expect(covers).toBe(false);
    }
});

test("routing 500 transitions between 50 agents keeps every edge", () => {
  const nodes = new Map(Array.from({ length: 50 }, (_, i) => [String(i), { x: (i % 8) * 380, y: Math.floor(i / 8) * 170, width: 210, height: 104 }]));
  const edges = Array.from({ length: 500 }, (_, i) => ({ id: String(i), source: String(i % 50), target: String((i * 7 + 3) % 50), label: labelSize }));
  const routes = routeEdges(nodes, edges);
  expect(routes.size).toBe(500);
  for (const route of routes.values()) expect(route.path).toMatch(/^M [-\d.]+ [-\d.]+ /);
});
