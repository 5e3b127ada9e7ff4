// The playground: a real session on the server, on the draft or any published version, chatted with through the
// API (POST .../chat: the agents answer on a livekit-agents AgentSession in text mode, offline LLM unless theirs can
// run on the server). The SSE stream shows each message, event and hand-over (with its reason) as it happens; the
// canvas marks the active agent and the path taken; the context is beside it.
import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/errors";
import type { SessionState, VersionInfo } from "../api/types";
import { JsonTree } from "../components/JsonTree";
import { Canvas } from "../design/Canvas";
import { eventItem, handoverItem, mergeFeed, type FeedItem, type StreamEvent, type StreamTransition } from "../lib/feed";
import { useAuth } from "../state/auth";
import type { ConversationStore, Snapshot } from "../state/conversationStore";
import { useMeta } from "../state/meta";

const EVENT_TEMPLATES: Record<string, Record<string, unknown>> = {
  tool_result: { tool_name: "", result: {} },
  agent_decision: { decision_key: "transition_to", value: "" },
  custom: { kind: "" },
  user_left: { participant_id: "user" },
  user_joined: { participant_id: "user" },
  agent_error: { message: "" },
};

function newId(prefix: string): string {
  const random = typeof crypto !== "undefined" && "randomUUID" in crypto ? crypto.randomUUID() : Math.random().toString(36).slice(2);
  return `${prefix}-${random}`;
}

