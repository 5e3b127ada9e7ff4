// The business-rules builder: rules with nested all/any groups of conditions (operators by the variable's field
// type) and actions, all offered from the API's vocabulary (the same data as generate_ui_config()).
import type { ApiError } from "../api/errors";
import type { ConditionGroup, ConditionNode, Rule, RuleAction, RuleCondition, Vocabulary } from "../api/types";
import {
  appendTo,
  groupItems,
  groupKind,
  inputTypeOf,
  isGroup,
  makeGroup,
  newAction,
  newCondition,
  newRule,
  operatorsFor,
  parseValue,
  updateNode,
  variableOf,
  withOperator,
  withVariable,
  type NodePath,
} from "../lib/rules";

const MAX_DEPTH = 4;

export interface RuleBuilderProps {
  rules: Rule[];
  vocabulary: Vocabulary;
  targetAgentId: number;
  editable: boolean;
  error?: ApiError | null;
  onChange: (rules: Rule[]) => void;
}

export function RuleBuilder({ rules, vocabulary, targetAgentId, editable, error, onChange }: RuleBuilderProps) {
  const setRule = (index: number, rule: Rule) => onChange(rules.map((r, i) => (i === index ? rule : r)));
  const unplaced = error?.problems.filter((p) => !/^rules\.\d+/.test(p.path) && p.path.startsWith("rules")) ?? [];
  return (
    <div className="rule-builder" data-testid="rule-builder">
      {unplaced.map((p, i) => (
        <div key={i} className="field-error" role="alert" data-testid="field-error">
          {p.message}
        </div>
      ))}
      {rules.length === 0 && <div className="muted">No rules yet: this transition never fires.</div>}
      {rules.map((rule, index) => {
        const problems = error?.problems.filter((p) => p.path === `rules.${index}` || p.path.startsWith(`rules.${index}.`)) ?? [];
        return (
          <section key={index} className={`rule-card${problems.length ? " has-error" : ""}`} aria-label={`Rule ${index + 1}`} data-testid="rule">
            <header className="rule-head">
              <strong>Rule {index + 1}</strong>
              {editable && (
                <button type="button" className="btn-icon" aria-label={`Remove rule ${index + 1}`} onClick={() => onChange(rules.filter((_, i) => i !== index))}>
                  ✕
                </button>
              )}
            </header>
            <div className="rule-part-label">When</div>
            <GroupEditor
              group={rule.conditions}
              path={[]}
              depth={0}
              vocabulary={vocabulary}
              editable={editable}
              onChange={(conditions) => setRule(index, { ...rule, conditions })}
              root={rule.conditions}
            />
            <div className="rule-part-label">Then</div>
            <ul className="action-list">
              {rule.actions.map((action, a) => (
                <ActionRow
                  key={a}
                  action={action}
                  vocabulary={vocabulary}
                  targetAgentId={targetAgentId}
                  editable={editable}
                  onChange={(next) => setRule(index, { ...rule, actions: rule.actions.map((x, i) => (i === a ? next : x)) })}
                  onRemove={() => setRule(index, { ...rule, actions: rule.actions.filter((_, i) => i !== a) })}
                />
              ))}
            </ul>
            {editable && (
              <button type="button" className="btn btn-link" onClick={() => setRule(index, { ...rule, actions: [...rule.actions, newAction(vocabulary, "set_context_value")] })}>
                + Action
              </button>
            )}
            {problems.map((p, i) => (
              <div key={i} className="field-error" role="alert" data-testid="field-error">
                {p.message}
              </div>
            ))}
          </section>
        );
      })}
      {editable && (
        <button type="button" className="btn btn-small" onClick={() => onChange([...rules, newRule(vocabulary, targetAgentId)])}>
          + Rule
        </button>
      )}
    </div>
  );
}

interface GroupEditorProps {
  root: ConditionGroup;
  group: ConditionGroup;
  path: NodePath;
  depth: number;
  vocabulary: Vocabulary;
  editable: boolean;
  onChange: (root: ConditionGroup) => void;
  onRemove?: () => void;
}

