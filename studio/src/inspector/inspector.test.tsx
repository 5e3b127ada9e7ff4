// @vitest-environment jsdom
import "@testing-library/jest-dom/vitest";
import { fireEvent, render, screen, within } from "@testing-library/react";
import type { Agent, Conversation, Finding, Transition } from "../api/types";
import { describeCondition } from "../lib/conditionText";
import { ConversationForm } from "./ConversationForm";
import { AgentText, TransitionText } from "./ReadOnly";
import { TransitionForm } from "./TransitionForm";

const base: Omit<Agent, "id" | "name"> = {
  description: null, instructions: "Greet the customer.\n\nThen ask what they need.", agent_type: "general", llm_provider: "offline", llm_model: "echo",
  stt_provider: "none", stt_model: null, tts_provider: "none", tts_model: null, config: null, is_active: true, tool_ids: [], position: null, is_initial: false,
};
const agents: Agent[] = [
  { ...base, id: 1, name: "Front desk", is_initial: true },
  { ...base, id: 2, name: "Billing" },
];
const fresh: Transition = {
  id: 5, source_agent_id: 1, target_agent_id: 2, condition_type: "agent_decision", condition_data: { decision_key: "transition_to" },
  priority: 0, description: null, tool_id: null, rules: null,
};
const names = { agents: new Map(agents.map((a) => [a.id, a.name])), tools: new Map<number, string>(), vocabulary: null };
const describe = (t: Transition) => describeCondition(t, names);
const undescribed: Finding = { severity: "warning", code: "undescribed_decision", message: "has no description", agent_ids: [1], transition_ids: [5] };

function form(props: Partial<Parameters<typeof TransitionForm>[0]> = {}) {
  return (
    <TransitionForm
      transition={fresh}
      agents={agents}
      tools={[]}
      vocabulary={null}
      editable
      describe={describe}
      onSave={() => Promise.resolve()}
      onDelete={() => undefined}
      onSelectAgent={() => undefined}
      {...props}
    />
  );
}

test("a new decision transition opens with its description in focus, the lint warning at that field", () => {
  let focused = 0;
  render(form({ focus: "description", onFocused: () => focused++, findings: [undescribed] }));
  const description = screen.getByLabelText("Description");
  expect(description).toHaveFocus();
  expect(focused).toBe(1);
  expect(description).toHaveAccessibleDescription(/LLM reads this to decide when to hand over to Billing.*has no description/);
  // typing the description clears the warning before it is saved
  fireEvent.change(description, { target: { value: "the caller asks about an invoice" } });
  expect(screen.queryByTestId("field-lint")).toBeNull();
  expect(screen.getByRole("button", { name: "Save transition" })).toBeEnabled();
});

test("without a focus request the form leaves the focus where it is", () => {
  render(form({ findings: [] }));
  expect(screen.getByLabelText("Description")).not.toHaveFocus();
  expect(screen.queryByTestId("field-lint")).toBeNull();
});

test("a reader sees the transition and the agent as text, with no inputs", () => {
  const { unmount } = render(<TransitionText transition={{ ...fresh, priority: 3, description: "the caller asks about an invoice" }} agents={agents} describe={describe} onSelectAgent={() => undefined} />);
  const transition = screen.getByRole("article", { name: "Transition" });
  expect(within(transition).getByTestId("condition-text")).toHaveTextContent("agent decides");
  expect(transition).toHaveTextContent(/Priority\s*3/);
  expect(transition).toHaveTextContent("the caller asks about an invoice");
  expect(within(transition).queryAllByRole("textbox")).toHaveLength(0);
  unmount();

  render(<AgentText agent={agents[0]!} agents={agents} tools={[]} outgoing={[fresh]} isInitial describe={describe} onSelectTransition={() => undefined} />);
  const agent = screen.getByRole("article", { name: "Agent Front desk" });
  expect(agent).toHaveTextContent(/LLM\s*offline · echo/);
  expect(agent).toHaveTextContent("Initial agent");
  expect(within(agent).getByText(/Greet the customer\.\s+Then ask what they need\./)).toBeInTheDocument();
  expect(within(agent).getByRole("button", { name: /→ Billing/ })).toBeInTheDocument();
  expect(within(agent).queryAllByRole("textbox")).toHaveLength(0);
  expect(within(agent).queryAllByRole("combobox")).toHaveLength(0);
});

test("a reader sees the conversation as text; an editor gets its form", () => {
  const conversation = {
    id: 1, name: "Help desk", description: "Routes customers.", initial_agent_id: 1, revision: 4, agent_count: 2, transition_count: 1,
  } as Conversation;
  const { unmount } = render(<ConversationForm conversation={conversation} agents={agents} editable={false} onSave={() => Promise.resolve()} />);
  const text = screen.getByRole("article", { name: "Conversation" });
  expect(text).toHaveTextContent(/Initial agent\s*Front desk/);
  expect(text).toHaveTextContent("Routes customers.");
  expect(within(text).queryAllByRole("textbox")).toHaveLength(0);
  unmount();
  render(<ConversationForm conversation={conversation} agents={agents} editable onSave={() => Promise.resolve()} />);
  expect(screen.getByRole("form", { name: "Conversation" })).toBeInTheDocument();
  expect(screen.getByLabelText("Name")).toHaveValue("Help desk");
});
