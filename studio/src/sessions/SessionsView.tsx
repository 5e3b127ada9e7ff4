// Recorded sessions of the conversation, and one session's timeline: every event, each hand-over with its reason,
// and the context after each step.
import { useCallback, useEffect, useState } from "react";
import type { Page, SessionSummary, Timeline } from "../api/types";
import { JsonTree } from "../components/JsonTree";
import { summarize } from "../lib/feed";
import { useAuth } from "../state/auth";

const PAGE = 50;
/** Speaking / listening / thinking: many, and seldom what a designer looks for (shown on request). */
const STATE_CHANGES = new Set(["agent_state_changed", "user_state_changed"]);

function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function SessionsView({ conversationId, sessionId, onOpen }: { conversationId: number; sessionId?: string | undefined; onOpen: (sid: string | undefined) => void }) {
  const { client } = useAuth();
  const [status, setStatus] = useState("");
  const [page, setPage] = useState<Page<SessionSummary> | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (offset = 0) => {
      try {
        const next = await client.sessions({ conversation_id: conversationId, status: status || undefined, limit: PAGE, offset });
        setPage((prev) => (offset && prev ? { ...next, items: [...prev.items, ...next.items] } : next));
        setError(null);
      } catch (exc) {
        setError(exc instanceof Error ? exc.message : String(exc));
      }
    },
    [client, conversationId, status],
  );

  useEffect(() => {
    void load(0);
  }, [load]);

  return (
    <div className="sessions-view">
      <section className="session-list" aria-label="Sessions">
        <header className="list-head">
          <h2>Sessions</h2>
          <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All</option>
            <option value="active">Active</option>
            <option value="ended">Ended</option>
          </select>
          <button type="button" className="btn btn-small" onClick={() => void load(0)}>
            Refresh
          </button>
        </header>
        {error && <div className="banner banner-error">{error}</div>}
        {page && page.items.length === 0 && <div className="muted pad">No recorded sessions yet. Start one in the Playground.</div>}
        <ul className="session-items">
          {page?.items.map((s) => (
            <li key={s.session_id}>
              <button
                type="button"
                className={`session-item${s.session_id === sessionId ? " is-selected" : ""}`}
                onClick={() => onOpen(s.session_id)}
                data-testid="session-item"
                data-session-id={s.session_id}
              >
                <span className="session-id">{s.session_id}</span>
                <span className={`badge ${s.status === "active" ? "badge-ok" : "badge-muted"}`}>{s.status}</span>
                <span className="session-meta">
                  v{s.version} · {s.current_agent_name ?? "—"} · {s.turn_count} turn{s.turn_count === 1 ? "" : "s"} · {s.events} events
                </span>
                <span className="session-meta muted">{when(s.updated_at)}</span>
              </button>
            </li>
          ))}
        </ul>
        {page && page.items.length < page.total && (
          <button type="button" className="btn btn-small" onClick={() => void load(page.items.length)}>
            Load more ({page.total - page.items.length} left)
          </button>
        )}
      </section>
      <section className="timeline-panel" aria-label="Timeline">
        {sessionId ? <TimelineView sessionId={sessionId} /> : <div className="muted pad">Choose a session to see its timeline.</div>}
      </section>
    </div>
  );
}

export function TimelineView({ sessionId }: { sessionId: string }) {
  const { client } = useAuth();
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [show, setShow] = useState<"steps" | "all" | "handovers">("steps");

  useEffect(() => {
    let live = true;
    setTimeline(null);
    client.timeline(sessionId).then(
      (t) => live && setTimeline(t),
      (exc: unknown) => live && setError(exc instanceof Error ? exc.message : String(exc)),
    );
    return () => {
      live = false;
    };
  }, [client, sessionId]);

  if (error) return <div className="banner banner-error">{error}</div>;
  if (!timeline) return <div className="muted pad">Loading the timeline…</div>;
  const steps = timeline.steps.filter((s) =>
    show === "handovers" ? s.transitions.length > 0 : show === "all" || s.transitions.length > 0 || !STATE_CHANGES.has(s.event.type),
  );
  const handovers = timeline.steps.reduce((n, s) => n + s.transitions.length, 0);
  return (
    <div className="timeline" data-testid="timeline">
      <header className="list-head">
        <h2>
          <code>{timeline.session_id}</code>
        </h2>
        <span className="muted">
          version {timeline.version} · {timeline.status} · {timeline.steps.length} events · {handovers} hand-over{handovers === 1 ? "" : "s"}
        </span>
        <span className="spacer" />
        <label className="inline-label">
          Show{" "}
          <select aria-label="Events shown" value={show} onChange={(e) => setShow(e.target.value as typeof show)}>
            <option value="steps">events, without state changes</option>
            <option value="all">every event</option>
            <option value="handovers">hand-overs only</option>
          </select>
        </label>
      </header>
      <ol className="steps">
        {steps.map((step) => {
          const message = step.event.type.endsWith("_message") ? String(step.event.data?.message ?? "") : null;
          return (
            <li key={step.seq} className={`step step-${step.event.type}`} data-testid="timeline-step" data-event-type={step.event.type}>
              <div className="step-rail">
                <span className="step-seq">#{step.seq}</span>
              </div>
              <div className="step-body">
                <div className="step-head">
                  <span className="chip">{step.event.type.replace(/_/g, " ")}</span>
                  <span className="muted small">{new Date(step.event.timestamp * 1000).toLocaleTimeString()}</span>
                  <span className="muted small">at {step.agent_name ?? "—"}</span>
                  {step.result?.status === "error" && <span className="badge badge-error">error</span>}
                </div>
                {message !== null ? <div className="step-message">“{message}”</div> : <div className="step-summary mono">{summarize(step.event)}</div>}
                {step.transitions.map((t, i) => (
                  <div key={i} className="handover" data-testid="timeline-handover" data-transition-id={t.transition_id}>
                    <div className="handover-route">
                      ⇢ <strong>{t.from_agent_name}</strong> → <strong>{t.to_agent_name}</strong> <span className="muted">(transition {t.transition_id})</span>
                    </div>
                    <div className="handover-reason" data-testid="handover-reason">
                      {t.reason}
                    </div>
                  </div>
                ))}
                {step.result?.errors?.map((e, i) => (
                  <div key={i} className="field-error">
                    {e.transition_id ? `transition ${e.transition_id}: ` : ""}
                    {e.message}
                  </div>
                ))}
                <details className="step-context">
                  <summary>Context after this step</summary>
                  <JsonTree value={step.context} open={1} />
                </details>
              </div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
