import type { Agent, Transition } from "../api/types";
import { changedFields } from "./AgentForm";
import { toSave } from "./TransitionForm";

const agent: Agent = {
  id: 1, name: "General", description: null, instructions: "Hi", agent_type: "general", llm_provider: "offline", llm_model: "echo",
  stt_provider: "none", stt_model: null, tts_provider: "none", tts_model: null, config: null, is_active: true, tool_ids: [],
  position: null, is_initial: true,
};

test("saving an agent sends only what changed; an emptied model becomes null", () => {
  expect(changedFields(agent, { ...agent })).toEqual({});
  expect(changedFields(agent, { ...agent, name: "Front desk", llm_model: " ", tool_ids: [3] })).toEqual({ name: "Front desk", llm_model: null, tool_ids: [3] });
});

const transition: Transition = {
  id: 5, source_agent_id: 1, target_agent_id: 2, condition_type: "agent_decision", condition_data: { decision_key: "transition_to" },
  priority: 0, description: null, tool_id: null, rules: null,
};

test("saving a transition sends the changed fields and cleaned condition data", () => {
  const draft = { target_agent_id: 2, condition_type: "user_input" as const, data: { pattern: "bill", match: "contains", case_sensitive: false, stale: 1 }, tool_id: null, priority: 5, description: "", rules: [] };
  expect(toSave(transition, draft)).toEqual({
    patch: { condition_type: "user_input", condition_data: { pattern: "bill", match: "contains", case_sensitive: false }, priority: 5 },
    rules: null,
  });
});

test("a transition turned into business rules carries its rule set", () => {
  const rules = [{ conditions: { all: [] }, actions: [{ name: "transition_to_agent", params: { agent_id: 2 } }] }];
  const save = toSave(transition, { target_agent_id: 2, condition_type: "business_rules", data: {}, tool_id: null, priority: 0, description: "", rules });
  expect(save.rules).toEqual(rules);
  expect(save.patch.condition_type).toBe("business_rules");
});
