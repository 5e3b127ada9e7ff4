// One conversation as the design view sees it: definitions, rules vocabulary, lint, and the document that undo
// and redo put back. Every change goes through `change()`: it writes with the revision the studio last saw
// (If-Match), reloads, and records the documents before and after for undo.
import { useCallback, useEffect, useRef, useState } from "react";
import type { ApiClient } from "../api/client";
import { ApiError } from "../api/errors";
import type { Agent, Conversation, LintReport, Tool, Transition, Vocabulary } from "../api/types";
import { emptyHistory, record, redo as redoStep, undo as undoStep, type History } from "../lib/history";

export interface Snapshot {
  conversation: Conversation;
  agents: Agent[];
  transitions: Transition[];
  tools: Tool[];
  vocabulary: Vocabulary | null;
  lint: LintReport | null;
  document: unknown;
}

export interface HistoryEntry {
  label: string;
  before: unknown;
  after: unknown;
}

/** The revision a sequence of writes is at: each answer that carries one moves it on. */
export class Revision {
  constructor(
    public value: number,
    private readonly refresh: () => Promise<number>,
  ) {}

  async track<T>(write: (revision: number) => Promise<T>): Promise<T> {
    const answer = await write(this.value);
    const found = revisionIn(answer);
    this.value = found ?? (await this.refresh());
    return answer;
  }
}

export function revisionIn(answer: unknown): number | undefined {
  if (!answer || typeof answer !== "object") return undefined;
  const direct = (answer as { revision?: unknown }).revision;
  if (typeof direct === "number") return direct;
  const nested = (answer as { conversation?: { revision?: unknown } }).conversation?.revision;
  return typeof nested === "number" ? nested : undefined;
}

type Core = [Conversation, Agent[], Transition[], Tool[]];
type Rest = [Vocabulary | null, LintReport | null, unknown];
interface Loads {
  core: Promise<Core>;
  rest: Promise<Rest>;
}

/** Every request of a load at once: the canvas waits for the definitions only, the rest follows them. The first
 * load leaves out the document (the biggest answer, and the slowest): undo needs it only once something changes,
 * and the first change asks for it (``change``). */
function fetchAll(client: ApiClient, cid: number, withDocument: boolean): Loads {
  const core = Promise.all([client.conversation(cid), client.agents(cid), client.transitions(cid), client.tools()]);
  const rest = Promise.all([client.vocabulary(cid).catch(() => null), client.lint(cid).catch(() => null), withDocument ? client.document(cid) : null]);
  core.catch(() => undefined); // whoever takes them sees the error
  rest.catch(() => undefined);
  return { core, rest };
}

let prefetched: { token: string; cid: number; loads: Loads } | null = null;

/** Ask for a conversation now, before the token is checked (the first page saves a round trip); the first load of
 * that conversation with that token takes the answers. */
export function prefetchConversation(client: ApiClient, cid: number): void {
  prefetched = { token: client.token, cid, loads: fetchAll(client, cid, false) };
}

function take(client: ApiClient, cid: number, withDocument: boolean): Loads {
  const found = prefetched;
  prefetched = null;
  if (withDocument || !found || found.token !== client.token || found.cid !== cid) return fetchAll(client, cid, withDocument);
  // a bad token (the sign-in says so) or a failed request: asked again
  let again: Loads | null = null;
  const retry = () => (again ??= fetchAll(client, cid, false));
  return { core: found.loads.core.catch(() => retry().core), rest: found.loads.rest.catch(() => retry().rest) };
}

/** The conversation in two steps: what the canvas draws (given to ``onFirst`` as soon as it is here, with the
 * previous snapshot's vocabulary and lint meanwhile), then the rules vocabulary, lint and (on a reload, after a
 * change: undo records it) the document. */
export async function loadSnapshot(client: ApiClient, cid: number, previous?: Snapshot | null, onFirst?: (first: Snapshot) => void): Promise<Snapshot> {
  const loads = take(client, cid, !!previous);
  const [conversation, agents, transitions, tools] = await loads.core;
  const first: Snapshot = { conversation, agents, transitions, tools, vocabulary: previous?.vocabulary ?? null, lint: previous?.lint ?? null, document: null };
  onFirst?.(first);
  const [vocabulary, lint, document] = await loads.rest;
  return { ...first, vocabulary, lint, document };
}

export interface ConversationStore {
  snapshot: Snapshot | null;
  loadError: string | null;
  busy: boolean;
  notice: string | null;
  history: History<HistoryEntry>;
  /** Load the conversation again; ``onShown`` is called once its definitions are shown (before lint and the rest). */
  reload: (onShown?: () => void) => Promise<Snapshot | null>;
  change: <T>(label: string, write: (revision: Revision) => Promise<T>) => Promise<T>;
  undo: () => Promise<void>;
  redo: () => Promise<void>;
  dismissNotice: () => void;
}

