import { emptyHistory, record, redo, undo } from "./history";

test("undo walks back, redo forward, and a new change forgets what was undone", () => {
  let h = record(record(record(emptyHistory<string>(), "a"), "b"), "c");
  const [first, h1] = undo(h)!;
  expect(first).toBe("c");
  const [second, h2] = undo(h1)!;
  expect(second).toBe("b");
  const [again, h3] = redo(h2)!;
  expect(again).toBe("b");
  expect(h3.past).toEqual(["a", "b"]);
  expect(h3.future).toEqual(["c"]);
  h = record(h3, "d");
  expect(h.future).toEqual([]);
  expect(redo(h)).toBeNull();
});

test("nothing to undo on a fresh history; the past is bounded", () => {
  expect(undo(emptyHistory())).toBeNull();
  let h = emptyHistory<number>();
  for (let i = 0; i < 10; i++) h = record(h, i, 3);
  expect(h.past).toEqual([7, 8, 9]);
});
