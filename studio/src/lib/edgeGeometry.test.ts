import { borderPoint, edgeShape, parallelOffsets } from "./edgeGeometry";

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
