// The agent inspector: identity, instructions (a code editor), models from pick-lists, tools, and its transitions.
import { useMemo, useState, type FormEvent } from "react";
import { asApiError } from "../api/errors";
import type { Agent, Tool, Transition } from "../api/types";
import { Editor } from "../components/Editor";
import { Field, FormError } from "../components/Field";
import { modelSuggestions } from "../lib/meta";
import { useMeta } from "../state/meta";
import { TransitionLinks } from "./ReadOnly";
import { useSubmit } from "./useSubmit";

const EDITABLE = [
  "name",
  "agent_type",
  "description",
  "instructions",
  "llm_provider",
  "llm_model",
  "stt_provider",
  "stt_model",
  "tts_provider",
  "tts_model",
  "tool_ids",
  "is_active",
] as const;
type Draft = Pick<Agent, (typeof EDITABLE)[number]>;

function draftOf(agent: Agent): Draft {
  const draft = {} as Record<string, unknown>;
  for (const key of EDITABLE) draft[key] = agent[key];
  return draft as Draft;
}

/** The fields the draft changed, as a PATCH body (empty model names become null). */
export function changedFields(agent: Agent, draft: Draft): Partial<Agent> {
  const patch: Record<string, unknown> = {};
  for (const key of EDITABLE) {
    let value: unknown = draft[key];
    if (typeof value === "string" && key.endsWith("_model") && value.trim() === "") value = null;
    if (JSON.stringify(value) !== JSON.stringify(agent[key])) patch[key] = value;
  }
  return patch as Partial<Agent>;
}

export interface AgentFormProps {
  agent: Agent;
  agents: Agent[];
  tools: Tool[];
  outgoing: Transition[];
  isInitial: boolean;
  editable: boolean;
  describe: (t: Transition) => string;
  onSave: (patch: Partial<Agent>) => Promise<unknown>;
  onDelete: () => void;
  onMakeInitial: () => void;
  onAddTransition: (targetId: number) => void;
  onSelectTransition: (id: number) => void;
  onCreateTool: (tool: { name: string; function_name: string; description: string }) => Promise<Tool>;
}

