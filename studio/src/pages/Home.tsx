// The conversations in this database; editors create new ones or import a document.
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, asApiError } from "../api/errors";
import type { Conversation } from "../api/types";
import { Field, FormError } from "../components/Field";
import { useAuth } from "../state/auth";

export function Home({ onOpen }: { onOpen: (id: number) => void }) {
  const { client, canEdit } = useAuth();
  const [conversations, setConversations] = useState<Conversation[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");

  useEffect(() => {
    client.conversations().then(setConversations, (exc: unknown) => setError(asApiError(exc)));
  }, [client]);

  async function create(e: FormEvent) {
    e.preventDefault();
    try {
      const created = await client.createConversation({ name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) });
      onOpen(created.id);
    } catch (exc) {
      setError(asApiError(exc));
    }
  }

  async function importFile(file: File) {
    const text = await file.text();
    const yaml = /\.ya?ml$/i.test(file.name);
    try {
      const response = await fetch("/api/v1/documents", {
        method: "POST",
        headers: { Authorization: `Bearer ${client.token}`, "Content-Type": yaml ? "application/yaml" : "application/json" },
        body: text,
      });
      const body = (await response.json()) as { conversation?: Conversation; detail?: unknown };
      if (!response.ok || !body.conversation) throw new ApiError(response.status, typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
      onOpen(body.conversation.id);
    } catch (exc) {
      setError(asApiError(exc));
    }
  }

  return (
    <main className="home">
      <header className="home-head">
        <h1>Conversations</h1>
        {canEdit && (
          <div className="home-actions">
            <label className="btn">
              Import…
              <input type="file" accept=".json,.yaml,.yml" className="sr-only" onChange={(e) => e.target.files?.[0] && void importFile(e.target.files[0])} />
            </label>
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              + New conversation
            </button>
          </div>
        )}
      </header>
      <FormError message={error && !error.problems.length ? error.message : null} />
      {creating && (
        <form className="card create-card" onSubmit={create} aria-label="New conversation">
          <Field label="Name" error={error?.fieldMessage("name")}>
            {(id, d) => <input id={id} aria-describedby={d} autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Help desk" />}
          </Field>
          <Field label="Description" error={error?.fieldMessage("description")}>
            {(id, d) => <input id={id} aria-describedby={d} value={description} onChange={(e) => setDescription(e.target.value)} placeholder="What this assistant is for" />}
          </Field>
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
              Create
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setCreating(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {conversations === null && !error && <div className="muted">Loading…</div>}
      {conversations?.length === 0 && !creating && (
        <div className="card empty-card">
          <p>No conversations yet.</p>
          {canEdit ? <p className="muted">Create one, or import a document exported with `rataura2 graph export`.</p> : <p className="muted">An editor can create one.</p>}
        </div>
      )}
      <ul className="conversation-grid">
        {conversations?.map((c) => (
          <li key={c.id}>
            <button type="button" className="card conversation-card" onClick={() => onOpen(c.id)} data-testid="conversation-card">
              <div className="conversation-card-head">
                <strong>{c.name}</strong>
                {c.version > 0 ? (
                  <span className={`badge ${c.published === false ? "badge-warn" : "badge-ok"}`}>{c.published === false ? `v${c.version} + edits` : `v${c.version}`}</span>
                ) : (
                  <span className="badge badge-muted">draft</span>
                )}
              </div>
              {c.description && <p className="muted">{c.description}</p>}
              <div className="small muted">
                {c.agent_count} agents · {c.transition_count} transitions · updated {new Date(c.updated_at).toLocaleDateString()}
              </div>
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}
