import { parseRoute, routeHash } from "./route";

test("routes round-trip through the hash", () => {
  const routes = [
    { page: "home" } as const,
    { page: "conversation", conversationId: 3, view: "design" } as const,
    { page: "conversation", conversationId: 3, view: "sessions", sessionId: "web:42/x" } as const,
  ];
  for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
});

test("unknown hashes go home or to the design view", () => {
  expect(parseRoute("")).toEqual({ page: "home" });
  expect(parseRoute("#/c/x")).toEqual({ page: "home" });
  expect(parseRoute("#/c/5/nope")).toEqual({ page: "conversation", conversationId: 5, view: "design" });
});
