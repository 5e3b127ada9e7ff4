// The one way the studio talks to the server: the HTTP API under /api/v1, with the bearer token.
import { takeEarly } from "./early";
import { ApiError, errorFromBody } from "./errors";
import type {
  Agent,
  ChatAnswer,
  Conversation,
  Diff,
  EventResult,
  LintReport,
  Me,
  Page,
  Position,
  PublishResult,
  Rule,
  SessionState,
  SessionSummary,
  Timeline,
  Tool,
  Traffic,
  Transition,
  VersionInfo,
  Vocabulary,
} from "./types";

export const API_ROOT = "/api/v1";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface RequestOptions {
  body?: unknown;
  revision?: number; // sent as If-Match
  query?: Record<string, string | number | boolean | undefined>;
}

export class ApiClient {
  readonly token: string;
  private readonly fetcher: typeof fetch;

  constructor(token: string, fetcher: typeof fetch = (input, init) => takeEarly(token, String(input), init) ?? fetch(input, init)) {
    this.token = token;
    this.fetcher = fetcher;
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.revision !== undefined) headers["If-Match"] = `"${options.revision}"`;
    let response: Response;
    try {
      response = await this.fetcher(API_ROOT + path + queryString(options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (exc) {
      throw new ApiError(0, `The server cannot be reached (${exc instanceof Error ? exc.message : String(exc)}).`);
    }
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) throw errorFromBody(response.status, body);
    return body as T;
  }

  me = () => this.request<Me>("GET", "/me");

  // definitions
  conversations = () => this.request<Conversation[]>("GET", "/conversations");
  conversation = (cid: number) => this.request<Conversation>("GET", `/conversations/${cid}`);
  createConversation = (body: { name: string; description?: string }) =>
    this.request<Conversation>("POST", "/conversations", { body });
  updateConversation = (cid: number, body: Partial<Conversation>, revision?: number) =>
    this.request<Conversation>("PATCH", `/conversations/${cid}`, { body, revision });
  deleteConversation = (cid: number, revision?: number) =>
    this.request<unknown>("DELETE", `/conversations/${cid}`, { revision });

  agents = (cid: number) => this.request<Agent[]>("GET", `/conversations/${cid}/agents`);
  createAgent = (cid: number, body: Partial<Agent> & { make_initial?: boolean }, revision?: number) =>
    this.request<Agent>("POST", `/conversations/${cid}/agents`, { body, revision });
  updateAgent = (cid: number, aid: number, body: Partial<Agent>, revision?: number) =>
    this.request<Agent>("PATCH", `/conversations/${cid}/agents/${aid}`, { body, revision });
  deleteAgent = (cid: number, aid: number, revision?: number) =>
    this.request<unknown>("DELETE", `/conversations/${cid}/agents/${aid}`, { revision });

  transitions = (cid: number) => this.request<Transition[]>("GET", `/conversations/${cid}/transitions`);
  createTransition = (cid: number, body: Partial<Transition>, revision?: number) =>
    this.request<Transition>("POST", `/conversations/${cid}/transitions`, { body, revision });
  updateTransition = (cid: number, tid: number, body: Partial<Transition>, revision?: number) =>
    this.request<Transition>("PATCH", `/conversations/${cid}/transitions/${tid}`, { body, revision });
  deleteTransition = (cid: number, tid: number, revision?: number) =>
    this.request<unknown>("DELETE", `/conversations/${cid}/transitions/${tid}`, { revision });
  putRules = (cid: number, tid: number, rules: Rule[], revision?: number) =>
    this.request<unknown>("PUT", `/conversations/${cid}/transitions/${tid}/rules`, { body: { rules }, revision });

  saveLayout = (cid: number, positions: Record<number, Position>, revision?: number) =>
    this.request<unknown>("PUT", `/conversations/${cid}/layout`, { body: { positions }, revision });

  tools = () => this.request<Tool[]>("GET", "/tools");
  createTool = (body: { name: string; function_name: string; description?: string }) => this.request<Tool>("POST", "/tools", { body });
  vocabulary = (cid: number) => this.request<Vocabulary>("GET", "/rules/vocabulary", { query: { conversation_id: cid } });

  document = (cid: number) => this.request<unknown>("GET", `/conversations/${cid}/document`);
  putDocument = (cid: number, document: unknown, revision?: number) =>
    this.request<{ conversation: Conversation; changed: boolean }>("PUT", `/conversations/${cid}/document`, {
      body: document,
      revision,
    });

  // lint, publish, versions
  lint = (cid: number) => this.request<LintReport>("GET", `/conversations/${cid}/lint`);
  publish = (cid: number, revision?: number) =>
    this.request<PublishResult>("POST", `/conversations/${cid}/publish`, { revision });
  versions = (cid: number) => this.request<VersionInfo[]>("GET", `/conversations/${cid}/versions`);
  diff = (cid: number, from: number | "draft", to: number | "draft") =>
    this.request<Diff>("GET", `/conversations/${cid}/versions/${from}/diff/${to}`);
  rollback = (cid: number, version: number, revision?: number) =>
    this.request<PublishResult>("POST", `/conversations/${cid}/versions/${version}/rollback`, { revision });

  // sessions
  sessions = (query: { conversation_id?: number; status?: string; limit?: number; offset?: number }) =>
    this.request<Page<SessionSummary>>("GET", "/sessions", { query });
  session = (sid: string) => this.request<SessionState>("GET", `/sessions/${encodeURIComponent(sid)}`);
  createSession = (body: { conversation_id: number; session_id?: string; version?: number }) =>
    this.request<SessionState>("POST", "/sessions", { body });
  sendEvent = (sid: string, event: { id?: string; type: string; data: Record<string, unknown>; source?: string }) =>
    this.request<EventResult>("POST", `/sessions/${encodeURIComponent(sid)}/events`, { body: event });
  chat = (sid: string, message: string, id?: string) =>
    this.request<ChatAnswer>("POST", `/sessions/${encodeURIComponent(sid)}/chat`, { body: { message, ...(id ? { id } : {}) } });
  endSession = (sid: string, reason?: string) =>
    this.request<EventResult>("POST", `/sessions/${encodeURIComponent(sid)}/end`, { body: { reason } });
  timeline = (sid: string) => this.request<Timeline>("GET", `/sessions/${encodeURIComponent(sid)}/timeline`);
  traffic = (cid: number) => this.request<Traffic>("GET", `/conversations/${cid}/traffic`);

  streamUrl(sid: string): string {
    return `${API_ROOT}/sessions/${encodeURIComponent(sid)}/stream?token=${encodeURIComponent(this.token)}`;
  }
}

export function queryString(query?: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}
