// How long the studio takes to show a conversation's first page in Chromium: from navigation until every agent
// node and every transition edge is drawn. Run by the benchmark (bench/studio.py), which seeds the conversation and
// serves it; prints one JSON line: {"runs_ms": [...]}.
//   node e2e/first-page.mjs URL TOKEN CONVERSATION_ID AGENTS TRANSITIONS [RUNS]
import { openBrowser } from "./chromium.mjs";

const [url, token, conversationId, agents, transitions, runs = "5"] = process.argv.slice(2);
if (!url || !token || !conversationId || !agents || !transitions) {
  console.error("usage: node e2e/first-page.mjs URL TOKEN CONVERSATION_ID AGENTS TRANSITIONS [RUNS]");
  process.exit(2);
}

const results = [];
for (let run = 0; run < Number(runs); run++) {
  const { context, page, close } = await openBrowser();
  try {
    await context.addInitScript((t) => window.localStorage.setItem("rataura2.studio.token", t), token);
    const started = Date.now();
    await page.goto(`${url}/#/c/${conversationId}/design`);
    await page.waitForFunction(
      ([a, t]) =>
        document.querySelectorAll('[data-testid="agent-node"]').length === a &&
        document.querySelectorAll('[data-testid="transition-edge"]').length === t,
      [Number(agents), Number(transitions)],
      { timeout: 60_000, polling: "raf" },
    );
    results.push(Date.now() - started);
  } finally {
    await close();
  }
}
console.log(JSON.stringify({ runs_ms: results }));
