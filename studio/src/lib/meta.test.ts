import { conditionOptions, fieldEnum, modelSuggestions, parseMeta, takesTriggers } from "./meta";

// what GET /api/v1/meta answers (pydantic's JSON Schemas of condition_data), in part
const meta = parseMeta({
  enums: { llm_provider: ["offline", "openai"] },
  conditions: {
    user_input: { properties: { pattern: { type: "string" }, match: { enum: ["contains", "exact"], default: "contains" } } },
    tool_result: { properties: { operator: { anyOf: [{ enum: ["eq", "gt"], type: "string" }, { type: "null" }] } } },
    event: {
      $defs: { EventType: { enum: ["user_message", "custom"] } },
      properties: { event_type: { $ref: "#/$defs/EventType" }, triggers: { anyOf: [{ type: "array" }, { type: "null" }] } },
    },
  },
  models: { llm: { openai: ["gpt-4.1-mini"] } },
  features: { chat: true },
});

test("condition field options come from the server's schemas: inline, optional (anyOf) and by reference", () => {
  expect(fieldEnum(meta.conditions.user_input, "match")).toEqual(["contains", "exact"]);
  expect(conditionOptions(meta, "tool_result", "operator")).toEqual(["eq", "gt"]);
  expect(conditionOptions(meta, "event", "event_type")).toEqual(["user_message", "custom"]);
  expect(conditionOptions(meta, "user_input", "pattern", ["fallback"])).toEqual(["fallback"]);
  expect(takesTriggers(meta, "event")).toBe(true);
  expect(takesTriggers(meta, "user_input")).toBe(false);
});

test("model suggestions are by kind and provider; features default to off", () => {
  expect(modelSuggestions(meta, "llm", "openai")).toEqual(["gpt-4.1-mini"]);
  expect(modelSuggestions(meta, "llm", "anthropic")).toEqual([]);
  expect(meta.features).toEqual({ chat: true, session_versions: false, editors_run_sessions: false });
});
