import { eventItem, handoverItem, mergeFeed, summarize, type FeedItem } from "./feed";

const message = (seq: number, id: string, text: string) => eventItem({ seq, event: { id, type: "user_message", timestamp: seq, source: "web", data: { message: text } } })!;
const handover = (seq: number) =>
  handoverItem({ seq, from_agent_id: 1, from_agent_name: "General", to_agent_id: 2, to_agent_name: "Combat", transition_id: 7, reason: "user_input: message contains 'combat'" });

test("a replayed stream adds nothing twice, and a hand-over follows the event that caused it", () => {
  let feed: FeedItem[] = [];
  feed = mergeFeed(feed, [message(1, "a", "hi")]);
  feed = mergeFeed(feed, [handover(2), message(2, "b", "combat please")]);
  const again = mergeFeed(feed, [message(1, "a", "hi"), message(2, "b", "combat please"), handover(2)]);
  expect(again).toBe(feed);
  expect(feed.map((i) => i.kind)).toEqual(["user", "user", "handover"]);
});

test("other events are summarised; state changes and transition events stay out of the feed", () => {
  expect(summarize({ id: "x", type: "tool_result", timestamp: 0, source: "t", data: { tool_name: "fit_ship", result: { cost_isk: 5 } } })).toBe(
    'fit_ship → {"cost_isk":5}',
  );
  expect(eventItem({ seq: 3, event: { id: "y", type: "agent_state_changed", timestamp: 0, source: "lk", data: {} } })).toBeNull();
  expect(eventItem({ seq: 3, event: { id: "z", type: "transition", timestamp: 0, source: "orchestrator", data: {} } })).toBeNull();
});

test("an agent's reply carries who said it; an agent taking over is said in words", () => {
  const reply = eventItem({ seq: 4, event: { id: "r", type: "agent_message", timestamp: 0, source: "lk", data: { message: "Hi", agent_id: 2, agent_name: "Billing" } } });
  expect(reply).toMatchObject({ kind: "agent", text: "Hi", agentId: 2, agentName: "Billing" });
  const started = { id: "s", type: "agent_started", timestamp: 0, source: "lk", data: { new_agent: "Billing", agent_name: "Billing", item_id: "item_1" } };
  expect(summarize(started)).toBe("Billing takes the conversation");
});
