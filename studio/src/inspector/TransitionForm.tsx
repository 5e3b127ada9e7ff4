// The transition inspector: target, condition type and its form (the rule builder for business rules), priority.
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import type { Agent, ConditionType, Finding, Rule, Tool, Transition, Vocabulary } from "../api/types";
import { Editor } from "../components/Editor";
import { Field, FormError } from "../components/Field";
import {
  CONDITION_FORMS,
  CONDITION_TYPES,
  cleanData,
  fieldsFor,
  formatLooseValue,
  initialData,
  parseLooseValue,
  type FieldSpec,
} from "../lib/conditionForms";
import { descriptionHelp, fieldFindings, type TransitionField } from "../lib/inspectorHints";
import { conditionOptions, type Meta } from "../lib/meta";
import { useMeta } from "../state/meta";
import { newRule } from "../lib/rules";
import { RuleBuilder } from "./RuleBuilder";
import { useSubmit } from "./useSubmit";

export interface TransitionDraft {
  target_agent_id: number;
  condition_type: ConditionType;
  data: Record<string, unknown>;
  tool_id: number | null;
  priority: number;
  description: string;
  rules: Rule[];
}

export interface TransitionSave {
  patch: Partial<Transition>;
  rules: Rule[] | null; // set for business rules
}

function draftOf(t: Transition): TransitionDraft {
  return {
    target_agent_id: t.target_agent_id,
    condition_type: t.condition_type,
    data: { ...(t.condition_data ?? {}) },
    tool_id: t.tool_id,
    priority: t.priority,
    description: t.description ?? "",
    rules: t.rules ?? [],
  };
}

/** What saving the draft sends: the changed fields, and the rule set for a business-rules transition. */
export function toSave(t: Transition, draft: TransitionDraft): TransitionSave {
  const isRules = draft.condition_type === "business_rules";
  const data = cleanData(draft.condition_type, draft.data);
  const next: Partial<Transition> = {
    target_agent_id: draft.target_agent_id,
    condition_type: draft.condition_type,
    condition_data: data,
    tool_id: draft.condition_type === "tool_result" ? draft.tool_id : null,
    priority: draft.priority,
    description: draft.description.trim() || null,
  };
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    const before = (t as unknown as Record<string, unknown>)[key] ?? (key === "condition_data" ? {} : null);
    if (JSON.stringify(value) !== JSON.stringify(before)) patch[key] = value;
  }
  const rulesChanged = isRules && (t.condition_type !== "business_rules" || JSON.stringify(draft.rules) !== JSON.stringify(t.rules ?? []));
  return { patch: patch as Partial<Transition>, rules: rulesChanged ? draft.rules : null };
}

export interface TransitionFormProps {
  transition: Transition;
  agents: Agent[];
  tools: Tool[];
  vocabulary: Vocabulary | null;
  editable: boolean;
  describe: (t: Transition) => string;
  onSave: (save: TransitionSave) => Promise<unknown>;
  onDelete: () => void;
  onSelectAgent: (id: number) => void;
  /** Lint findings (all of them: those on this transition are shown at the field that fixes them). */
  findings?: readonly Finding[];
  /** A field to focus once the form is shown (a new transition: its description), then ``onFocused``. */
  focus?: TransitionField | null;
  onFocused?: () => void;
}

