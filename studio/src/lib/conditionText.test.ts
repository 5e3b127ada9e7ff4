import type { Transition } from "../api/types";
import { describeCondition, shorten } from "./conditionText";
import { vocab } from "../test-fixtures";

const names = { agents: new Map([[1, "General"], [2, "Market"]]), tools: new Map([[7, "fit_ship"]]), vocabulary: vocab };

function t(condition_type: Transition["condition_type"], condition_data: Record<string, unknown>, extra: Partial<Transition> = {}) {
  return { condition_type, condition_data, tool_id: null, rules: null, ...extra };
}

test("user input conditions say what the user says and how it is matched", () => {
  expect(describeCondition(t("user_input", { pattern: "combat" }), names)).toBe('user says "combat"');
  expect(describeCondition(t("user_input", { pattern: "^fit", match: "regex" }), names)).toBe("user says /^fit/");
  expect(describeCondition(t("user_input", { pattern: "Yes", match: "exact", case_sensitive: true }), names)).toBe(
    'user says exactly "Yes" (case-sensitive)',
  );
});

test("tool results name the tool, the key, the comparison and the value", () => {
  const data = { result_key: "cost_isk", operator: "gte", expected_value: 1000000 };
  expect(describeCondition(t("tool_result", data, { tool_id: 7 }), names)).toBe("fit_ship cost_isk ≥ 1,000,000");
  expect(describeCondition(t("tool_result", { tool_name: "scan", operator: "exists" }), names)).toBe("scan result exists");
});

test("decisions, events, LiveKit events and CEL read as sentences", () => {
  expect(describeCondition(t("agent_decision", { decision_key: "transition_to" }), names)).toBe("agent decides");
  expect(describeCondition(t("agent_decision", { decision_key: "route", expected_value: "build" }), names)).toBe(
    'agent decides on route "build"',
  );
  expect(describeCondition(t("event", { event_type: "CUSTOM", event_data: { kind: "scan" } }), names)).toBe(
    'event custom with kind="scan"',
  );
  expect(describeCondition(t("livekit_event", { event_name: "participant_disconnected" }), names)).toBe(
    "LiveKit participant_disconnected",
  );
  expect(describeCondition(t("custom", { condition_code: "context.turn_count > 3" }), names)).toBe("when context.turn_count > 3");
});

test("business rules read as their conditions, nested groups in parentheses", () => {
  const rules = [
    {
      conditions: {
        all: [
          { name: "conversation_turn_count", operator: "greater_than", value: 1 },
          { any: [{ name: "user_input", operator: "contains", value: "market" }, { name: "user_input", operator: "contains", value: "price" }] },
        ],
      },
      actions: [{ name: "transition_to_agent", params: { agent_id: 2 } }],
    },
  ];
  expect(describeCondition(t("business_rules", {}, { rules }), names)).toBe(
    'conversation turn count greater than 1 and (user input contains "market" or user input contains "price")',
  );
  expect(describeCondition(t("business_rules", {}, { rules: [] }), names)).toBe("rules (none yet)");
});

test("long labels are cut with an ellipsis", () => {
  expect(shorten("short")).toBe("short");
  expect(shorten("x".repeat(60), 10)).toBe("xxxxxxxxx…");
});
