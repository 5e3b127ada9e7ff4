// The first page's GET requests, started by a small script in index.html before the studio's code is loaded and
// parsed (about a fifth of a second of a cold load): the client takes each answer once, for the same token.
export const EARLY_KEY = "__rataura2Early";

interface Early {
  token: string;
  answers: Record<string, Promise<Response>>;
}

/** The answer started early for ``url`` with ``token``, once (later requests go to the server). */
export function takeEarly(token: string, url: string, init?: RequestInit): Promise<Response> | undefined {
  const early = (globalThis as Record<string, unknown>)[EARLY_KEY] as Early | undefined;
  if (!early || early.token !== token || (init?.method ?? "GET") !== "GET" || init?.body != null) return undefined;
  const answer = early.answers[url];
  delete early.answers[url];
  return answer;
}
