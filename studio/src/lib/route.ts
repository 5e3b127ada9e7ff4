// Where the studio is, kept in the URL's hash so that links and the back button work without server routes.
export type View = "design" | "playground" | "sessions" | "versions";

export type Route =
  | { page: "home" }
  | { page: "conversation"; conversationId: number; view: View; sessionId?: string };

const VIEWS: readonly View[] = ["design", "playground", "sessions", "versions"];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "c" && parts[1] && /^\d+$/.test(parts[1])) {
    const view = (VIEWS as readonly string[]).includes(parts[2] ?? "") ? (parts[2] as View) : "design";
    const route: Route = { page: "conversation", conversationId: Number(parts[1]), view };
    if (view === "sessions" && parts[3]) route.sessionId = parts.slice(3).join("/");
    return route;
  }
  return { page: "home" };
}

export function routeHash(route: Route): string {
  if (route.page === "home") return "#/";
  const base = `#/c/${route.conversationId}/${route.view}`;
  return route.sessionId ? `${base}/${encodeURIComponent(route.sessionId)}` : base;
}
