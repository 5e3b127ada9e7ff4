// The rule builder's logic: rules in the business-rules JSON format, edited immutably, with choices taken from the
// API's vocabulary (the same data as generate_ui_config()), so the builder offers exactly what saving accepts.
import type {
  ConditionGroup,
  ConditionNode,
  Rule,
  RuleAction,
  RuleCondition,
  Vocabulary,
  VocabularyOperator,
  VocabularyVariable,
} from "../api/types";

export type GroupKind = "all" | "any";

export function isGroup(node: ConditionNode): node is ConditionGroup {
  return "all" in node || "any" in node;
}

export function groupKind(group: ConditionGroup): GroupKind {
  return "all" in group ? "all" : "any";
}

export function groupItems(group: ConditionGroup): ConditionNode[] {
  return "all" in group ? group.all : group.any;
}

export function makeGroup(kind: GroupKind, items: ConditionNode[]): ConditionGroup {
  return kind === "all" ? { all: items } : { any: items };
}

export function variableOf(vocab: Vocabulary, name: string): VocabularyVariable | undefined {
  return vocab.variables.find((v) => v.name === name);
}

export function operatorsFor(vocab: Vocabulary, variableName: string): VocabularyOperator[] {
  const variable = variableOf(vocab, variableName);
  return variable ? (vocab.variable_type_operators[variable.field_type] ?? []) : [];
}

export function inputTypeOf(vocab: Vocabulary, condition: RuleCondition): string {
  return operatorsFor(vocab, condition.name).find((o) => o.name === condition.operator)?.input_type ?? "text";
}

/** The value a fresh comparison starts with, for an operator's input type. */
export function defaultValue(inputType: string, variable?: VocabularyVariable): unknown {
  switch (inputType) {
    case "numeric":
      return 0;
    case "select":
      return variable?.options[0] ?? "";
    case "select_multiple":
      return [];
    case "none":
      return null;
    default:
      return "";
  }
}

/** A new condition: the "user input" variable when there is one (what designers reach for first). */
export function newCondition(vocab: Vocabulary): RuleCondition {
  const variable = variableOf(vocab, "user_input") ?? vocab.variables[0];
  if (!variable) throw new Error("the rules vocabulary has no variables");
  const operator = vocab.variable_type_operators[variable.field_type]?.[0];
  return { name: variable.name, operator: operator?.name ?? "", value: defaultValue(operator?.input_type ?? "", variable) };
}

/** Change the variable, keeping the operator and value when they still fit its type. */
export function withVariable(vocab: Vocabulary, condition: RuleCondition, name: string): RuleCondition {
  const before = variableOf(vocab, condition.name);
  const after = variableOf(vocab, name);
  if (!after) return condition;
  const operators = operatorsFor(vocab, name);
  const kept = operators.find((o) => o.name === condition.operator);
  const operator = kept ?? operators[0];
  const sameType = before?.field_type === after.field_type;
  const valueFits = sameType && (after.field_type !== "select" || after.options.includes(String(condition.value)));
  return {
    name,
    operator: operator?.name ?? "",
    value: kept && valueFits ? condition.value : defaultValue(operator?.input_type ?? "", after),
  };
}

/** Change the operator, keeping the value when the input type stays the same. */
export function withOperator(vocab: Vocabulary, condition: RuleCondition, operator: string): RuleCondition {
  const before = inputTypeOf(vocab, condition);
  const next = { ...condition, operator };
  const after = inputTypeOf(vocab, next);
  return before === after ? next : { ...next, value: defaultValue(after, variableOf(vocab, condition.name)) };
}

/** A value typed in a form field, as the operator's input type needs it. */
export function parseValue(inputType: string, raw: string): unknown {
  if (inputType === "numeric") {
    const number = Number(raw);
    return raw.trim() === "" || Number.isNaN(number) ? raw : number;
  }
  return raw;
}

// paths: indexes into nested groups, from the rule's top group
export type NodePath = number[];

export function nodeAt(group: ConditionGroup, path: NodePath): ConditionNode {
  let node: ConditionNode = group;
  for (const index of path) {
    if (!isGroup(node)) throw new Error(`no group at ${path.join(".")}`);
    const child: ConditionNode | undefined = groupItems(node)[index];
    if (!child) throw new Error(`nothing at ${path.join(".")}`);
    node = child;
  }
  return node;
}

/** A copy of the group with the node at ``path`` replaced by ``change(node)`` (or removed, when it gives null). */
export function updateNode(
  group: ConditionGroup,
  path: NodePath,
  change: (node: ConditionNode) => ConditionNode | null,
): ConditionGroup {
  if (path.length === 0) {
    const changed = change(group);
    if (!changed || !isGroup(changed)) throw new Error("the top of a rule must stay a group");
    return changed;
  }
  const [head, ...rest] = path as [number, ...number[]];
  const items = [...groupItems(group)];
  const child = items[head];
  if (!child) throw new Error(`nothing at index ${head}`);
  if (rest.length === 0) {
    const changed = change(child);
    if (changed === null) items.splice(head, 1);
    else items[head] = changed;
  } else {
    if (!isGroup(child)) throw new Error(`no group at index ${head}`);
    items[head] = updateNode(child, rest, change);
  }
  return makeGroup(groupKind(group), items);
}

export function appendTo(group: ConditionGroup, path: NodePath, node: ConditionNode): ConditionGroup {
  return updateNode(group, path, (target) => {
    if (!isGroup(target)) throw new Error("can only add to a group");
    return makeGroup(groupKind(target), [...groupItems(target), node]);
  });
}

export function newAction(vocab: Vocabulary, name: string, targetAgentId?: number): RuleAction {
  const action = vocab.actions.find((a) => a.name === name);
  const params: Record<string, unknown> = {};
  for (const param of action?.params ?? []) {
    if (param.name === "agent_id") params.agent_id = targetAgentId ?? param.options?.[0]?.name ?? null;
    else params[param.name] = "";
  }
  return { name, params };
}

/** A first rule for a transition: when the user says something, move to the transition's target. */
export function newRule(vocab: Vocabulary, targetAgentId: number): Rule {
  return {
    conditions: { all: [newCondition(vocab)] },
    actions: [newAction(vocab, "transition_to_agent", targetAgentId)],
  };
}

/** How many conditions a rule set checks, nested groups included. */
export function countConditions(node: ConditionNode): number {
  return isGroup(node) ? groupItems(node).reduce((n, child) => n + countConditions(child), 0) : 1;
}
