// With nothing selected, the inspector shows the conversation itself: name, description, initial agent (as text for
// a reader).
import { useState, type FormEvent } from "react";
import type { Agent, Conversation } from "../api/types";
import { Field, FormError } from "../components/Field";
import { useSubmit } from "./useSubmit";

export function ConversationForm({
  conversation,
  agents,
  editable,
  onSave,
}: {
  conversation: Conversation;
  agents: Agent[];
  editable: boolean;
  onSave: (patch: Partial<Conversation>) => Promise<unknown>;
}) {
  const [name, setName] = useState(conversation.name);
  const [description, setDescription] = useState(conversation.description ?? "");
  const [initial, setInitial] = useState(conversation.initial_agent_id ?? "");
  const { error, submit } = useSubmit();
  const patch: Partial<Conversation> = {};
  if (name !== conversation.name) patch.name = name;
  if (description !== (conversation.description ?? "")) patch.description = description;
  if ((initial || null) !== conversation.initial_agent_id) patch.initial_agent_id = initial === "" ? null : Number(initial);
  const dirty = Object.keys(patch).length > 0;

  if (!editable) return <ConversationText conversation={conversation} agents={agents} />;

  async function save(event: FormEvent) {
    event.preventDefault();
    await submit(() => onSave(patch));
  }

  return (
    <form className="inspector-form" onSubmit={save} aria-label="Conversation">
      <ConversationHead conversation={conversation} />
      <FormError message={error && !error.problems.length ? error.message : null} />
      <fieldset className="plain">
        <Field label="Name" error={error?.fieldMessage("name")}>
          {(id, d) => <input id={id} aria-describedby={d} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description" error={error?.fieldMessage("description")}>
          {(id, d) => <textarea id={id} aria-describedby={d} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field label="Initial agent" error={error?.fieldMessage("initial_agent_id")} help="Every session starts with this agent.">
          {(id, d) => (
            <select id={id} aria-describedby={d} value={initial} onChange={(e) => setInitial(e.target.value === "" ? "" : Number(e.target.value))}>
              <option value="">—</option>
              {agents.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={!dirty}>
          Save conversation
        </button>
      </div>
      <p className="hint">
        Select an agent or a transition to edit it. Drag from an agent's right edge to another agent to connect them.
      </p>
    </form>
  );
}

/** The conversation as text, for a reader (a viewer token): no disabled inputs. */
function ConversationText({ conversation, agents }: { conversation: Conversation; agents: Agent[] }) {
  const initial = agents.find((a) => a.id === conversation.initial_agent_id)?.name ?? "—";
  return (
    <article className="inspector-form" aria-label="Conversation">
      <ConversationHead conversation={conversation} />
      <dl className="facts">
        <dt>Description</dt>
        <dd>{conversation.description?.trim() || "—"}</dd>
        <dt>Initial agent</dt>
        <dd>{initial}</dd>
      </dl>
      <p className="hint">Select an agent or a transition to read it.</p>
    </article>
  );
}

/** The inspector's heading for the conversation, the same for editors and readers. */
function ConversationHead({ conversation }: { conversation: Conversation }) {
  return (
    <header className="inspector-head">
      <div>
        <div className="inspector-kind">Conversation</div>
        <h2>{conversation.name}</h2>
        <div className="muted">
          {conversation.agent_count} agents · {conversation.transition_count} transitions · revision {conversation.revision}
        </div>
      </div>
    </header>
  );
}
