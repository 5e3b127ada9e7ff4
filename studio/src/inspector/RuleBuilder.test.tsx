// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import type { Rule } from "../api/types";
import { ApiError } from "../api/errors";
import { newRule } from "../lib/rules";
import { vocab } from "../test-fixtures";
import { RuleBuilder } from "./RuleBuilder";

function Harness({ onRules, error }: { onRules: (r: Rule[]) => void; error?: ApiError }) {
  const [rules, setRules] = useState<Rule[]>([newRule(vocab, 2)]);
  return (
    <RuleBuilder
      rules={rules}
      vocabulary={vocab}
      targetAgentId={2}
      editable
      error={error ?? null}
      onChange={(r) => {
        setRules(r);
        onRules(r);
      }}
    />
  );
}

test("a designer builds any-of inside all-of, with operators and values by field type", () => {
  let last: Rule[] = [];
  render(<Harness onRules={(r) => (last = r)} />);
  const rule = screen.getByRole("region", { name: "Rule 1" });
  fireEvent.change(within(rule).getByLabelText("Value"), { target: { value: "market" } });
  fireEvent.click(within(rule).getByRole("button", { name: "+ Group" }));
  const groups = within(rule).getAllByTestId("condition-group");
  expect(groups[1]).toHaveAttribute("data-kind", "any");
  const inner = within(groups[1]!);
  fireEvent.change(inner.getByLabelText("Variable"), { target: { value: "conversation_turn_count" } });
  // a numeric variable offers numeric operators only, and its value is a number
  expect(inner.getAllByRole("option").map((o) => o.textContent)).toContain("greater than");
  expect(inner.queryByRole("option", { name: "contains" })).toBeNull();
  fireEvent.change(inner.getByLabelText("Operator"), { target: { value: "greater_than" } });
  fireEvent.change(inner.getByLabelText("Value"), { target: { value: "2" } });
  expect(last[0]!.conditions).toEqual({
    all: [
      { name: "user_input", operator: "contains", value: "market" },
      { any: [{ name: "conversation_turn_count", operator: "greater_than", value: 2 }] },
    ],
  });
  expect(last[0]!.actions).toEqual([{ name: "transition_to_agent", params: { agent_id: 2 } }]);
});

test("an action's parameters follow the action; the agent pick-list names agents", () => {
  let last: Rule[] = [];
  render(<Harness onRules={(r) => (last = r)} />);
  const rule = screen.getByRole("region", { name: "Rule 1" });
  expect(within(rule).getByLabelText("Agent")).toHaveDisplayValue("B (this transition's target)");
  fireEvent.click(within(rule).getByRole("button", { name: "+ Action" }));
  const actions = within(rule).getAllByTestId("action");
  fireEvent.change(within(actions[1]!).getByLabelText("Key"), { target: { value: "topic" } });
  fireEvent.change(within(actions[1]!).getByLabelText("Value"), { target: { value: "market" } });
  expect(last[0]!.actions[1]).toEqual({ name: "set_context_value", params: { key: "topic", value: "market" } });
});

test("the API's messages about a rule are shown on that rule", () => {
  const error = new ApiError(422, "invalid", [{ path: "rules.0.actions.0", message: "rule 1, action 1: agent 9 is not in this conversation" }]);
  render(<Harness onRules={() => undefined} error={error} />);
  const rule = screen.getByRole("region", { name: "Rule 1" });
  expect(within(rule).getByRole("alert")).toHaveTextContent("agent 9 is not in this conversation");
});
