import { cleanData, formatLooseValue, initialData, parseLooseValue } from "./conditionForms";

test("values typed as text read as JSON when they are JSON, as text otherwise", () => {
  expect(parseLooseValue("1000000")).toBe(1000000);
  expect(parseLooseValue("true")).toBe(true);
  expect(parseLooseValue('{"a": 1}')).toEqual({ a: 1 });
  expect(parseLooseValue("Rifter")).toBe("Rifter");
  expect(parseLooseValue('"42"')).toBe("42");
  expect(parseLooseValue("  ")).toBeUndefined();
});

test("a string that looks like a number keeps its quotes when shown, so it stays a string", () => {
  for (const value of ["42", "Rifter", 42, true, { a: [1] }]) expect(parseLooseValue(formatLooseValue(value))).toEqual(value);
});

test("new conditions start with their defaults; saved data drops what was left empty", () => {
  expect(initialData("user_input")).toEqual({ match: "contains", case_sensitive: false });
  expect(cleanData("tool_result", { result_key: "", operator: "gte", expected_value: 5, stray: 1 })).toEqual({
    operator: "gte",
    expected_value: 5,
  });
  expect(cleanData("event", { event_type: "custom", event_data: {} })).toEqual({ event_type: "custom" });
});

test("triggers are kept where the condition reads state, and dropped where they would be refused", () => {
  expect(cleanData("custom", { condition_code: "context.vip", triggers: ["context_update"] })).toEqual({ condition_code: "context.vip", triggers: ["context_update"] });
  expect(cleanData("custom", { condition_code: "context.vip", triggers: [] })).toEqual({ condition_code: "context.vip" });
  expect(cleanData("business_rules", { triggers: ["user_message"], stray: 1 })).toEqual({ triggers: ["user_message"] });
  // an event condition takes triggers only with scope since_entered (the API refuses them otherwise)
  expect(cleanData("event", { event_type: "custom", triggers: ["user_message"] })).toEqual({ event_type: "custom" });
  expect(cleanData("event", { event_type: "custom", scope: "since_entered", triggers: ["user_message"] })).toEqual({
    event_type: "custom",
    scope: "since_entered",
    triggers: ["user_message"],
  });
});
