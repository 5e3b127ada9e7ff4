// What the inspector says beside its fields: lint findings placed at the field that fixes them, and an agent or a
// transition as plain text for a reader who cannot edit it.
import type { Agent, ConditionType, Finding, Tool } from "../api/types";

/** A transition field a lint finding can point at. */
export type TransitionField = "description";

/** The field that fixes a finding of this code, if one field does (the lint list focuses it). */
export function lintField(code: string): TransitionField | null {
  return code === "undescribed_decision" ? "description" : null;
}

/** The lint findings on transition ``id``, by the field that fixes them, less those the draft already fixes (lint
 * judges what is saved; a designer typing the description should not be told it is missing). */
export function fieldFindings(
  findings: readonly Finding[],
  id: number,
  draft: { condition_type: ConditionType; description: string },
): Partial<Record<TransitionField, string>> {
  const out: Partial<Record<TransitionField, string>> = {};
  for (const f of findings) {
    const field = f.severity === "info" ? null : lintField(f.code);
    if (!field || !f.transition_ids.includes(id)) continue;
    if (field === "description" && (draft.condition_type !== "agent_decision" || draft.description.trim())) continue;
    out[field] = out[field] ? `${out[field]}; ${f.message}` : f.message;
  }
  return out;
}

/** What the description of a transition is for, in the words of its condition type. */
export function descriptionHelp(type: ConditionType, target: string | undefined): string {
  return type === "agent_decision"
    ? `The LLM reads this to decide when to hand over to ${target ?? "the target"}: say when it should.`
    : "For people reading the flow (only an Agent decides transition's LLM reads it).";
}

/** A model as one line: "openai · gpt-4o-mini", "offline", or "none". */
export function modelText(provider: string, model: string | null): string {
  if (!provider || provider === "none") return "none";
  return model?.trim() ? `${provider} · ${model.trim()}` : provider;
}

/** The agent's tools by name (an id with no tool any more shows as such). */
export function toolNames(ids: readonly number[], tools: readonly Tool[]): string[] {
  const byId = new Map(tools.map((t) => [t.id, t.name]));
  return ids.map((id) => byId.get(id) ?? `tool #${id}`);
}

/** The agent's facts in reading order, as label and text, for the read-only inspector. */
export function agentFacts(agent: Agent, tools: readonly Tool[]): [string, string][] {
  return [
    ["Type", agent.agent_type.replace(/_/g, " ")],
    ["Active", agent.is_active ? "yes" : "no"],
    ["Description", agent.description?.trim() || "—"],
    ["LLM", modelText(agent.llm_provider, agent.llm_model)],
    ["STT", modelText(agent.stt_provider, agent.stt_model)],
    ["TTS", modelText(agent.tts_provider, agent.tts_model)],
    ["Tools", toolNames(agent.tool_ids, tools).join(", ") || "none"],
  ];
}