export function useConversationStore(client: ApiClient, cid: number): ConversationStore {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [history, setHistory] = useState<History<HistoryEntry>>(emptyHistory);
  const current = useRef<Snapshot | null>(null);
  const historyRef = useRef(history); // the truth for queued writes; `history` renders it

  const generation = useRef(0); // a reload started later wins over one still in flight
  const reload = useCallback(async (onShown?: () => void) => {
    const mine = ++generation.current;
    const show = (snap: Snapshot) => {
      if (mine !== generation.current) return;
      current.current = snap;
      setSnapshot(snap);
      setLoadError(null);
    };
    try {
      const next = await loadSnapshot(client, cid, current.current, (first) => {
        show(first);
        onShown?.();
      });
      show(next);
      return next;
    } catch (exc) {
      setLoadError(exc instanceof Error ? exc.message : String(exc));
      return null;
    }
  }, [client, cid]);

  useEffect(() => {
    current.current = null;
    setSnapshot(null);
    historyRef.current = emptyHistory();
    setHistory(historyRef.current);
    void reload();
  }, [reload]);

  const revisionNow = useCallback(async () => (await client.conversation(cid)).revision, [client, cid]);

  // writes run one at a time, each from the revision the previous one left: two quick edits (a drag and an
  // auto-layout, four arrow-key moves) never race each other into a 409
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const enqueue = useCallback(<T,>(job: () => Promise<T>): Promise<T> => {
    const next = queue.current.then(job, job);
    queue.current = next.catch(() => undefined);
    return next;
  }, []);

  // the caller's promise settles as soon as the canvas shows the change (the first step of the reload), so that
  // what follows it (selecting a new agent) comes with it; the job goes on to the rest of the reload and records
  // the change for undo before the next write starts
  const change = useCallback(
    <T,>(label: string, write: (revision: Revision) => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        void enqueue(async () => {
          const before = current.current;
          if (!before) {
            reject(new Error("the conversation is not loaded yet"));
            return;
          }
          setBusy(true);
          try {
            const beforeDocument = before.document ?? (await client.document(cid)); // a change right after loading
            const answer = await write(new Revision(before.conversation.revision, revisionNow));
            const after = await reload(() => resolve(answer));
            resolve(answer); // (the reload failed: its error is shown; the write itself was done)
            if (after && after.conversation.revision !== before.conversation.revision) {
              historyRef.current = record(historyRef.current, { label, before: beforeDocument, after: after.document });
              setHistory(historyRef.current);
            }
          } catch (exc) {
            if (exc instanceof ApiError && exc.isConflict && !exc.problems.length) {
              // a stale revision (someone else changed the conversation): not a taken name, which its field shows
              setNotice(`${exc.message.replace(/\.?$/, ".")} The studio reloaded the conversation.`);
              await reload();
            }
            reject(exc);
          } finally {
            setBusy(false);
          }
        });
      }),
    [client, cid, enqueue, reload, revisionNow],
  );

  const restore = useCallback(
    (step: typeof undoStep<HistoryEntry>, pick: (e: HistoryEntry) => unknown, verb: string) =>
      enqueue(async () => {
        const snap = current.current;
        const found = step(historyRef.current);
        if (!snap || !found) return;
        const [entry, next] = found;
        setBusy(true);
        try {
          await client.putDocument(cid, pick(entry), snap.conversation.revision);
          historyRef.current = next; // a second undo queued behind this one must see it
          setHistory(next);
          setNotice(`${verb}: ${entry.label}`);
        } catch (exc) {
          setNotice(`Could not ${verb.toLowerCase()} ${entry.label}: ${exc instanceof Error ? exc.message : String(exc)}`);
        } finally {
          await reload();
          setBusy(false);
        }
      }),
    [client, cid, enqueue, reload],
  );

  const undo = useCallback(() => restore(undoStep, (e) => e.before, "Undone"), [restore]);
  const redo = useCallback(() => restore(redoStep, (e) => e.after, "Redone"), [restore]);
  const dismissNotice = useCallback(() => setNotice(null), []);
  useEffect(() => {
    if (!notice) return;
    const timer = window.setTimeout(() => setNotice(null), 6000);
    return () => window.clearTimeout(timer);
  }, [notice]);

  return { snapshot, loadError, busy, notice, history, reload, change, undo, redo, dismissNotice };
}