export function AgentForm(props: AgentFormProps) {
  const { agent, agents, tools, outgoing, isInitial, editable, describe } = props;
  const meta = useMeta();
  const [draft, setDraft] = useState<Draft>(() => draftOf(agent));
  const { error, setError, saving, submit } = useSubmit();
  const [target, setTarget] = useState<string>("");
  const [newTool, setNewTool] = useState<{ name: string; function_name: string; description: string } | null>(null);
  const patch = useMemo(() => changedFields(agent, draft), [agent, draft]);
  const dirty = Object.keys(patch).length > 0;

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function save(event?: FormEvent) {
    event?.preventDefault();
    if (!dirty || !editable) return;
    await submit(() => props.onSave(patch));
  }

  const fieldError = (key: string) => error?.fieldMessage(key);
  const enumOptions = (field: string, current: string) => {
    const values = meta.enums[field] ?? [];
    return values.includes(current) ? values : [current, ...values];
  };
  const modelField = (kind: "llm" | "stt" | "tts") => {
    const provider = draft[`${kind}_provider`];
    const key = `${kind}_model` as const;
    const listId = `models-${kind}-${agent.id}`;
    return (
      <Field label={`${kind.toUpperCase()} model`} error={fieldError(key)}>
        {(id, describedBy) => (
          <>
            <input
              id={id}
              aria-describedby={describedBy}
              list={listId}
              value={draft[key] ?? ""}
              placeholder={provider === "none" ? "—" : "model name"}
              disabled={!editable || provider === "none"}
              onChange={(e) => set(key, e.target.value)}
            />
            <datalist id={listId}>
              {modelSuggestions(meta, kind, provider).map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
          </>
        )}
      </Field>
    );
  };
  const providerField = (kind: "llm" | "stt" | "tts") => {
    const key = `${kind}_provider` as const;
    return (
      <Field label={`${kind.toUpperCase()} provider`} error={fieldError(key)}>
        {(id, describedBy) => (
          <select id={id} aria-describedby={describedBy} value={draft[key]} disabled={!editable} onChange={(e) => set(key, e.target.value)}>
            {enumOptions(key, draft[key]).map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        )}
      </Field>
    );
  };

  const others = agents.filter((a) => a.id !== agent.id);
  const names = new Map(agents.map((a) => [a.id, a.name]));

  return (
    <form
      className="inspector-form"
      onSubmit={save}
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void save();
      }}
      aria-label={`Agent ${agent.name}`}
    >
      <header className="inspector-head">
        <div>
          <div className="inspector-kind">Agent</div>
          <h2>{agent.name}</h2>
        </div>
        {isInitial ? (
          <span className="badge badge-start">Initial agent</span>
        ) : (
          editable && (
            <button type="button" className="btn btn-small" onClick={props.onMakeInitial}>
              Make initial
            </button>
          )
        )}
      </header>
      <FormError message={error && !error.problems.length ? error.message : null} />
      <fieldset disabled={!editable} className="plain">
        <Field label="Name" error={fieldError("name")}>
          {(id, d) => <input id={id} aria-describedby={d} value={draft.name} onChange={(e) => set("name", e.target.value)} />}
        </Field>
        <div className="row">
          <Field label="Type" error={fieldError("agent_type")}>
            {(id, d) => (
              <select id={id} aria-describedby={d} value={draft.agent_type} onChange={(e) => set("agent_type", e.target.value)}>
                {enumOptions("agent_type", draft.agent_type).map((v) => (
                  <option key={v} value={v}>
                    {v.replace(/_/g, " ")}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Active" inline>
            {(id) => <input id={id} type="checkbox" checked={draft.is_active} onChange={(e) => set("is_active", e.target.checked)} />}
          </Field>
        </div>
        <Field label="Description" error={fieldError("description")}>
          {(id, d) => <input id={id} aria-describedby={d} value={draft.description ?? ""} onChange={(e) => set("description", e.target.value)} />}
        </Field>
      </fieldset>
      <Field label="Instructions" error={fieldError("instructions")} help="What the agent is told (Markdown). Ctrl+Enter saves.">
        {(id) => (
          <Editor
            id={id}
            label="Instructions"
            language="markdown"
            value={draft.instructions}
            readOnly={!editable}
            minHeight={120}
            onChange={(v) => set("instructions", v)}
            onSubmit={() => void save()}
          />
        )}
      </Field>
      <fieldset disabled={!editable} className="plain">
        <div className="row">
          {providerField("llm")}
          {modelField("llm")}
        </div>
        <div className="row">
          {providerField("stt")}
          {modelField("stt")}
        </div>
        <div className="row">
          {providerField("tts")}
          {modelField("tts")}
        </div>
        <div className="field">
          <span className="label">Tools</span>
          {tools.length === 0 && <div className="muted">No tools defined yet.</div>}
          <div className="checklist">
            {tools.map((tool) => (
              <label key={tool.id} title={tool.description ?? undefined}>
                <input
                  type="checkbox"
                  checked={draft.tool_ids.includes(tool.id)}
                  onChange={(e) =>
                    set("tool_ids", e.target.checked ? [...draft.tool_ids, tool.id].sort((a, b) => a - b) : draft.tool_ids.filter((t) => t !== tool.id))
                  }
                />
                {tool.name}
                <span className="muted"> {tool.function_name}()</span>
              </label>
            ))}
          </div>
          {fieldError("tool_ids") && <div className="field-error">{fieldError("tool_ids")}</div>}
          {editable &&
            (newTool ? (
              <div className="subform">
                <input aria-label="Tool name" placeholder="name" value={newTool.name} onChange={(e) => setNewTool({ ...newTool, name: e.target.value })} />
                <input
                  aria-label="Function name"
                  placeholder="function_name"
                  value={newTool.function_name}
                  onChange={(e) => setNewTool({ ...newTool, function_name: e.target.value })}
                />
                <input
                  aria-label="Tool description"
                  placeholder="description"
                  value={newTool.description}
                  onChange={(e) => setNewTool({ ...newTool, description: e.target.value })}
                />
                <div className="actions">
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={async () => {
                      try {
                        const tool = await props.onCreateTool(newTool);
                        set("tool_ids", [...draft.tool_ids, tool.id]);
                        setNewTool(null);
                      } catch (exc) {
                        setError(asApiError(exc));
                      }
                    }}
                  >
                    Create tool
                  </button>
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setNewTool(null)}>
                    Cancel
                  </button>
                </div>
              </div>
            ) : (
              <button type="button" className="btn btn-link" onClick={() => setNewTool({ name: "", function_name: "", description: "" })}>
                + New tool
              </button>
            ))}
        </div>
      </fieldset>
      {editable && (
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={!dirty || saving}>
            {saving ? "Saving…" : "Save agent"}
          </button>
          <button type="button" className="btn btn-ghost" disabled={!dirty} onClick={() => setDraft(draftOf(agent))}>
            Revert
          </button>
          <span className="spacer" />
          <button type="button" className="btn btn-danger-ghost" onClick={props.onDelete}>
            Delete agent
          </button>
        </div>
      )}
      <section className="inspector-section">
        <h3>Transitions out ({outgoing.length})</h3>
        <TransitionLinks outgoing={outgoing} names={names} describe={describe} onSelect={props.onSelectTransition} />
        {editable && others.length + 1 > 0 && (
          <div className="inline-add">
            <select aria-label="Target agent for a new transition" value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">Add a transition to…</option>
              {[agent, ...others].map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="btn btn-small"
              disabled={!target}
              onClick={() => {
                props.onAddTransition(Number(target));
                setTarget("");
              }}
            >
              Add
            </button>
          </div>
        )}
      </section>
    </form>
  );
}
