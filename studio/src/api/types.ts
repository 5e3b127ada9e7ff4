// The HTTP API's shapes (docs/api.md), as the studio reads them.

export type Role = "viewer" | "editor" | "operator" | "admin";

export interface Me {
  id: number;
  name: string;
  role: Role;
  can: { read: boolean; edit: boolean; operate: boolean; admin: boolean };
}

export interface Position {
  x: number;
  y: number;
}

export interface Conversation {
  id: number;
  name: string;
  description: string | null;
  initial_agent_id: number | null;
  config: Record<string, unknown> | null;
  is_active: boolean;
  revision: number;
  version: number;
  published: boolean | null; // null in lists (not computed there)
  agent_count: number;
  transition_count: number;
  created_at: string;
  updated_at: string;
}

export interface Agent {
  id: number;
  name: string;
  description: string | null;
  instructions: string;
  agent_type: string;
  llm_provider: string;
  llm_model: string | null;
  stt_provider: string;
  stt_model: string | null;
  tts_provider: string;
  tts_model: string | null;
  config: Record<string, unknown> | null;
  is_active: boolean;
  tool_ids: number[];
  position: Position | null;
  is_initial: boolean;
  revision?: number;
}

export type ConditionType =
  | "user_input"
  | "tool_result"
  | "agent_decision"
  | "event"
  | "livekit_event"
  | "business_rules"
  | "custom";

export type ConditionData = Record<string, unknown>;

export interface Transition {
  id: number;
  source_agent_id: number;
  target_agent_id: number;
  condition_type: ConditionType;
  condition_data: ConditionData | null;
  priority: number;
  description: string | null;
  tool_id: number | null;
  rules: Rule[] | null;
  revision?: number;
}

export interface Tool {
  id: number;
  name: string;
  function_name: string;
  description: string | null;
  parameters_schema: Record<string, unknown> | null;
  is_active: boolean;
}

// business rules: the `business-rules` library's JSON format
export interface RuleCondition {
  name: string;
  operator: string;
  value: unknown;
}
export type ConditionGroup = { all: ConditionNode[] } | { any: ConditionNode[] };
export type ConditionNode = RuleCondition | ConditionGroup;
export interface RuleAction {
  name: string;
  params: Record<string, unknown>;
}
export interface Rule {
  conditions: ConditionGroup;
  actions: RuleAction[];
}

// what generate_ui_config() answers (GET /rules/vocabulary)
export interface VocabularyVariable {
  name: string;
  label: string;
  field_type: string;
  options: string[];
  description: string;
}
export interface VocabularyParam {
  name: string;
  label: string;
  fieldType: string;
  options?: { name: number | string; label: string }[];
}
export interface VocabularyAction {
  name: string;
  label: string;
  description: string;
  params: VocabularyParam[];
}
export interface VocabularyOperator {
  name: string;
  label: string;
  input_type: string;
}
export interface Vocabulary {
  variables: VocabularyVariable[];
  actions: VocabularyAction[];
  variable_type_operators: Record<string, VocabularyOperator[]>;
}

export interface Finding {
  severity: "error" | "warning" | "info";
  code: string;
  message: string;
  agent_ids: number[];
  transition_ids: number[];
}

export interface LintReport {
  ok: boolean;
  revision: number;
  findings: Finding[];
}

export interface VersionInfo {
  version: number;
  created_at: string;
  digest: string;
  agent_count: number;
  transition_count: number;
  latest: boolean;
}

export interface FieldChange {
  from: unknown;
  to: unknown;
}
export interface TransitionRef {
  source: string;
  target: string;
  index: number;
  condition_type?: string;
}
export interface Diff {
  from_version: number | string;
  to_version: number | string;
  conversation: { changed: Record<string, FieldChange> };
  agents: { added: string[]; removed: string[]; changed: { name: string; fields: Record<string, FieldChange> }[] };
  transitions: {
    added: TransitionRef[];
    removed: TransitionRef[];
    changed: (TransitionRef & { fields: Record<string, FieldChange> })[];
  };
  rules: { added: TransitionRef[]; removed: TransitionRef[]; changed: (TransitionRef & FieldChange)[] };
  tools: { added: string[]; removed: string[]; changed: { name: string; fields: Record<string, FieldChange> }[] };
}

export interface SessionSummary {
  session_id: string;
  conversation_id: number;
  conversation: string;
  version: number;
  status: "active" | "ended" | string;
  current_agent_id: number | null;
  current_agent_name: string | null;
  turn_count: number;
  events: number;
  driven: boolean;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

export interface SessionState extends SessionSummary {
  context: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Hop {
  from_agent_id: number;
  to_agent_id: number;
  transition_id: number;
  reason: string;
}

export interface EventResult {
  status: "success" | "no_transition" | "error";
  from_agent_id: number | null;
  to_agent_id: number | null;
  transition_id: number | null;
  reason: string | null;
  event_id: string;
  hops: Hop[];
  errors: { transition_id: number | null; message: string }[];
  current_agent_id?: number;
  current_agent_name?: string;
  session_status?: string;
}

export interface ChatAnswer {
  message_id: string;
  replies: { agent_id: number | null; agent_name: string; text: string }[];
  handovers: { from_agent_id: number; from_agent_name: string; to_agent_id: number; to_agent_name: string; reason: string }[];
  problems: string[];
  /** Agents answering on the offline LLM instead of theirs (not installed or no key on the server), and why. */
  offline: Record<string, string>;
  current_agent_id: number;
  current_agent_name: string;
  session_status: string;
}

export interface SessionEvent {
  id: string;
  type: string;
  timestamp: number;
  source: string;
  data: Record<string, unknown>;
}

export interface HandOver {
  from_agent_id: number;
  from_agent_name: string;
  to_agent_id: number;
  to_agent_name: string;
  transition_id: number;
  reason: string;
}

export interface TimelineStep {
  seq: number;
  event: SessionEvent;
  result: EventResult | null;
  transitions: HandOver[];
  agent_id: number | null;
  agent_name: string | null;
  context: Record<string, unknown>;
}

export interface Timeline {
  session_id: string;
  conversation_id: number;
  version: number;
  status: string;
  steps: TimelineStep[];
}

export interface Traffic {
  conversation_id: number;
  sessions: number;
  transitions: { transition_id: number; count: number; sessions?: number }[];
  agents: { agent_id: number; active: number; ended: number }[];
}

export interface PublishResult {
  version: number;
  created: boolean;
}