export function Playground({ snapshot, store }: { snapshot: Snapshot; store: ConversationStore }) {
  const { client, canOperate } = useAuth();
  const meta = useMeta();
  const { conversation, agents, transitions, tools, vocabulary } = snapshot;
  const cid = conversation.id;
  const [versions, setVersions] = useState<VersionInfo[]>([]);
  const [version, setVersion] = useState<string>("draft");
  const [offline, setOffline] = useState<Record<string, string>>({});
  const [session, setSession] = useState<SessionState | null>(null);
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [active, setActive] = useState<{ id: number | null; name: string | null }>({ id: null, name: null });
  const [ended, setEnded] = useState(false);
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [eventType, setEventType] = useState("tool_result");
  const [eventData, setEventData] = useState(JSON.stringify(EVENT_TEMPLATES.tool_result));
  const [streamState, setStreamState] = useState<"idle" | "open" | "closed">("idle");
  const feedEnd = useRef<HTMLDivElement>(null);
  const chat = meta.features.chat;

  useEffect(() => {
    void client.versions(cid).then(setVersions, () => setVersions([]));
  }, [client, cid, conversation.revision]);

  const sid = session?.session_id;
  useEffect(() => {
    if (!sid) return;
    const source = new EventSource(client.streamUrl(sid));
    source.onopen = () => setStreamState("open");
    source.addEventListener("event", (m) => {
      const data = JSON.parse((m as MessageEvent<string>).data) as StreamEvent;
      const item = eventItem(data);
      if (item) setFeed((f) => mergeFeed(f, [item]));
      const r = data.result;
      if (r?.current_agent_id !== undefined) setActive({ id: r.current_agent_id, name: r.current_agent_name ?? null });
    });
    source.addEventListener("transition", (m) => {
      const data = JSON.parse((m as MessageEvent<string>).data) as StreamTransition;
      setFeed((f) => mergeFeed(f, [handoverItem(data)]));
      setActive({ id: data.to_agent_id, name: data.to_agent_name });
    });
    source.addEventListener("ended", () => {
      setEnded(true);
      setStreamState("closed");
      source.close();
    });
    source.onerror = () => setStreamState(source.readyState === EventSource.CLOSED ? "closed" : "idle");
    return () => source.close();
  }, [client, sid]);

  useEffect(() => {
    feedEnd.current?.scrollIntoView({ block: "end" });
  }, [feed.length]);

  const refresh = useCallback(async (id: string) => {
    try {
      const state = await client.session(id);
      setSession(state);
      setActive({ id: state.current_agent_id, name: state.current_agent_name });
      if (state.status === "ended") setEnded(true);
    } catch {
      /* the stream still tells what happened */
    }
  }, [client]);

  async function start() {
    setError(null);
    setFeed([]);
    setEnded(false);
    setOffline({});
    try {
      const body: { conversation_id: number; session_id: string; version?: number } = { conversation_id: cid, session_id: newId("studio") };
      if (version !== "draft") body.version = Number(version);
      const created = await client.createSession(body);
      setSession(created);
      setActive({ id: created.current_agent_id, name: created.current_agent_name });
      void store.reload(); // starting a session publishes pending edits
    } catch (exc) {
      setError(exc instanceof Error ? exc.message : String(exc));
    }
  }

  async function post(run: () => Promise<{ current_agent_id?: number; current_agent_name?: string; errors?: { message: string }[] }>) {
    if (!session) return;
    setSending(true);
    setError(null);
    try {
      const result = await run();
      if (result.current_agent_id !== undefined) setActive({ id: result.current_agent_id, name: result.current_agent_name ?? null });
      if (result.errors?.length) setError(result.errors.map((e) => e.message).join("; "));
      await refresh(session.session_id);
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.message : String(exc));
    } finally {
      setSending(false);
    }
  }

  async function send(e: FormEvent) {
    e.preventDefault();
    const text = message.trim();
    if (!text || !session) return;
    setMessage("");
    const id = newId("msg");
    await post(async () => {
      if (chat) {
        const answer = await client.chat(session.session_id, text, id);
        setOffline(answer.offline);
        return { ...answer, errors: answer.problems.map((message) => ({ message })) };
      }
      return client.sendEvent(session.session_id, { id, type: "user_message", data: { message: text }, source: "studio" });
    });
  }

  async function sendOther() {
    if (!session) return;
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(eventData) as Record<string, unknown>;
    } catch (exc) {
      setError(`Event data is not JSON: ${exc instanceof Error ? exc.message : String(exc)}`);
      return;
    }
    await post(() => client.sendEvent(session.session_id, { id: newId("ev"), type: eventType, data, source: "studio" }));
  }

  async function end() {
    if (!session) return;
    await post(() => client.endSession(session.session_id, "ended in the studio playground"));
    setEnded(true);
  }

  const visited = useMemo(() => new Set(feed.flatMap((i) => (i.kind === "handover" ? [i.toId] : []))), [feed]);
  const taken = useMemo(() => new Set(feed.flatMap((i) => (i.kind === "handover" ? [i.transitionId] : []))), [feed]);
  const context = session?.context ?? null;
  const latest = versions.find((v) => v.latest);

  return (
    <div className="playground">
      <section className="chat-panel" aria-label="Chat">
        <header className="chat-head">
          {canOperate && (
          <div className="chat-controls">
            <label className="inline-label">
              Run{" "}
              <select value={version} onChange={(e) => setVersion(e.target.value)} aria-label="Version to run">
                <option value="draft">
                  {conversation.version === 0 || !conversation.published ? "the draft (starting publishes it)" : `the draft (= v${conversation.version})`}
                </option>
                {versions.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                    {v.latest ? " (latest)" : ""}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={agents.length === 0}>
              {session ? "New session" : "Start session"}
            </button>
            {session && !ended && (
              <button type="button" className="btn" onClick={() => void end()}>
                End session
              </button>
            )}
          </div>
          )}
          <div className="chat-status">
            {session ? (
              <>
                <span className="muted">
                  Session <code>{session.session_id}</code> · v{session.version}
                  {ended ? " · ended" : ""} · stream {streamState}
                  {chat ? "" : " · replies need a server with chat"}
                </span>
                <span className="active-agent-box">
                  Active agent: <strong data-testid="active-agent">{active.name ?? "—"}</strong>
                </span>
              </>
            ) : (
              <span className="muted">
                {canOperate
                  ? `Start a session to talk to ${conversation.name}${latest ? ` (latest published: v${latest.version})` : ""}.`
                  : "Your token's role cannot run sessions (editor, operator or admin needed); you can read recorded sessions in Sessions."}
              </span>
            )}
          </div>
        </header>
        {error && (
          <div className="banner banner-error" role="alert">
            {error}
          </div>
        )}
        {Object.keys(offline).length > 0 && (
          <div className="banner banner-info" role="status" data-testid="offline-llm">
            {Object.entries(offline).map(([name, why]) => (
              <div key={name}>
                <strong>{name}</strong> answers on the offline LLM here: {why}
              </div>
            ))}
          </div>
        )}
        <div className="feed" data-testid="chat-feed" aria-live="polite">
          {feed.length === 0 && session && <div className="muted feed-empty">Say something to {active.name ?? "the agent"}.</div>}
          {feed.map((item) => {
            switch (item.kind) {
              case "user":
                return (
                  <div key={item.key} className="bubble bubble-user" data-testid="chat-user">
                    {item.text}
                  </div>
                );
              case "agent":
                return (
                  <div key={item.key} className="bubble bubble-agent" data-testid="chat-agent" data-agent-name={item.agentName ?? undefined}>
                    {item.agentName && <div className="bubble-speaker">{item.agentName}</div>}
                    {item.text}
                  </div>
                );
              case "handover":
                return (
                  <div key={item.key} className="handover" data-testid="handover">
                    <div className="handover-route">
                      ⇢ <strong>{item.from}</strong> handed over to <strong>{item.to}</strong>
                    </div>
                    <div className="handover-reason">{item.reason}</div>
                  </div>
                );
              default:
                return (
                  <div key={item.key} className="feed-event" data-testid="chat-event">
                    <span className="chip">{item.type}</span> {item.summary}
                  </div>
                );
            }
          })}
          <div ref={feedEnd} />
        </div>
        {canOperate && (
          <>
        <form className="composer" onSubmit={send}>
          <label htmlFor="chat-message" className="sr-only">
            Message
          </label>
          <input
            id="chat-message"
            aria-label="Message"
            placeholder={session ? (ended ? "The session has ended" : "Type a message and press Enter") : "Start a session first"}
            value={message}
            disabled={!session || ended || !canOperate}
            onChange={(e) => setMessage(e.target.value)}
            autoComplete="off"
          />
          <button type="submit" className="btn btn-primary" disabled={!session || ended || sending || !message.trim()}>
            Send
          </button>
        </form>
        <details className="other-event">
          <summary>Send another event (tool result, decision, custom…)</summary>
          <div className="other-event-body">
            <select
              aria-label="Event type"
              value={eventType}
              onChange={(e) => {
                setEventType(e.target.value);
                setEventData(JSON.stringify(EVENT_TEMPLATES[e.target.value] ?? {}));
              }}
            >
              {(meta.enums.event_type ?? Object.keys(EVENT_TEMPLATES))
                .filter((t) => !["transition", "session_created", "session_ended", "user_message"].includes(t))
                .map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
            </select>
            <input aria-label="Event data" className="mono" value={eventData} onChange={(e) => setEventData(e.target.value)} />
            <button type="button" className="btn" onClick={() => void sendOther()} disabled={!session || ended || sending}>
              Send event
            </button>
          </div>
        </details>
          </>
        )}
      </section>
      <aside className="play-side">
        <div className="mini-canvas" aria-label="Where the session is">
          <ReactFlowProvider>
            <Canvas
              agents={agents}
              transitions={transitions}
              tools={tools}
              vocabulary={vocabulary}
              initialAgentId={conversation.initial_agent_id}
              activeAgentId={session ? active.id : null}
              visitedAgentIds={visited}
              takenTransitionIds={taken}
              editable={false}
              compact
            />
          </ReactFlowProvider>
        </div>
        <section className="context-panel" aria-label="Context">
          <h3>Context</h3>
          {context ? <JsonTree value={context} open={1} /> : <div className="muted">No session yet.</div>}
        </section>
      </aside>
    </div>
  );
}
