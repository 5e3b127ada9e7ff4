// The transition form of each condition type: which fields `condition_data` takes and how they are edited (the
// README's table of conditions). Business rules have their own builder. The options of select fields come from the
// server (GET /api/v1/meta, the conditions' own schemas); the lists here are what the form offers without it.
import type { ConditionType } from "../api/types";

export type FieldKind = "text" | "select" | "checkbox" | "value" | "json" | "code" | "tool" | "triggers";

export interface FieldSpec {
  key: string;
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  placeholder?: string;
  help?: string;
  required?: boolean;
  initial?: unknown;
  /** Options are the server's enum of that name (GET /api/v1/meta: event_type, livekit_event), less ``exclude``. */
  optionsFromEnum?: string;
  exclude?: readonly string[];
  /** Shown (and saved) only when the data says so (triggers of an event condition: only with since_entered). */
  when?: (data: Record<string, unknown>) => boolean;
}

/** The events a state condition is evaluated on; empty: the default ones. */
const TRIGGERS: FieldSpec = {
  key: "triggers",
  label: "Evaluated on",
  kind: "triggers",
  help: "The events on which this condition is checked. None chosen: the default ones.",
};
const SINCE_ENTERED = (data: Record<string, unknown>) => data.scope === "since_entered";

export interface ConditionForm {
  label: string;
  help: string;
  fields: FieldSpec[];
}

export const TOOL_OPERATORS = ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "not_contains", "in", "exists", "regex"] as const;

export const LIVEKIT_EVENTS = [
  "participant_connected",
  "participant_disconnected",
  "connected",
  "disconnected",
  "user_state_changed",
  "agent_state_changed",
  "error",
  "close",
] as const;

export const CONDITION_FORMS: Record<ConditionType, ConditionForm> = {
  user_input: {
    label: "User says",
    help: "Fires on a user message that matches the pattern.",
    fields: [
      { key: "pattern", label: "Pattern", kind: "text", required: true, placeholder: "e.g. invoice" },
      { key: "match", label: "Match", kind: "select", options: ["contains", "exact", "startswith", "regex"], initial: "contains" },
      { key: "case_sensitive", label: "Case-sensitive", kind: "checkbox", initial: false },
    ],
  },
  tool_result: {
    label: "Tool result",
    help: "Fires when a tool's result compares as given.",
    fields: [
      { key: "tool", label: "Tool", kind: "tool", required: true },
      { key: "result_key", label: "Result key", kind: "text", placeholder: "dotted path, e.g. order.total", help: "Empty: the whole result." },
      { key: "operator", label: "Operator", kind: "select", options: TOOL_OPERATORS, initial: "eq" },
      { key: "expected_value", label: "Expected value", kind: "value", placeholder: "text, a number, true, or JSON" },
      { key: "on_error", label: "On a failed call (compares its error text)", kind: "checkbox", initial: false },
    ],
  },
  agent_decision: {
    label: "Agent decides",
    help: "Fires when the agent's LLM decides to hand over (its transfer tool), optionally with a given value.",
    fields: [
      { key: "decision_key", label: "Decision key", kind: "text", initial: "transition_to" },
      { key: "expected_value", label: "Expected value", kind: "value", placeholder: "empty: the target agent's name or id" },
    ],
  },
  event: {
    label: "Event",
    help: "Fires on an event of that type (and data), or any since entering this agent.",
    fields: [
      { key: "event_type", label: "Event type", kind: "select", optionsFromEnum: "event_type", exclude: ["transition"], required: true, initial: "custom" },
      { key: "event_data", label: "Event data (subset, JSON)", kind: "json", placeholder: '{"kind": "scan"}' },
      { key: "scope", label: "Scope", kind: "select", options: ["event", "since_entered"], initial: "event", help: "since_entered: any such event since the session entered this agent." },
      { ...TRIGGERS, when: SINCE_ENTERED },
    ],
  },
  livekit_event: {
    label: "LiveKit event",
    help: "Fires on an event reported by LiveKit (room or agent session).",
    fields: [
      { key: "event_name", label: "Event name", kind: "text", options: LIVEKIT_EVENTS, optionsFromEnum: "livekit_event", required: true, initial: "participant_disconnected" },
      { key: "event_data", label: "Event data (subset, JSON)", kind: "json" },
      { key: "scope", label: "Scope", kind: "select", options: ["event", "since_entered"], initial: "event" },
      { ...TRIGGERS, when: SINCE_ENTERED },
    ],
  },
  business_rules: { label: "Business rules", help: "Fires when a rule's conditions hold and it moves to this transition's target.", fields: [TRIGGERS] },
  custom: {
    label: "CEL expression",
    help: "Fires when the expression over `context` and `event` is true. It reads data; it cannot run code.",
    fields: [
      { key: "condition_code", label: "Expression", kind: "code", required: true, placeholder: 'context.turn_count >= 3 && context.user_input.contains("bye")' },
      TRIGGERS,
    ],
  },
};

export const CONDITION_TYPES = Object.keys(CONDITION_FORMS) as ConditionType[];

/** The data a condition type starts with: each field's initial value. */
export function initialData(type: ConditionType): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of CONDITION_FORMS[type].fields) if (field.initial !== undefined && field.kind !== "tool") data[field.key] = field.initial;
  return data;
}

/** A value typed as text: JSON when it reads as JSON (numbers, true/false, null, objects, "quoted"), else the text. */
export function parseLooseValue(raw: string): unknown {
  const text = raw.trim();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return raw;
  }
}

export function formatLooseValue(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") {
    // a string that would read back as something else keeps its quotes
    return parseLooseValue(value) === value ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** The fields of a condition type that apply to this data (the triggers of an event condition need since_entered). */
export function fieldsFor(type: ConditionType, data: Record<string, unknown>): FieldSpec[] {
  return CONDITION_FORMS[type].fields.filter((f) => !f.when || f.when(data));
}

/** Drop empty optional fields and fields that do not apply, so the stored data says only what the designer set. */
export function cleanData(type: ConditionType, data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set(fieldsFor(type, data).map((f) => f.key));
  for (const [key, value] of Object.entries(data)) {
    if (!known.has(key)) continue;
    if (value === undefined || value === "") continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}
