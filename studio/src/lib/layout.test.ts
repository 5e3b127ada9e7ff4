import { autoLayout, bfsTree, extent, fittingLayout, freeSpot, FULL_LAYOUT_MAX_EDGES, NODE_HEIGHT, NODE_WIDTH } from "./layout";

test("auto-layout puts each agent right of the agents that hand over to it", () => {
  const positions = autoLayout(
    [1, 2, 3, 4],
    [
      { id: 10, source: 1, target: 2 },
      { id: 11, source: 1, target: 3 },
      { id: 12, source: 2, target: 4 },
      { id: 13, source: 2, target: 4 },
      { id: 14, source: 4, target: 4 },
    ],
    1,
  );
  expect(Object.keys(positions)).toHaveLength(4);
  expect(positions[2]!.x).toBeGreaterThan(positions[1]!.x);
  expect(positions[3]!.x).toBeGreaterThan(positions[1]!.x);
  expect(positions[4]!.x).toBeGreaterThan(positions[2]!.x);
});

test("auto-layout never stacks two agents on one another", () => {
  const ids = Array.from({ length: 12 }, (_, i) => i + 1);
  const edges = ids.slice(1).map((id) => ({ id: 100 + id, source: 1, target: id }));
  const positions = autoLayout(ids, edges, 1);
  for (const a of ids)
    for (const b of ids) {
      if (a >= b) continue;
      const pa = positions[a]!;
      const pb = positions[b]!;
      const overlap = Math.abs(pa.x - pb.x) < NODE_WIDTH && Math.abs(pa.y - pb.y) < NODE_HEIGHT;
      expect(overlap, `agents ${a} and ${b} overlap`).toBe(false);
    }
});

test("a new agent goes where it overlaps nobody, as near as possible to where it was wanted", () => {
  expect(freeSpot({ x: 0, y: 0 }, [])).toEqual({ x: 0, y: 0 });
  const placed = [{ x: 0, y: 0 }, { x: 10, y: 140 }];
  const spot = freeSpot({ x: 5, y: 5 }, placed);
  for (const p of placed) expect(Math.abs(spot.x - p.x) >= NODE_WIDTH || Math.abs(spot.y - p.y) >= NODE_HEIGHT).toBe(true);
  expect(Math.hypot(spot.x, spot.y)).toBeLessThan(NODE_WIDTH * 2);
});

test("a dense graph is laid out in breadth-first layers from the initial agent", () => {
  const ids = Array.from({ length: 50 }, (_, i) => i + 1);
  const edges = ids.flatMap((id, i) => Array.from({ length: 10 }, (_, k) => ({ id: id * 100 + k, source: id, target: ids[(i + 1 + k) % 50]! })));
  expect(edges.length).toBeGreaterThan(FULL_LAYOUT_MAX_EDGES);
  const { depth } = bfsTree(ids, edges, 1);
  expect(depth.get(1)).toBe(0);
  expect(depth.get(11)).toBe(1);
  expect(depth.get(12)).toBe(2);
  const positions = autoLayout(ids, edges, 1);
  expect(positions[11]!.x).toBeGreaterThan(positions[1]!.x);
  expect(positions[12]!.x).toBeGreaterThan(positions[11]!.x);
  expect(new Set(ids.map((id) => `${positions[id]!.x},${positions[id]!.y}`)).size).toBe(50);
});

test("auto-layout picks the direction that shows the graph largest in the canvas", () => {
  const chain = [1, 2, 3, 4, 5];
  const edges = chain.slice(1).map((id) => ({ id: 100 + id, source: id - 1, target: id }));
  const wide = fittingLayout(chain, edges, 1, { width: 1600, height: 400 });
  expect(extent(wide).width).toBeGreaterThan(extent(wide).height); // left to right
  const tall = fittingLayout(chain, edges, 1, { width: 500, height: 1400 });
  expect(extent(tall).height).toBeGreaterThan(extent(tall).width); // top to bottom
  expect(tall[2]!.y).toBeGreaterThan(tall[1]!.y);
});
