// Published versions: publish the draft, compare any two versions (or a version and the draft), roll back.
import { useCallback, useEffect, useState } from "react";
import type { Diff, FieldChange, VersionInfo } from "../api/types";
import { useAuth } from "../state/auth";
import type { ConversationStore, Snapshot } from "../state/conversationStore";

type Side = number | "draft";

function show(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value.length > 160 ? value.slice(0, 159) + "…" : value;
  const text = JSON.stringify(value);
  return text.length > 160 ? text.slice(0, 159) + "…" : text;
}

function Changes({ fields }: { fields: Record<string, FieldChange> }) {
  return (
    <table className="change-table">
      <tbody>
        {Object.entries(fields).map(([name, change]) => (
          <tr key={name}>
            <th>{name}</th>
            <td className="diff-from">{show(change.from)}</td>
            <td className="diff-arrow">→</td>
            <td className="diff-to">{show(change.to)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const ref = (t: { source: string; target: string; index: number; condition_type?: string }) =>
  `${t.source} → ${t.target}${t.index ? ` #${t.index + 1}` : ""}${t.condition_type ? ` (${t.condition_type.replace(/_/g, " ")})` : ""}`;

export function DiffView({ diff }: { diff: Diff }) {
  const sections: { title: string; added: string[]; removed: string[]; changed: { name: string; body: React.ReactNode }[] }[] = [
    {
      title: "Agents",
      added: diff.agents.added,
      removed: diff.agents.removed,
      changed: diff.agents.changed.map((c) => ({ name: c.name, body: <Changes fields={c.fields} /> })),
    },
    {
      title: "Transitions",
      added: diff.transitions.added.map(ref),
      removed: diff.transitions.removed.map(ref),
      changed: diff.transitions.changed.map((c) => ({ name: ref(c), body: <Changes fields={c.fields} /> })),
    },
    {
      title: "Rules",
      added: diff.rules.added.map(ref),
      removed: diff.rules.removed.map(ref),
      changed: diff.rules.changed.map((c) => ({ name: ref(c), body: <Changes fields={{ rules: { from: c.from, to: c.to } }} /> })),
    },
    {
      title: "Tools",
      added: diff.tools.added,
      removed: diff.tools.removed,
      changed: diff.tools.changed.map((c) => ({ name: c.name, body: <Changes fields={c.fields} /> })),
    },
  ];
  const conversationChanges = Object.keys(diff.conversation.changed).length;
  const empty = !conversationChanges && sections.every((s) => !s.added.length && !s.removed.length && !s.changed.length);
  return (
    <div className="diff" data-testid="diff">
      {empty && <div className="muted pad">No differences.</div>}
      {conversationChanges > 0 && (
        <section className="diff-section">
          <h3>Conversation</h3>
          <Changes fields={diff.conversation.changed} />
        </section>
      )}
      {sections.map((s) =>
        s.added.length || s.removed.length || s.changed.length ? (
          <section key={s.title} className="diff-section">
            <h3>{s.title}</h3>
            <ul>
              {s.added.map((name) => (
                <li key={`+${name}`} className="diff-added">
                  <span className="diff-mark">+</span> {name}
                </li>
              ))}
              {s.removed.map((name) => (
                <li key={`-${name}`} className="diff-removed">
                  <span className="diff-mark">−</span> {name}
                </li>
              ))}
              {s.changed.map((c) => (
                <li key={`~${c.name}`} className="diff-changed">
                  <span className="diff-mark">~</span> {c.name}
                  {c.body}
                </li>
              ))}
            </ul>
          </section>
        ) : null,
      )}
    </div>
  );
}

export function VersionsView({ snapshot, store }: { snapshot: Snapshot; store: ConversationStore }) {
  const { client, canEdit } = useAuth();
  const { conversation } = snapshot;
  const cid = conversation.id;
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  const [from, setFrom] = useState<Side | null>(null);
  const [to, setTo] = useState<Side>("draft");
  const [diff, setDiff] = useState<Diff | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await client.versions(cid);
      setVersions(list);
      setFrom((f) => f ?? list[0]?.version ?? null);
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  }, [client, cid]);

  useEffect(() => {
    void load();
  }, [load, conversation.revision, conversation.version]);

  useEffect(() => {
    if (from === null) return;
    let live = true;
    client.diff(cid, from, to).then(
      (d) => live && (setDiff(d), setError(null)),
      (exc: unknown) => live && setError(exc instanceof Error ? exc.message : String(exc)),
    );
    return () => {
      live = false;
    };
  }, [client, cid, from, to, conversation.revision]);

  async function rollback(version: number) {
    if (!window.confirm(`Make version ${version} the definition again and publish it as a new version?`)) return;
    try {
      await store.change(`Roll back to v${version}`, (rev) => rev.track((r) => client.rollback(cid, version, r)));
      await load();
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  }

  const sides: { value: string; label: string }[] = [
    { value: "draft", label: conversation.published ? "Draft (same as latest)" : "Draft (unpublished edits)" },
    ...(versions ?? []).map((v) => ({ value: String(v.version), label: `v${v.version}${v.latest ? " (latest)" : ""}` })),
  ];
  const parse = (value: string): Side => (value === "draft" ? "draft" : Number(value));

  return (
    <div className="versions-view">
      <section className="version-list" aria-label="Versions">
        <header className="list-head">
          <h2>Versions</h2>
        </header>
        {error && <div className="banner banner-error">{error}</div>}
        {versions && versions.length === 0 && <div className="muted pad">Nothing published yet. Publish to freeze the graph sessions run on.</div>}
        <ul className="version-items">
          {versions?.map((v) => (
            <li key={v.version} className="version-item" data-testid="version-item" data-version={v.version}>
              <div className="version-title">
                <strong>v{v.version}</strong>
                {v.latest && <span className="badge badge-ok">latest</span>}
              </div>
              <div className="muted small">
                {new Date(v.created_at).toLocaleString()} · {v.agent_count} agents · {v.transition_count} transitions
              </div>
              <div className="version-actions">
                <button type="button" className="btn btn-small" onClick={() => (setFrom(v.version), setTo("draft"))}>
                  Diff with draft
                </button>
                {!v.latest && canEdit && (
                  <button type="button" className="btn btn-small" onClick={() => void rollback(v.version)}>
                    Roll back to v{v.version}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      </section>
      <section className="diff-panel" aria-label="Diff">
        <header className="list-head">
          <h2>Compare</h2>
          <select aria-label="From version" value={from === null ? "" : String(from)} onChange={(e) => setFrom(parse(e.target.value))} disabled={!versions?.length}>
            {sides.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          <span>→</span>
          <select aria-label="To version" value={String(to)} onChange={(e) => setTo(parse(e.target.value))} disabled={!versions?.length}>
            {sides.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </header>
        {diff && from !== null ? <DiffView diff={diff} /> : <div className="muted pad">Publish a version to compare.</div>}
      </section>
    </div>
  );
}