export function TransitionForm(props: TransitionFormProps) {
  const { transition, agents, tools, vocabulary, editable, describe } = props;
  const [draft, setDraft] = useState<TransitionDraft>(() => draftOf(transition));
  const { error, saving, submit } = useSubmit();
  const pending = useMemo(() => toSave(transition, draft), [transition, draft]);
  const dirty = Object.keys(pending.patch).length > 0 || pending.rules !== null;
  const source = agents.find((a) => a.id === transition.source_agent_id);
  const form = CONDITION_FORMS[draft.condition_type];
  const fields = fieldsFor(draft.condition_type, draft.data);
  const meta = useMeta();
  const target = agents.find((a) => a.id === draft.target_agent_id)?.name;
  const warnings = useMemo(() => fieldFindings(props.findings ?? [], transition.id, draft), [props.findings, transition.id, draft]);
  const descriptionInput = useRef<HTMLInputElement>(null);
  const { focus, onFocused } = props;
  useEffect(() => {
    if (focus !== "description" || !editable) return;
    descriptionInput.current?.focus();
    onFocused?.();
  }, [focus, editable, onFocused]);

  const set = (patch: Partial<TransitionDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setData = (key: string, value: unknown) => setDraft((d) => ({ ...d, data: { ...d.data, [key]: value } }));

  function changeType(type: ConditionType) {
    setDraft((d) => ({
      ...d,
      condition_type: type,
      data: type === transition.condition_type ? { ...(transition.condition_data ?? {}) } : initialData(type),
      rules: type === "business_rules" && d.rules.length === 0 && vocabulary ? [newRule(vocabulary, d.target_agent_id)] : d.rules,
    }));
  }

  async function save(event?: FormEvent) {
    event?.preventDefault();
    if (!dirty || !editable) return;
    await submit(() => props.onSave(pending));
  }

  const fieldError = (key: string) => error?.fieldMessage(key);
  const placed = new Set(["target_agent_id", "condition_type", "priority", "description", "tool_id", ...fields.map((f) => `condition_data.${f.key}`)]);
  const unplaced =
    error?.problems.filter((p) => p.path !== "condition_data" && ![...placed].some((k) => p.path === k || p.path.startsWith(k + ".")) && !p.path.startsWith("rules")) ?? [];
  const preview = describe({ ...transition, condition_type: draft.condition_type, condition_data: cleanData(draft.condition_type, draft.data), tool_id: draft.tool_id, rules: draft.rules });

  // an agent decision's description is what its LLM decides by: it comes first, right under the condition
  const decides = draft.condition_type === "agent_decision";
  const descriptionField = (
    <Field label="Description" error={fieldError("description")} warning={warnings.description} help={descriptionHelp(draft.condition_type, target)}>
      {(id, d) => (
        <input
          id={id}
          ref={descriptionInput}
          aria-describedby={d}
          value={draft.description}
          onChange={(e) => set({ description: e.target.value })}
          placeholder={decides ? `e.g. the caller asks about ${target ?? "it"}` : "Why this hand-over happens"}
        />
      )}
    </Field>
  );

  return (
    <form
      className="inspector-form"
      onSubmit={save}
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void save();
      }}
      aria-label="Transition"
    >
      <header className="inspector-head">
        <div>
          <div className="inspector-kind">Transition</div>
          <h2>
            <button type="button" className="btn-link" onClick={() => props.onSelectAgent(transition.source_agent_id)}>
              {source?.name}
            </button>{" "}
            →{" "}
            <button type="button" className="btn-link" onClick={() => props.onSelectAgent(transition.target_agent_id)}>
              {agents.find((a) => a.id === transition.target_agent_id)?.name}
            </button>
          </h2>
          <div className="inspector-preview" data-testid="condition-preview">
            {preview}
          </div>
        </div>
      </header>
      <FormError message={error ? (error.problems.length ? unplaced.map((p) => `${p.path}: ${p.message}`).join("; ") || null : error.message) : null} />
      <fieldset disabled={!editable} className="plain">
        <div className="row">
          <Field label="Target agent" error={fieldError("target_agent_id")}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={draft.target_agent_id} onChange={(e) => set({ target_agent_id: Number(e.target.value) })}>
                {agents.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Priority" error={fieldError("priority")} help="Higher is checked first.">
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                type="number"
                className="narrow"
                value={draft.priority}
                onChange={(e) => set({ priority: e.target.value === "" ? 0 : Math.trunc(Number(e.target.value)) })}
              />
            )}
          </Field>
        </div>
        <Field label="Condition" error={fieldError("condition_type") ?? error?.exactMessage("condition_data")} help={form.help}>
          {(id, d) => (
            <select id={id} aria-describedby={d} value={draft.condition_type} onChange={(e) => changeType(e.target.value as ConditionType)}>
              {CONDITION_TYPES.map((type) => (
                <option key={type} value={type}>
                  {CONDITION_FORMS[type].label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {decides && descriptionField}
        {fields.filter((f) => f.kind !== "triggers").map((field) => (
          <ConditionField
            key={`${draft.condition_type}.${field.key}`}
            field={field}
            conditionType={draft.condition_type}
            meta={meta}
            value={field.kind === "tool" ? draft.tool_id : draft.data[field.key]}
            tools={tools}
            editable={editable}
            error={field.kind === "tool" ? (fieldError("tool_id") ?? fieldError("condition_data.tool_id") ?? fieldError("condition_data.tool_name")) : fieldError(`condition_data.${field.key}`)}
            onChange={(value) => (field.kind === "tool" ? set({ tool_id: value as number | null }) : setData(field.key, value))}
          />
        ))}
      </fieldset>
      {draft.condition_type === "business_rules" &&
        (vocabulary ? (
          <RuleBuilder rules={draft.rules} vocabulary={vocabulary} targetAgentId={draft.target_agent_id} editable={editable} error={error} onChange={(rules) => set({ rules })} />
        ) : (
          <div className="muted">Loading the rules vocabulary…</div>
        ))}
      <fieldset disabled={!editable} className="plain">
        {fields
          .filter((f) => f.kind === "triggers")
          .map((field) => (
            <ConditionField
              key={`${draft.condition_type}.${field.key}`}
              field={field}
              conditionType={draft.condition_type}
              meta={meta}
              value={draft.data[field.key]}
              tools={tools}
              editable={editable}
              error={fieldError(`condition_data.${field.key}`)}
              onChange={(value) => setData(field.key, value)}
            />
          ))}
      </fieldset>
      {!decides && (
        <fieldset disabled={!editable} className="plain">
          {descriptionField}
        </fieldset>
      )}
      {editable && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!dirty || saving}>
            {saving ? "Saving…" : "Save transition"}
          </button>
          <button type="button" className="btn btn-ghost" disabled={!dirty} onClick={() => setDraft(draftOf(transition))}>
            Revert
          </button>
          <span className="spacer" />
          <button type="button" className="btn btn-danger-ghost" onClick={props.onDelete}>
            Delete transition
          </button>
        </div>
      )}
    </form>
  );
}

/** A field's options: the server's enum (meta) when it has one, else the form's own list. */
export function optionsOf(field: FieldSpec, conditionType: ConditionType, meta: Meta): string[] {
  const found = field.optionsFromEnum ? meta.enums[field.optionsFromEnum] : undefined;
  const options = found ?? conditionOptions(meta, conditionType, field.key, field.options ?? []);
  return options.filter((o) => !field.exclude?.includes(o));
}

function ConditionField({
  field,
  conditionType,
  meta,
  value,
  tools,
  editable,
  error,
  onChange,
}: {
  field: FieldSpec;
  conditionType: ConditionType;
  meta: Meta;
  value: unknown;
  tools: Tool[];
  editable: boolean;
  error: string | undefined;
  onChange: (value: unknown) => void;
}) {
  const [text, setText] = useState(() => (field.kind === "json" ? (value ? JSON.stringify(value) : "") : formatLooseValue(value)));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const options = optionsOf(field, conditionType, meta);
  if (field.kind === "triggers") return <TriggersField field={field} meta={meta} value={value} error={error} onChange={onChange} />;
  return (
    <Field label={field.label} error={error ?? jsonError ?? undefined} help={field.help}>
      {(id, d) => {
        switch (field.kind) {
          case "select": {
            const current = String(value ?? field.initial ?? "");
            const values = options.includes(current) || !current ? options : [current, ...options];
            return (
              <select id={id} aria-describedby={d} value={current} onChange={(e) => onChange(e.target.value)}>
                {values.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            );
          }
          case "checkbox":
            return <input id={id} aria-describedby={d} type="checkbox" checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} />;
          case "tool":
            return (
              <select id={id} aria-describedby={d} value={value === null || value === undefined ? "" : String(value)} onChange={(e) => onChange(e.target.value ? Number(e.target.value) : null)}>
                <option value="">Choose a tool…</option>
                {tools.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            );
          case "value":
            return (
              <input
                id={id}
                aria-describedby={d}
                value={text}
                placeholder={field.placeholder}
                onChange={(e) => {
                  setText(e.target.value);
                  onChange(parseLooseValue(e.target.value));
                }}
              />
            );
          case "json":
            return (
              <input
                id={id}
                aria-describedby={d}
                className="mono"
                value={text}
                placeholder={field.placeholder ?? "{}"}
                onChange={(e) => {
                  setText(e.target.value);
                  if (!e.target.value.trim()) {
                    setJsonError(null);
                    onChange(undefined);
                    return;
                  }
                  try {
                    const parsed: unknown = JSON.parse(e.target.value);
                    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("must be a JSON object");
                    setJsonError(null);
                    onChange(parsed);
                  } catch (exc) {
                    setJsonError(`Not a JSON object: ${exc instanceof Error ? exc.message : String(exc)}`);
                  }
                }}
              />
            );
          case "code":
            return <Editor id={id} label={field.label} value={String(value ?? "")} readOnly={!editable} placeholder={field.placeholder} minHeight={60} onChange={onChange} />;
          default: {
            const listId = field.options ? `${id}-options` : undefined;
            return (
              <>
                <input id={id} aria-describedby={d} list={listId} value={String(value ?? "")} placeholder={field.placeholder} onChange={(e) => onChange(e.target.value)} />
                {listId && (
                  <datalist id={listId}>
                    {field.options?.map((o) => (
                      <option key={o} value={o} />
                    ))}
                  </datalist>
                )}
              </>
            );
          }
        }
      }}
    </Field>
  );
}

/** The events a state condition is evaluated on, as checkboxes (none: the default ones, listed in the help). */
function TriggersField({ field, meta, value, error, onChange }: { field: FieldSpec; meta: Meta; value: unknown; error: string | undefined; onChange: (value: unknown) => void }) {
  const chosen = Array.isArray(value) ? value.map(String) : [];
  const names = meta.triggers.names.length ? meta.triggers.names : chosen;
  const words = (name: string) => name.replace(/_/g, " ");
  const summary = chosen.length ? `only on ${chosen.map(words).join(", ")}` : `the default events (${meta.triggers.default.map(words).join(", ") || "a user turn, a tool result, a decision, a context update"})`;
  return (
    <fieldset className={`field triggers-field${error ? " has-error" : ""}`} data-testid="triggers">
      <legend className="label">{field.label}</legend>
      <details open={chosen.length > 0 || Boolean(error)}>
        <summary className="field-help">Checked {summary}</summary>
        <div className="checklist checklist-columns">
          {names.map((name) => (
            <label key={name}>
              <input
                type="checkbox"
                checked={chosen.includes(name)}
                onChange={(e) => onChange(e.target.checked ? names.filter((n) => n === name || chosen.includes(n)) : chosen.filter((n) => n !== name))}
              />
              {words(name)}
            </label>
          ))}
        </div>
      </details>
      {error && (
        <div className="field-error" role="alert" data-testid="field-error">
          {error}
        </div>
      )}
    </fieldset>
  );
}
