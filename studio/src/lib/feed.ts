// The playground's and the timeline's reading of a session's events: what was said, by whom, and each hand-over
// with its reason. Built from the SSE stream (or the timeline), deduplicated, so a reconnect replays safely.
import type { HandOver, SessionEvent } from "../api/types";

export type FeedItem =
  | { key: string; kind: "user"; text: string; seq: number }
  | { key: string; kind: "agent"; text: string; seq: number; agentId: number | null; agentName: string | null }
  | { key: string; kind: "handover"; seq: number; from: string; to: string; toId: number; transitionId: number; reason: string }
  | { key: string; kind: "event"; seq: number; type: string; summary: string };

export interface StreamEvent {
  seq: number;
  event: SessionEvent;
  result?: { current_agent_id?: number; current_agent_name?: string } | null;
}

export interface StreamTransition extends HandOver {
  seq: number;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A one-line summary of an event that is not a message. */
export function summarize(event: SessionEvent): string {
  const d = event.data ?? {};
  switch (event.type) {
    case "tool_called":
      return `${text(d.tool_name)}(${d.arguments ? JSON.stringify(d.arguments) : ""})`;
    case "tool_result":
      return `${text(d.tool_name)} → ${JSON.stringify(d.result)}`;
    case "agent_decision":
      return `${text(d.decision_key ?? "decision")} = ${text(d.value)}`;
    case "user_joined":
    case "user_left":
      return text(d.participant_id ?? "");
    case "agent_state_changed":
    case "user_state_changed":
      return `${text(d.old_state ?? "?")} → ${text(d.new_state ?? "?")}`;
    case "agent_started":
      return `${text(d.agent_name ?? d.new_agent ?? "an agent")} takes the conversation`;
    case "session_created":
      return d.version !== undefined ? `on version ${text(d.version)}` : "";
    case "session_ended":
      return d.reason ? text(d.reason) : "";
    default: {
      const keys = Object.keys(d);
      return keys.length ? JSON.stringify(d) : "";
    }
  }
}

const HIDDEN = new Set(["transition", "agent_state_changed", "user_state_changed"]);

export function eventItem(e: StreamEvent): FeedItem | null {
  const { event, seq } = e;
  if (event.type === "user_message") return { key: `e:${event.id}`, kind: "user", text: text(event.data?.message ?? ""), seq };
  if (event.type === "agent_message")
    return {
      key: `e:${event.id}`,
      kind: "agent",
      text: text(event.data?.message ?? ""),
      seq,
      agentId: typeof event.data?.agent_id === "number" ? event.data.agent_id : null,
      agentName: typeof event.data?.agent_name === "string" ? event.data.agent_name : null,
    };
  if (HIDDEN.has(event.type)) return null;
  return { key: `e:${event.id}`, kind: "event", seq, type: event.type, summary: summarize(event) };
}

export function handoverItem(t: StreamTransition): FeedItem {
  return {
    key: `t:${t.seq}:${t.transition_id}:${t.from_agent_id}:${t.to_agent_id}`,
    kind: "handover",
    seq: t.seq,
    from: t.from_agent_name,
    to: t.to_agent_name,
    toId: t.to_agent_id,
    transitionId: t.transition_id,
    reason: t.reason,
  };
}

/** Add items not seen yet, keeping the feed in session order (a hand-over right after the event that caused it). */
export function mergeFeed(feed: FeedItem[], items: FeedItem[]): FeedItem[] {
  const seen = new Set(feed.map((i) => i.key));
  const fresh = items.filter((i) => !seen.has(i.key) && (seen.add(i.key), true));
  if (!fresh.length) return feed;
  const rank = (i: FeedItem) => i.seq * 2 + (i.kind === "handover" ? 1 : 0);
  return [...feed, ...fresh].sort((a, b) => rank(a) - rank(b));
}
