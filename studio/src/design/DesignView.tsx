// The design view: toolbar, canvas, inspector and lint. Every change is an API write through the store, so undo,
// redo, validation and concurrency work the same for every kind of edit.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Agent, Finding, Position, Traffic, Transition } from "../api/types";
import { describeCondition } from "../lib/conditionText";
import { lintField, type TransitionField } from "../lib/inspectorHints";
import { fittingLayout, freeSpot, NODE_HEIGHT, NODE_WIDTH } from "../lib/layout";
import { useAuth } from "../state/auth";
import type { ConversationStore, Snapshot } from "../state/conversationStore";
import { ConversationForm } from "../inspector/ConversationForm";
// a reader's inspector (the agent and the transition as text) is small: it comes with the first page, like the
// conversation's (a lazy chunk of its own would split the first page's shared code into more files)
import { AgentText, TransitionText } from "../inspector/ReadOnly";
import type { TransitionSave } from "../inspector/TransitionForm";
import { Canvas, type Selection } from "./Canvas";
import { LintPanel } from "./LintPanel";

// the agent and transition forms (the rule builder with them) load on the first selection, not with the first page
const AgentForm = lazy(() => import("../inspector/AgentForm").then((m) => ({ default: m.AgentForm })));
const TransitionForm = lazy(() => import("../inspector/TransitionForm").then((m) => ({ default: m.TransitionForm })));

export function DesignView({ store, snapshot }: { store: ConversationStore; snapshot: Snapshot }) {
  return (
    <ReactFlowProvider>
      <DesignInner store={store} snapshot={snapshot} />
    </ReactFlowProvider>
  );
}