function GroupEditor({ root, group, path, depth, vocabulary, editable, onChange, onRemove }: GroupEditorProps) {
  const kind = groupKind(group);
  const items = groupItems(group);
  const change = (p: NodePath, fn: (n: ConditionNode) => ConditionNode | null) => onChange(updateNode(root, p, fn));
  return (
    <div className={`cond-group depth-${depth}`} data-testid="condition-group" data-kind={kind}>
      <div className="cond-group-head">
        <select
          aria-label="Match"
          value={kind}
          disabled={!editable}
          onChange={(e) => change(path, (g) => makeGroup(e.target.value as "all" | "any", isGroup(g) ? groupItems(g) : []))}
        >
          <option value="all">All of these hold</option>
          <option value="any">Any of these holds</option>
        </select>
        {onRemove && editable && (
          <button type="button" className="btn-icon" aria-label="Remove group" onClick={onRemove}>
            ✕
          </button>
        )}
      </div>
      <ul className="cond-items">
        {items.map((item, i) => {
          const itemPath = [...path, i];
          return (
            <li key={i}>
              {isGroup(item) ? (
                <GroupEditor
                  root={root}
                  group={item}
                  path={itemPath}
                  depth={depth + 1}
                  vocabulary={vocabulary}
                  editable={editable}
                  onChange={onChange}
                  onRemove={() => change(itemPath, () => null)}
                />
              ) : (
                <ConditionRow
                  condition={item}
                  vocabulary={vocabulary}
                  editable={editable}
                  onChange={(next) => change(itemPath, () => next)}
                  onRemove={() => change(itemPath, () => null)}
                />
              )}
            </li>
          );
        })}
      </ul>
      {editable && (
        <div className="cond-add">
          <button type="button" className="btn btn-link" onClick={() => onChange(appendTo(root, path, newCondition(vocabulary)))}>
            + Condition
          </button>
          {depth < MAX_DEPTH && (
            <button
              type="button"
              className="btn btn-link"
              onClick={() => onChange(appendTo(root, path, makeGroup(kind === "all" ? "any" : "all", [newCondition(vocabulary)])))}
            >
              + Group
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function ConditionRow({
  condition,
  vocabulary,
  editable,
  onChange,
  onRemove,
}: {
  condition: RuleCondition;
  vocabulary: Vocabulary;
  editable: boolean;
  onChange: (c: RuleCondition) => void;
  onRemove: () => void;
}) {
  const variable = variableOf(vocabulary, condition.name);
  const operators = operatorsFor(vocabulary, condition.name);
  const inputType = inputTypeOf(vocabulary, condition);
  return (
    <div className="cond-row" data-testid="condition">
      <select
        aria-label="Variable"
        value={condition.name}
        disabled={!editable}
        title={variable?.description}
        onChange={(e) => onChange(withVariable(vocabulary, condition, e.target.value))}
      >
        {!variable && <option value={condition.name}>{condition.name}</option>}
        {vocabulary.variables.map((v) => (
          <option key={v.name} value={v.name}>
            {v.label}
          </option>
        ))}
      </select>
      <select aria-label="Operator" value={condition.operator} disabled={!editable} onChange={(e) => onChange(withOperator(vocabulary, condition, e.target.value))}>
        {!operators.some((o) => o.name === condition.operator) && <option value={condition.operator}>{condition.operator}</option>}
        {operators.map((o) => (
          <option key={o.name} value={o.name}>
            {o.label.toLowerCase()}
          </option>
        ))}
      </select>
      <ValueInput
        inputType={inputType}
        options={variable?.options ?? []}
        value={condition.value}
        editable={editable}
        onChange={(value) => onChange({ ...condition, value })}
      />
      {editable && (
        <button type="button" className="btn-icon" aria-label="Remove condition" onClick={onRemove}>
          ✕
        </button>
      )}
    </div>
  );
}

function ValueInput({
  inputType,
  options,
  value,
  editable,
  onChange,
}: {
  inputType: string;
  options: string[];
  value: unknown;
  editable: boolean;
  onChange: (v: unknown) => void;
}) {
  if (inputType === "none") return <span className="cond-novalue" />;
  if (inputType === "select")
    return (
      <select aria-label="Value" value={String(value ?? "")} disabled={!editable} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o.replace(/_/g, " ")}
          </option>
        ))}
      </select>
    );
  if (inputType === "select_multiple") {
    const chosen = Array.isArray(value) ? value.map(String) : [];
    return (
      <div className="cond-multi" role="group" aria-label="Value">
        {options.map((o) => (
          <label key={o}>
            <input
              type="checkbox"
              checked={chosen.includes(o)}
              disabled={!editable}
              onChange={(e) => onChange(e.target.checked ? [...chosen, o] : chosen.filter((c) => c !== o))}
            />
            {o}
          </label>
        ))}
      </div>
    );
  }
  return (
    <input
      aria-label="Value"
      type={inputType === "numeric" ? "number" : "text"}
      value={value === null || value === undefined ? "" : String(value)}
      disabled={!editable}
      onChange={(e) => onChange(parseValue(inputType, e.target.value))}
    />
  );
}

function ActionRow({
  action,
  vocabulary,
  targetAgentId,
  editable,
  onChange,
  onRemove,
}: {
  action: RuleAction;
  vocabulary: Vocabulary;
  targetAgentId: number;
  editable: boolean;
  onChange: (a: RuleAction) => void;
  onRemove: () => void;
}) {
  const info = vocabulary.actions.find((a) => a.name === action.name);
  return (
    <li className="action-row" data-testid="action">
      <select aria-label="Action" value={action.name} disabled={!editable} title={info?.description} onChange={(e) => onChange(newAction(vocabulary, e.target.value, targetAgentId))}>
        {!info && <option value={action.name}>{action.name}</option>}
        {vocabulary.actions.map((a) => (
          <option key={a.name} value={a.name}>
            {a.label}
          </option>
        ))}
      </select>
      {info?.params.map((param) =>
        param.options ? (
          <select
            key={param.name}
            aria-label={param.label}
            value={String(action.params[param.name] ?? "")}
            disabled={!editable}
            onChange={(e) => {
              const option = param.options?.find((o) => String(o.name) === e.target.value);
              onChange({ ...action, params: { ...action.params, [param.name]: option ? option.name : e.target.value } });
            }}
          >
            {param.options.map((o) => (
              <option key={String(o.name)} value={String(o.name)}>
                {o.label}
                {o.name === targetAgentId ? " (this transition's target)" : ""}
              </option>
            ))}
          </select>
        ) : (
          <input
            key={param.name}
            aria-label={param.label}
            placeholder={param.label}
            value={String(action.params[param.name] ?? "")}
            disabled={!editable}
            onChange={(e) => onChange({ ...action, params: { ...action.params, [param.name]: e.target.value } })}
          />
        ),
      )}
      {editable && (
        <button type="button" className="btn-icon" aria-label="Remove action" onClick={onRemove}>
          ✕
        </button>
      )}
    </li>
  );
}
