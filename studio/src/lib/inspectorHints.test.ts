import type { Agent, Finding, Tool } from "../api/types";
import { agentFacts, descriptionHelp, fieldFindings, lintField, modelText, toolNames } from "./inspectorHints";

const undescribed: Finding = {
  severity: "warning",
  code: "undescribed_decision",
  message: "Front desk → Billing (agent decides) has no description",
  agent_ids: [1],
  transition_ids: [5],
};
const unreachable: Finding = { severity: "warning", code: "unreachable_agent", message: "Sales is unreachable", agent_ids: [3], transition_ids: [] };

test("an undescribed decision points at the description; other findings at no field", () => {
  expect(lintField("undescribed_decision")).toBe("description");
  expect(lintField("unreachable_agent")).toBeNull();
});

test("the description warning shows on its transition while the draft has no description", () => {
  const empty = { condition_type: "agent_decision" as const, description: "" };
  expect(fieldFindings([undescribed, unreachable], 5, empty)).toEqual({ description: undescribed.message });
  expect(fieldFindings([undescribed], 6, empty)).toEqual({}); // another transition's finding
  expect(fieldFindings([{ ...undescribed, severity: "info" }], 5, empty)).toEqual({});
});

test("a draft that fixes the finding hides it before it is saved", () => {
  expect(fieldFindings([undescribed], 5, { condition_type: "agent_decision", description: "  the caller asks about invoices " })).toEqual({});
  expect(fieldFindings([undescribed], 5, { condition_type: "user_input", description: "" })).toEqual({});
  expect(fieldFindings([undescribed], 5, { condition_type: "agent_decision", description: "   " })).toEqual({ description: undescribed.message });
});

test("the description's help says who reads it", () => {
  expect(descriptionHelp("agent_decision", "Billing")).toContain("LLM reads this to decide when to hand over to Billing");
  expect(descriptionHelp("user_input", "Billing")).toMatch(/^For people reading the flow/);
});

const tools: Tool[] = [{ id: 7, name: "fit_ship", function_name: "fit_ship", description: null, parameters_schema: null, is_active: true } as Tool];
const agent: Agent = {
  id: 1, name: "Front desk", description: "  ", instructions: "Greet.", agent_type: "triage_agent", llm_provider: "openai", llm_model: "gpt-4o-mini",
  stt_provider: "deepgram", stt_model: null, tts_provider: "none", tts_model: "ignored", config: null, is_active: false, tool_ids: [7, 9],
  position: null, is_initial: true,
};

test("models, tools and the agent's facts read as text", () => {
  expect(modelText("openai", " gpt-4o-mini ")).toBe("openai · gpt-4o-mini");
  expect(modelText("deepgram", null)).toBe("deepgram");
  expect(modelText("none", "x")).toBe("none");
  expect(toolNames([7, 9], tools)).toEqual(["fit_ship", "tool #9"]);
  expect(Object.fromEntries(agentFacts(agent, tools))).toEqual({
    Type: "triage agent",
    Active: "no",
    Description: "—",
    LLM: "openai · gpt-4o-mini",
    STT: "deepgram",
    TTS: "none",
    Tools: "fit_ship, tool #9",
  });
  expect(agentFacts({ ...agent, tool_ids: [] }, tools).find(([label]) => label === "Tools")).toEqual(["Tools", "none"]);
});
