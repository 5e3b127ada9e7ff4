import type { Vocabulary } from "./api/types";

// A small rules vocabulary in the shape generate_ui_config() answers.
export const vocab: Vocabulary = {
  variables: [
    { name: "conversation_turn_count", label: "Conversation turn count", field_type: "numeric", options: [], description: "" },
    { name: "user_input", label: "User input", field_type: "string", options: [], description: "" },
    { name: "user_input_type", label: "User input type", field_type: "select", options: ["question", "command"], description: "" },
    { name: "is_first_turn", label: "Is first turn", field_type: "boolean", options: [], description: "" },
  ],
  actions: [
    { name: "transition_to_agent", label: "Move to agent", description: "", params: [{ name: "agent_id", label: "Agent", fieldType: "select", options: [{ name: 1, label: "A" }, { name: 2, label: "B" }] }] },
    { name: "set_context_value", label: "Set context value", description: "", params: [{ name: "key", label: "Key", fieldType: "text" }, { name: "value", label: "Value", fieldType: "text" }] },
  ],
  variable_type_operators: {
    numeric: [{ name: "equal_to", label: "Equal To", input_type: "numeric" }, { name: "greater_than", label: "Greater Than", input_type: "numeric" }],
    string: [{ name: "contains", label: "Contains", input_type: "text" }, { name: "equal_to", label: "Equal To", input_type: "text" }, { name: "non_empty", label: "Non Empty", input_type: "none" }],
    select: [{ name: "contains", label: "Contains", input_type: "select" }],
    boolean: [{ name: "is_true", label: "Is True", input_type: "none" }],
  },
};
