// One conversation: its header (publish state, views) and the chosen view.
import { lazy, Suspense, useState } from "react";
import { DesignView } from "../design/DesignView";
import type { View } from "../lib/route";
import { useAuth } from "../state/auth";
import { useConversationStore } from "../state/conversationStore";

// the other views are loaded when first opened: the first page (the design view) parses none of their code
const Playground = lazy(() => import("../playground/Playground").then((m) => ({ default: m.Playground })));
const SessionsView = lazy(() => import("../sessions/SessionsView").then((m) => ({ default: m.SessionsView })));
const VersionsView = lazy(() => import("../versions/VersionsView").then((m) => ({ default: m.VersionsView })));

const VIEWS: { view: View; label: string }[] = [
  { view: "design", label: "Design" },
  { view: "playground", label: "Playground" },
  { view: "sessions", label: "Sessions" },
  { view: "versions", label: "Versions" },
];

export function ConversationPage({
  conversationId,
  view,
  sessionId,
  onView,
  onSession,
}: {
  conversationId: number;
  view: View;
  sessionId?: string | undefined;
  onView: (view: View) => void;
  onSession: (sid: string | undefined) => void;
}) {
  const { client, canEdit } = useAuth();
  const store = useConversationStore(client, conversationId);
  const [publishing, setPublishing] = useState(false);
  const [publishError, setPublishError] = useState<string | null>(null);
  const snapshot = store.snapshot;

  async function publish() {
    setPublishing(true);
    try {
      await store.change("Publish", (rev) => rev.track((r) => client.publish(conversationId, r)));
      setPublishError(null);
    } catch (exc) {
      setPublishError(exc instanceof Error ? exc.message : String(exc));
    } finally {
      setPublishing(false);
    }
  }

  /** The conversation as a YAML document (what `rataura2 graph export` writes), downloaded. */
  async function exportDocument() {
    try {
      const response = await fetch(`/api/v1/conversations/${conversationId}/document`, {
        headers: { Authorization: `Bearer ${client.token}`, Accept: "application/yaml" },
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = `${(snapshot?.conversation.name ?? "conversation").replace(/[^\w.-]+/g, "-")}.yaml`;
      link.click();
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (exc) {
      setPublishError(`Export: ${exc instanceof Error ? exc.message : String(exc)}`);
    }
  }

  if (store.loadError && !snapshot) return <div className="banner banner-error page-error">{store.loadError}</div>;
  if (!snapshot) return <div className="splash">Loading…</div>;
  const { conversation, lint } = snapshot;
  const errors = lint?.findings.filter((f) => f.severity === "error").length ?? 0;

  return (
    <div className="conversation-page">
      <div className="subheader">
        <div className="conversation-title">
          <h1>{conversation.name}</h1>
          {conversation.version === 0 ? (
            <span className="badge badge-muted" data-testid="publish-state">
              never published
            </span>
          ) : conversation.published ? (
            <span className="badge badge-ok" data-testid="publish-state">
              v{conversation.version} published
            </span>
          ) : (
            <span className="badge badge-warn" data-testid="publish-state">
              v{conversation.version} + unpublished edits
            </span>
          )}
        </div>
        <nav className="tabs" aria-label="Views">
          {VIEWS.map((v) => (
            <a
              key={v.view}
              href={`#/c/${conversationId}/${v.view}`}
              className={`tab${view === v.view ? " is-current" : ""}`}
              aria-current={view === v.view ? "page" : undefined}
              onClick={(e) => {
                e.preventDefault();
                onView(v.view);
              }}
            >
              {v.label}
            </a>
          ))}
        </nav>
        <div className="subheader-actions">
          {publishError && (
            <span className="field-error" role="alert">
              {publishError}
            </span>
          )}
          <button type="button" className="btn" onClick={() => void exportDocument()} title="Download the conversation as a YAML document (rataura2 graph import reads it)">
            Export
          </button>
          {canEdit && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => void publish()}
              disabled={publishing || (conversation.published && conversation.version > 0) || errors > 0}
              title={errors > 0 ? "Fix the lint errors first" : conversation.published ? "Nothing new to publish" : "Publish the draft as a new version"}
            >
              {publishing ? "Publishing…" : "Publish"}
            </button>
          )}
        </div>
      </div>
      <div className="view-body">
        <Suspense fallback={<div className="splash">Loading…</div>}>
          {view === "design" && <DesignView store={store} snapshot={snapshot} />}
          {view === "playground" && <Playground store={store} snapshot={snapshot} />}
          {view === "sessions" && <SessionsView conversationId={conversationId} sessionId={sessionId} onOpen={onSession} />}
          {view === "versions" && <VersionsView store={store} snapshot={snapshot} />}
        </Suspense>
      </div>
    </div>
  );
}
