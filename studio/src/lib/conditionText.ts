// A transition's condition in words, for edge labels, lists and the timeline.
import type { ConditionNode, Rule, Transition, Vocabulary } from "../api/types";
import { groupItems, groupKind, isGroup } from "./rules";

export interface Names {
  agents: ReadonlyMap<number, string>;
  tools: ReadonlyMap<number, string>;
  vocabulary?: Vocabulary | null;
}

const TOOL_OPERATORS: Record<string, string> = {
  eq: "=",
  neq: "≠",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  contains: "contains",
  not_contains: "does not contain",
  in: "is one of",
  exists: "exists",
  regex: "matches",
};

export function formatValue(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en-US") : String(value);
  if (value === null || value === undefined) return "nothing";
  return JSON.stringify(value);
}

function formatData(data: unknown): string {
  if (!data || typeof data !== "object" || Object.keys(data).length === 0) return "";
  const parts = Object.entries(data as Record<string, unknown>).map(([k, v]) => `${k}=${formatValue(v)}`);
  return ` with ${parts.join(", ")}`;
}

function str(value: unknown): string {
  return value === undefined || value === null ? "" : String(value);
}

/** The condition of a transition in words: `user says "combat"`, `fit_ship cost_isk ≥ 1,000,000`, ... */
export function describeCondition(t: Pick<Transition, "condition_type" | "condition_data" | "tool_id" | "rules">, names: Names): string {
  const data = t.condition_data ?? {};
  switch (t.condition_type) {
    case "user_input": {
      const pattern = str(data.pattern);
      const match = str(data.match) || "contains";
      const cased = data.case_sensitive ? " (case-sensitive)" : "";
      if (match === "regex") return `user says /${pattern}/${cased}`;
      if (match === "exact") return `user says exactly "${pattern}"${cased}`;
      if (match === "startswith") return `user starts with "${pattern}"${cased}`;
      return `user says "${pattern}"${cased}`;
    }
    case "tool_result": {
      const tool =
        str(data.tool_name) ||
        (typeof data.tool_id === "number" ? names.tools.get(data.tool_id) : undefined) ||
        (t.tool_id !== null ? names.tools.get(t.tool_id) : undefined) ||
        "a tool";
      const subject = data.result_key ? `${tool} ${str(data.result_key)}` : `${tool} result`;
      const operator = str(data.operator) || "eq";
      if (operator === "exists") return `${subject} exists`;
      return `${subject} ${TOOL_OPERATORS[operator] ?? operator} ${formatValue(data.expected_value)}`;
    }
    case "agent_decision": {
      const key = str(data.decision_key);
      const on = key && key !== "transition_to" ? ` on ${key}` : "";
      const value = data.expected_value === undefined || data.expected_value === null ? "" : ` ${formatValue(data.expected_value)}`;
      return `agent decides${on}${value}`;
    }
    case "event": {
      const since = data.scope === "since_entered" ? " (since entering)" : "";
      return `event ${str(data.event_type).toLowerCase()}${formatData(data.event_data)}${since}`;
    }
    case "livekit_event":
      return `LiveKit ${str(data.event_name)}${formatData(data.event_data)}`;
    case "custom":
      return `when ${str(data.condition_code)}`;
    case "business_rules":
      return describeRules(t.rules ?? [], names);
    default:
      return String(t.condition_type);
  }
}

export function describeRules(rules: Rule[], names: Names): string {
  if (rules.length === 0) return "rules (none yet)";
  return rules.map((r) => describeNode(r.conditions, names, true)).join(" or ");
}

function describeNode(node: ConditionNode, names: Names, top: boolean): string {
  if (isGroup(node)) {
    const items = groupItems(node);
    if (items.length === 0) return groupKind(node) === "all" ? "always" : "never";
    const text = items.map((child) => describeNode(child, names, false)).join(groupKind(node) === "all" ? " and " : " or ");
    return top || items.length === 1 ? text : `(${text})`;
  }
  const vocab = names.vocabulary;
  const variable = vocab?.variables.find((v) => v.name === node.name);
  const operator = variable ? vocab?.variable_type_operators[variable.field_type]?.find((o) => o.name === node.operator) : undefined;
  const subject = (variable?.label ?? node.name.replace(/_/g, " ")).toLowerCase();
  const verb = (operator?.label ?? node.operator.replace(/_/g, " ")).toLowerCase();
  if (operator?.input_type === "none" || node.value === null) return `${subject} ${verb}`;
  return `${subject} ${verb} ${formatValue(node.value)}`;
}

/** A label short enough for the canvas; the full text goes in a tooltip. */
export function shorten(text: string, max = 44): string {
  return text.length <= max ? text : text.slice(0, max - 1).trimEnd() + "…";
}
