import { vocab } from "../test-fixtures";
import {
  appendTo,
  countConditions,
  newCondition,
  newRule,
  nodeAt,
  parseValue,
  updateNode,
  withOperator,
  withVariable,
} from "./rules";


test("a new rule moves to the transition's target when the user says something", () => {
  expect(newRule(vocab, 2)).toEqual({
    conditions: { all: [{ name: "user_input", operator: "contains", value: "" }] },
    actions: [{ name: "transition_to_agent", params: { agent_id: 2 } }],
  });
});

test("changing the variable keeps an operator its type also has, and resets a value of another type", () => {
  const said = { name: "user_input", operator: "equal_to", value: "hi" };
  expect(withVariable(vocab, said, "conversation_turn_count")).toEqual({
    name: "conversation_turn_count",
    operator: "equal_to",
    value: 0,
  });
  expect(withVariable(vocab, said, "user_input_type")).toEqual({
    name: "user_input_type",
    operator: "contains",
    value: "question",
  });
  expect(withVariable(vocab, said, "is_first_turn")).toEqual({ name: "is_first_turn", operator: "is_true", value: null });
});

test("changing the operator keeps the value unless its input type changes", () => {
  const said = { name: "user_input", operator: "contains", value: "hi" };
  expect(withOperator(vocab, said, "equal_to").value).toBe("hi");
  expect(withOperator(vocab, said, "non_empty").value).toBeNull();
});

test("numbers typed in a numeric field become numbers; anything else stays text for the server to refuse", () => {
  expect(parseValue("numeric", "3")).toBe(3);
  expect(parseValue("numeric", "three")).toBe("three");
  expect(parseValue("numeric", "")).toBe("");
  expect(parseValue("text", "3")).toBe("3");
});

test("nested groups are edited by path without touching the original", () => {
  const top = { all: [newCondition(vocab)] };
  const withGroup = appendTo(top, [], { any: [] });
  const filled = appendTo(appendTo(withGroup, [1], newCondition(vocab)), [1], newCondition(vocab));
  expect(countConditions(filled)).toBe(3);
  const changed = updateNode(filled, [1, 0], () => ({ name: "user_input", operator: "contains", value: "price" }));
  expect(nodeAt(changed, [1, 0])).toEqual({ name: "user_input", operator: "contains", value: "price" });
  expect(nodeAt(filled, [1, 0])).toEqual({ name: "user_input", operator: "contains", value: "" });
  const removed = updateNode(changed, [1, 1], () => null);
  expect(countConditions(removed)).toBe(2);
  expect(top.all).toHaveLength(1);
});

test("switching a group between all and any keeps its items", () => {
  const top = { all: [newCondition(vocab), newCondition(vocab)] };
  const any = updateNode(top, [], (g) => ({ any: "all" in g ? g.all : [] }));
  expect("any" in any && any.any).toHaveLength(2);
});