/** A name not yet taken among the agents: "New agent", "New agent 2", ... */
export function freshName(agents: Agent[], base = "New agent"): string {
  const taken = new Set(agents.map((a) => a.name));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} ${n}`)) return `${base} ${n}`;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || !!el.closest?.(".cm-editor");
}

function DesignInner({ store, snapshot }: { store: ConversationStore; snapshot: Snapshot }) {
  const { client, canEdit } = useAuth();
  const flow = useReactFlow();
  const { conversation, agents, transitions, tools, vocabulary, lint } = snapshot;
  const cid = conversation.id;
  const [selection, setSelection] = useState<Selection>(null);
  // a field of the selected transition to focus when its form shows (a new transition: its description)
  const [focus, setFocus] = useState<{ id: number; field: TransitionField } | null>(null);
  const focused = useCallback(() => setFocus(null), []);
  const [trafficOn, setTrafficOn] = useState(false);
  const [traffic, setTraffic] = useState<Traffic | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [fitKey, setFitKey] = useState(0);
  const canvasBox = useRef<HTMLDivElement>(null);

  const names = useMemo(
    () => ({ agents: new Map(agents.map((a) => [a.id, a.name])), tools: new Map(tools.map((t) => [t.id, t.name])), vocabulary }),
    [agents, tools, vocabulary],
  );
  const describe = useCallback((t: Transition) => describeCondition(t, names), [names]);

  // a selection whose agent or transition went away (deleted, undone) is dropped
  useEffect(() => {
    if (selection?.kind === "agent" && !agents.some((a) => a.id === selection.id)) setSelection(null);
    if (selection?.kind === "transition" && !transitions.some((t) => t.id === selection.id)) setSelection(null);
  }, [agents, transitions, selection]);

  useEffect(() => {
    if (!trafficOn) return;
    let live = true;
    client
      .traffic(cid)
      .then((t) => live && setTraffic(t))
      .catch((exc: unknown) => live && setActionError(`Traffic: ${exc instanceof Error ? exc.message : String(exc)}`));
    return () => {
      live = false;
    };
  }, [trafficOn, client, cid, conversation.revision]);

  const run = useCallback(
    async <T,>(label: string, write: Parameters<ConversationStore["change"]>[1]): Promise<T | undefined> => {
      try {
        const answer = (await store.change(label, write)) as T;
        setActionError(null);
        return answer;
      } catch (exc) {
        setActionError(`${label}: ${exc instanceof Error ? exc.message : String(exc)}`);
        return undefined;
      }
    },
    [store],
  );

  const addAgent = useCallback(async () => {
    const box = canvasBox.current?.getBoundingClientRect();
    const centre = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
    const placed = flow.getNodes().map((n) => n.position);
    const position = freeSpot({ x: Math.round(centre.x - NODE_WIDTH / 2), y: Math.round(centre.y - NODE_HEIGHT / 2) }, placed);
    const name = freshName(agents);
    const created = await run<Agent>("Add agent", (rev) =>
      rev.track((r) => client.createAgent(cid, { name, position, ...(agents.length === 0 ? { make_initial: true } : {}) }, r)),
    );
    if (created) setSelection({ kind: "agent", id: created.id });
  }, [agents, client, cid, flow, run]);

  const connect = useCallback(
    async (source: number, target: number) => {
      const created = await run<Transition>("Add transition", (rev) =>
        rev.track((r) =>
          client.createTransition(
            cid,
            { source_agent_id: source, target_agent_id: target, condition_type: "agent_decision", condition_data: { decision_key: "transition_to" }, priority: 0 },
            r,
          ),
        ),
      );
      if (!created) return;
      // a new edge is selected with its form open and the description (what its LLM decides by) in focus
      setSelection({ kind: "transition", id: created.id });
      setFocus({ id: created.id, field: "description" });
    },
    [client, cid, run],
  );

  const move = useCallback(
    (positions: Record<number, Position>) => void run("Move agents", (rev) => rev.track((r) => client.saveLayout(cid, positions, r))),
    [client, cid, run],
  );

  const remove = useCallback(
    (agentIds: number[], transitionIds: number[]) => {
      if (!agentIds.length && !transitionIds.length) return;
      const what = agentIds.length ? `Delete ${agentIds.length === 1 ? "agent" : `${agentIds.length} agents`}` : `Delete ${transitionIds.length === 1 ? "transition" : `${transitionIds.length} transitions`}`;
      void run(what, async (rev) => {
        for (const tid of transitionIds) await rev.track((r) => client.deleteTransition(cid, tid, r));
        for (const aid of agentIds) await rev.track((r) => client.deleteAgent(cid, aid, r));
      });
      setSelection(null);
    },
    [client, cid, run],
  );

  const layout = useCallback(() => {
    const box = canvasBox.current?.getBoundingClientRect();
    const positions = fittingLayout(
      agents.map((a) => a.id),
      transitions.map((t) => ({ id: t.id, source: t.source_agent_id, target: t.target_agent_id })),
      conversation.initial_agent_id,
      { width: box?.width ?? 0, height: box?.height ?? 0 },
    );
    void run("Auto-layout", (rev) => rev.track((r) => client.saveLayout(cid, positions, r))).then(() => setFitKey((k) => k + 1));
  }, [agents, transitions, conversation.initial_agent_id, client, cid, run]);

  const saveTransition = useCallback(
    (t: Transition, save: TransitionSave) =>
      store.change("Edit transition", async (rev) => {
        const body: Partial<Transition> = { ...save.patch };
        if (save.rules !== null) {
          body.condition_type = "business_rules";
          body.rules = save.rules; // a rules transition keeps its condition in the rules (its data: only triggers)
        }
        if (Object.keys(body).length) await rev.track((r) => client.updateTransition(cid, t.id, body, r));
      }),
    [client, cid, store],
  );

  // keyboard: undo/redo, add agent, auto-layout, Escape to clear the selection
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "z" && canEdit) {
        e.preventDefault();
        void (e.shiftKey ? store.redo() : store.undo());
      } else if (mod && e.key.toLowerCase() === "y" && canEdit) {
        e.preventDefault();
        void store.redo();
      } else if (!mod && !e.altKey && e.key.toLowerCase() === "a" && canEdit) {
        e.preventDefault();
        void addAgent();
      } else if (!mod && !e.altKey && e.key.toLowerCase() === "l" && canEdit) {
        e.preventDefault();
        layout();
      } else if (e.key === "Escape") {
        setSelection(null);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, canEdit, addAgent, layout]);

  const selectAndShow = useCallback(
    (s: Selection) => {
      setSelection(s);
      if (s?.kind === "agent") {
        const node = flow.getNode(String(s.id));
        if (node) void flow.setCenter(node.position.x + NODE_WIDTH / 2, node.position.y + NODE_HEIGHT / 2, { zoom: flow.getZoom(), duration: 300 });
      }
    },
    [flow],
  );

  // a lint finding selects what it concerns, and focuses the field that fixes it
  const showFinding = useCallback(
    (s: Selection, finding: Finding) => {
      selectAndShow(s);
      const field = s?.kind === "transition" ? lintField(finding.code) : null;
      setFocus(s?.kind === "transition" && field ? { id: s.id, field } : null);
    },
    [selectAndShow],
  );

  const selectedAgent = selection?.kind === "agent" ? agents.find((a) => a.id === selection.id) : undefined;
  const selectedTransition = selection?.kind === "transition" ? transitions.find((t) => t.id === selection.id) : undefined;
  const { past, future } = store.history;

  return (
    <div className="design-view" data-busy={store.busy ? "true" : "false"}>
      <div className="canvas-column">
        <div className="toolbar" role="toolbar" aria-label="Canvas tools">
          {canEdit && (
            <>
              <button type="button" className="btn btn-primary" onClick={() => void addAgent()} title="Add an agent (A)">
                + Agent
              </button>
              <button type="button" className="btn" onClick={layout} disabled={agents.length === 0} title="Lay the graph out left to right (L)">
                Auto-layout
              </button>
              <span className="toolbar-sep" />
              <button type="button" className="btn" onClick={() => void store.undo()} disabled={!past.length || store.busy} title={past.length ? `Undo ${past[past.length - 1]!.label} (Ctrl+Z)` : "Nothing to undo"}>
                ↶ Undo
              </button>
              <button type="button" className="btn" onClick={() => void store.redo()} disabled={!future.length || store.busy} title={future.length ? `Redo ${future[0]!.label} (Ctrl+Shift+Z)` : "Nothing to redo"}>
                ↷ Redo
              </button>
              <span className="toolbar-sep" />
            </>
          )}
          <label className="toggle" title="Show how many recorded sessions took each transition, and where sessions ended">
            <input type="checkbox" checked={trafficOn} onChange={(e) => setTrafficOn(e.target.checked)} /> Traffic
          </label>
          {trafficOn && traffic && <span className="muted">{traffic.sessions} recorded session{traffic.sessions === 1 ? "" : "s"}</span>}
          <span className="spacer" />
          {store.busy && <span className="muted">Saving…</span>}
          <span className="muted small">
            {agents.length} agents · {transitions.length} transitions
          </span>
        </div>
        {(actionError || store.notice) && (
          <div className={`banner ${actionError ? "banner-error" : "banner-info"}`} role={actionError ? "alert" : "status"}>
            <span>{actionError ?? store.notice}</span>
            <button
              type="button"
              className="btn-icon"
              aria-label="Dismiss"
              onClick={() => {
                setActionError(null);
                store.dismissNotice();
              }}
            >
              ✕
            </button>
          </div>
        )}
        <div className="canvas-box" ref={canvasBox}>
          {agents.length === 0 && (
            <div className="empty-canvas">
              <p>This conversation has no agents yet.</p>
              {canEdit && (
                <button type="button" className="btn btn-primary" onClick={() => void addAgent()}>
                  + Add the first agent
                </button>
              )}
            </div>
          )}
          <Canvas
            agents={agents}
            transitions={transitions}
            tools={tools}
            vocabulary={vocabulary}
            initialAgentId={conversation.initial_agent_id}
            findings={lint?.findings}
            traffic={trafficOn ? traffic : null}
            selection={selection}
            editable={canEdit}
            fitKey={fitKey}
            onSelect={setSelection}
            onConnect={(s, t) => void connect(s, t)}
            onMove={move}
            onDelete={remove}
          />
        </div>
      </div>
      <aside className="side-column" aria-label="Inspector">
        <div className="inspector">
          <Suspense fallback={<div className="muted pad">Loading…</div>}>
          {selectedAgent && !canEdit ? (
            <AgentText
              agent={selectedAgent}
              agents={agents}
              tools={tools}
              outgoing={transitions.filter((t) => t.source_agent_id === selectedAgent.id).sort((a, b) => b.priority - a.priority || a.id - b.id)}
              isInitial={selectedAgent.id === conversation.initial_agent_id}
              describe={describe}
              onSelectTransition={(id) => setSelection({ kind: "transition", id })}
            />
          ) : selectedTransition && !canEdit ? (
            <TransitionText transition={selectedTransition} agents={agents} describe={describe} onSelectAgent={(id) => selectAndShow({ kind: "agent", id })} />
          ) : selectedAgent ? (
            <AgentForm
              key={`agent-${selectedAgent.id}-${JSON.stringify({ ...selectedAgent, position: null })}`}
              agent={selectedAgent}
              agents={agents}
              tools={tools}
              outgoing={transitions.filter((t) => t.source_agent_id === selectedAgent.id).sort((a, b) => b.priority - a.priority || a.id - b.id)}
              isInitial={selectedAgent.id === conversation.initial_agent_id}
              editable={canEdit}
              describe={describe}
              onSave={(patch) => store.change("Edit agent", (rev) => rev.track((r) => client.updateAgent(cid, selectedAgent.id, patch, r)))}
              onDelete={() => remove([selectedAgent.id], [])}
              onMakeInitial={() => void run("Make initial", (rev) => rev.track((r) => client.updateConversation(cid, { initial_agent_id: selectedAgent.id }, r)))}
              onAddTransition={(target) => void connect(selectedAgent.id, target)}
              onSelectTransition={(id) => setSelection({ kind: "transition", id })}
              onCreateTool={async (tool) => {
                const created = await client.createTool(tool);
                await store.reload();
                return created;
              }}
            />
          ) : selectedTransition ? (
            <TransitionForm
              key={`transition-${selectedTransition.id}-${JSON.stringify(selectedTransition)}`}
              transition={selectedTransition}
              agents={agents}
              tools={tools}
              vocabulary={vocabulary}
              editable={canEdit}
              describe={describe}
              onSave={(save) => saveTransition(selectedTransition, save)}
              onDelete={() => remove([], [selectedTransition.id])}
              onSelectAgent={(id) => selectAndShow({ kind: "agent", id })}
              findings={lint?.findings}
              focus={focus?.id === selectedTransition.id ? focus.field : null}
              onFocused={focused}
            />
          ) : (
            <ConversationForm
              key={`conversation-${conversation.revision}`}
              conversation={conversation}
              agents={agents}
              editable={canEdit}
              onSave={(patch) => store.change("Edit conversation", (rev) => rev.track((r) => client.updateConversation(cid, patch, r)))}
            />
          )}
          </Suspense>
        </div>
        <LintPanel lint={lint} agents={agents} transitions={transitions} onSelect={showFinding} />
      </aside>
    </div>
  );
}
