// How long the studio takes to show a conversation's first page in Chromium: from navigation until the page is
// drawn and stays still: the canvas shows the conversation (its counts in the toolbar; the agents and transitions in
// view drawn, a big graph drawing only what is in view) and the lint panel has its findings, then nothing in the
// page changes for 500 ms. The figure is the time of the page's last change. Run by the benchmark (bench/studio.py),
// which seeds the conversation and serves it; prints one JSON line: {"runs_ms": [...], "drawn": [...]}. With
// FIRST_PAGE_SCREENSHOT set, the last load's page is saved there as a PNG (after it was timed).
//   node e2e/first-page.mjs URL TOKEN CONVERSATION_ID AGENTS TRANSITIONS [RUNS]
import { openBrowser } from "./chromium.mjs";

const [url, token, conversationId, agents, transitions, runs = "5"] = process.argv.slice(2);
if (!url || !token || !conversationId || !agents || !transitions) {
  console.error("usage: node e2e/first-page.mjs URL TOKEN CONVERSATION_ID AGENTS TRANSITIONS [RUNS]");
  process.exit(2);
}

const QUIET_MS = 500;
const results = [];
const drawn = [];
for (let run = 0; run < Number(runs); run++) {
  const { context, page, close } = await openBrowser();
  try {
    await context.addInitScript((t) => {
      window.localStorage.setItem("rataura2.studio.token", t);
      // the time (since navigation started) of the page's latest change
      window.__lastChange = 0;
      new MutationObserver(() => (window.__lastChange = performance.now())).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    }, token);
    await page.goto(`${url}/#/c/${conversationId}/design`);
    const counts = `${agents} agents · ${transitions} transitions`;
    await page.waitForFunction(
      ([text, quiet]) =>
        document.body.textContent.includes(text) &&
        document.querySelector('[data-testid="agent-node"]') &&
        document.querySelector('[data-testid="transition-edge"]') &&
        document.querySelector('[data-testid="lint-findings"] .badge') &&
        performance.now() - window.__lastChange > quiet,
      [counts, QUIET_MS],
      { timeout: 60_000, polling: 50 },
    );
    results.push(Math.round(await page.evaluate(() => window.__lastChange)));
    drawn.push(
      await page.evaluate(() => ({
        agents: document.querySelectorAll('[data-testid="agent-node"]').length,
        transitions: document.querySelectorAll('[data-testid="transition-edge"]').length,
      })),
    );
    if (process.env.FIRST_PAGE_SCREENSHOT && run === Number(runs) - 1) {
      await page.screenshot({ path: process.env.FIRST_PAGE_SCREENSHOT });
    }
  } finally {
    await close();
  }
}
console.log(JSON.stringify({ runs_ms: results, drawn }));
