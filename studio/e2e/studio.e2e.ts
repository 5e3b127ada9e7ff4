// A designer builds a three-agent flow from an empty database in the browser, sees a lint warning appear and go
// away, publishes, chats in the playground until both transitions fire, and finds them with their reasons in the
// session timeline. Real server, real database, real Chromium. Screenshots of each view go to
// $STUDIO_SCREENSHOT_DIR (docs/studio with `make studio-screenshots`), or a temporary folder.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Locator, Page } from "playwright-core";
import { openBrowser, signIn, startServer, type BrowserHandle, type Server } from "./harness";

const SHOTS = process.env.STUDIO_SCREENSHOT_DIR ? resolve(process.env.STUDIO_SCREENSHOT_DIR) : mkdtempSync(join(tmpdir(), "studio-shots-"));
mkdirSync(SHOTS, { recursive: true });

let server: Server;
let handle: BrowserHandle;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  server = await startServer();
  const served = Date.now();
  handle = await openBrowser();
  console.log(`server up in ${served - started} ms, browser in ${Date.now() - served} ms`);
  page = handle.page;
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => errors.push(e.message));
});

afterAll(async () => {
  const started = Date.now();
  await handle?.close();
  await server?.stop();
  console.log(`stopped in ${Date.now() - started} ms`);
});

afterEach(async (context) => {
  if (context.task.result?.state === "fail") await page.screenshot({ path: join(SHOTS, "failure.png") }).catch(() => undefined);
  expect(errors, "errors thrown in the page").toEqual([]);
});

const node = (name: string) => page.locator(`[data-testid="agent-node"][data-agent-name="${name}"]`);
const inspector = () => page.getByRole("complementary", { name: "Inspector" });
const findings = () => page.getByTestId("lint-findings");

/** Wait until the design view has no write in flight and the canvas has stopped moving. */
async function settled(): Promise<void> {
  if (await page.locator(".design-view").count()) await page.locator('.design-view[data-busy="false"]').waitFor();
  const viewport = page.locator(".react-flow__viewport").first();
  if (!(await viewport.count())) return;
  let last = await viewport.getAttribute("style");
  for (let i = 0; i < 30; i++) {
    await page.waitForTimeout(150);
    const now = await viewport.getAttribute("style");
    if (now === last) return;
    last = now;
  }
}

async function shot(name: string): Promise<void> {
  await settled();
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The element's box once the canvas has stopped moving (fit-view animations). */
async function settledBox(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let last = await locator.boundingBox();
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(100);
    const now = await locator.boundingBox();
    if (now && last && now.x === last.x && now.y === last.y && now.width === last.width) return now;
    last = now;
  }
  throw new Error("the canvas did not settle");
}

async function textOf(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

/** Add an agent with the toolbar, then name it (and give it instructions) in the inspector. */
async function addAgent(name: string, instructions: string): Promise<void> {
  const before = await page.getByTestId("agent-node").count();
  await page.getByRole("button", { name: before === 0 ? "+ Add the first agent" : "+ Agent" }).click();
  await expect.poll(() => page.getByTestId("agent-node").count()).toBe(before + 1);
  const form = inspector().getByRole("form", { name: /^Agent New agent/ }); // the new agent, selected
  await form.getByLabel("Name", { exact: true }).fill(name);
  await form.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(instructions);
  await form.getByRole("button", { name: "Save agent" }).click();
  await node(name).waitFor();
}

test("a designer builds, lints, publishes, chats with and inspects a three-agent flow", async () => {
  const editor = await server.token("editor", "designer");

  // sign in
  await page.goto(server.url + "/");
  await page.getByLabel("API token").waitFor();
  await shot("login");
  await page.getByLabel("API token").fill("r2_not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "unknown or revoked" }).waitFor();
  await signIn(page, server.url, editor);
  await page.getByText("No conversations yet.").waitFor();

  // a conversation, from nothing
  await page.getByRole("button", { name: "+ New conversation" }).click();
  const create = page.getByRole("form", { name: "New conversation" });
  await create.getByLabel("Name").fill("Help desk");
  await create.getByLabel("Description").fill("Routes customers to billing and sales.");
  await create.getByRole("button", { name: "Create" }).click();
  await page.getByRole("heading", { name: "Help desk", level: 1 }).waitFor();

  // three agents; the first is the initial one
  await addAgent("Front desk", "Greet the customer and find out what they need.");
  expect(await node("Front desk").getAttribute("data-initial")).toBe("true");
  await addAgent("Billing", "Help with invoices and payments.");

  // Billing is unreachable: lint says so on the list and on the node
  await findings().locator('[data-code="unreachable_agent"]').filter({ hasText: "Billing" }).waitFor();
  const unreachableMark = (name: string) => node(name).locator('[data-testid="node-lint"][data-codes~="unreachable_agent"]');
  await unreachableMark("Billing").waitFor();

  // connect Front desk -> Billing by dragging from the handle; the warning goes away
  await page.getByRole("button", { name: "Auto-layout" }).click();
  await page.waitForTimeout(300);
  await settled();
  const from = await settledBox(node("Front desk").locator(".react-flow__handle.source"));
  const to = await settledBox(node("Billing").locator(".react-flow__handle.target"));
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
  await page.mouse.up();
  await expect.poll(() => page.getByTestId("transition-edge").count()).toBe(1);
  await expect.poll(() => findings().locator('[data-code="unreachable_agent"]').count()).toBe(0);
  await expect.poll(() => unreachableMark("Billing").count()).toBe(0);

  // the new transition is selected with its description in focus; lint's warning about it shows at that field,
  // and goes once the designer types there
  const transitionForm = inspector().getByRole("form", { name: "Transition" });
  const description = transitionForm.getByLabel("Description", { exact: true });
  await expect.poll(() => description.evaluate((el) => el === document.activeElement)).toBe(true);
  await transitionForm.getByTestId("field-lint").filter({ hasText: "no description" }).waitFor();
  await shot("new-transition");
  await page.keyboard.type("The customer asks about an invoice");
  expect(await transitionForm.getByTestId("field-lint").count()).toBe(0);
  // then make it a user_input condition
  await transitionForm.getByLabel("Condition", { exact: true }).selectOption("user_input");
  await transitionForm.getByLabel("Pattern").fill("invoice");
  await transitionForm.getByRole("button", { name: "Save transition" }).click();
  await page.getByTestId("transition-label").filter({ hasText: 'user says "invoice"' }).waitFor();

  // a third agent, unreachable until Billing hands over to it by a business rule
  await addAgent("Sales", "Explain plans and prices.");
  await findings().locator('[data-code="unreachable_agent"]').filter({ hasText: "Sales" }).waitFor();
  await node("Billing").click();
  const billingForm = inspector().getByRole("form", { name: "Agent Billing" });
  await billingForm.getByLabel("Target agent for a new transition").selectOption({ label: "Sales" });
  await billingForm.getByRole("button", { name: "Add", exact: true }).click();
  await expect.poll(() => page.getByTestId("transition-edge").count()).toBe(2);
  await transitionForm.getByLabel("Condition", { exact: true }).selectOption("business_rules");

  // the rule builder: user input matches a broken regex first, so the API's message shows on the rule
  const rule = transitionForm.getByRole("region", { name: "Rule 1" });
  const first = rule.getByTestId("condition").first();
  await first.getByLabel("Operator").selectOption("matches_regex");
  await first.getByLabel("Value").fill("(pric");
  await transitionForm.getByRole("button", { name: "Save transition" }).click();
  await rule.getByRole("alert").filter({ hasText: /regex/i }).waitFor();
  // then the real rule: (user input mentions pricing) and (any: a question, or past the first turn)
  await first.getByLabel("Operator").selectOption("contains_case_insensitive");
  await first.getByLabel("Value").fill("pricing");
  await rule.getByRole("button", { name: "+ Group" }).first().click();
  const group = rule.getByTestId("condition-group").nth(1);
  expect(await group.getAttribute("data-kind")).toBe("any");
  const inGroup = group.getByTestId("condition");
  await inGroup.first().getByLabel("Variable").selectOption("user_input_type");
  await inGroup.first().getByLabel("Value").selectOption("question");
  await group.getByRole("button", { name: "+ Condition" }).click();
  await inGroup.nth(1).getByLabel("Variable").selectOption("conversation_turn_count");
  await inGroup.nth(1).getByLabel("Operator").selectOption("greater_than");
  await inGroup.nth(1).getByLabel("Value").fill("1");
  await rule.getByRole("button", { name: "+ Action" }).click();
  const action = rule.getByTestId("action").nth(1);
  await action.getByLabel("Key").fill("topic");
  await action.getByLabel("Value").fill("sales");
  await transitionForm.getByRole("button", { name: "Save transition" }).click();
  await page.locator('[data-testid="transition-label"][title*="user input contains (case insensitive) \\"pricing\\""]').waitFor();
  await expect.poll(() => findings().locator('[data-code="unreachable_agent"]').count()).toBe(0);
  expect(await transitionForm.getByTestId("field-error").count()).toBe(0);
  await rule.evaluate((el) => el.scrollIntoView({ block: "start" }));
  await shot("rule-builder");

  // keyboard: delete Sales with the Delete key, then undo brings it (and its transition) back; redo, undo again
  await node("Sales").click();
  await page.keyboard.press("Escape");
  await node("Sales").click();
  await node("Sales").press("Delete");
  await expect.poll(() => node("Sales").count()).toBe(0);
  await page.locator("body").click({ position: { x: 5, y: 200 } });
  await page.keyboard.press("ControlOrMeta+z");
  await node("Sales").waitFor();
  await expect.poll(() => page.getByTestId("transition-edge").count()).toBe(2);
  await page.getByRole("button", { name: "↷ Redo" }).click();
  await expect.poll(() => node("Sales").count()).toBe(0);
  await page.keyboard.press("ControlOrMeta+z");
  await node("Sales").waitFor();
  await expect.poll(() => page.getByTestId("transition-edge").count()).toBe(2);

  // keyboard: Tab reaches a node, Enter selects it, arrow keys move it (and the move is saved)
  await page.getByRole("button", { name: "Dismiss" }).click({ timeout: 1000 }).catch(() => undefined); // the undo notice, if still up
  const billing = page.locator(".react-flow__node", { has: node("Billing") });
  await billing.focus();
  await page.keyboard.press("Enter");
  await inspector().getByRole("form", { name: "Agent Billing" }).waitFor();
  const before = await settledBox(billing);
  for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowDown");
  await expect.poll(async () => (await billing.boundingBox())?.y ?? 0).toBeGreaterThan(before.y + 10);
  await expect.poll(() => page.getByRole("button", { name: "↶ Undo" }).getAttribute("title")).toContain("Move agents");

  // the API's refusal shows on the field at fault: a name another agent has
  const billingForm2 = inspector().getByRole("form", { name: "Agent Billing" });
  await billingForm2.getByLabel("Name", { exact: true }).fill("Front desk");
  await billingForm2.getByRole("button", { name: "Save agent" }).click();
  await billingForm2.getByTestId("field-error").filter({ hasText: "already has an agent named" }).waitFor();
  await billingForm2.getByRole("button", { name: "Revert" }).click();

  await page.getByRole("button", { name: "Auto-layout" }).click();
  await page.keyboard.press("Escape");
  await page.waitForTimeout(500); // the view is fitted after the layout is saved
  await shot("design");

  // a transition selected: its form, with the condition in words and its priority on the canvas
  await page.getByTestId("transition-label").filter({ hasText: "invoice" }).click();
  await inspector().getByRole("form", { name: "Transition" }).waitFor();
  expect(await page.getByTestId("transition-label").filter({ hasText: "invoice" }).getAttribute("data-priority")).toBe("P0");
  await shot("transition");
  await page.keyboard.press("Escape");

  // publish v1
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("publish-state").filter({ hasText: "v1 published" }).waitFor();
  const conversationUrl = page.url().replace(/\/design$/, "");

  // the playground, as the editor: the agents answer (offline LLM), the turn that hands over is answered by the
  // agent it hands over to, and each hand-over shows with its reason as it happens
  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByRole("button", { name: "Start session" }).click();
  await expect.poll(() => textOf(page.getByTestId("active-agent"))).toBe("Front desk");
  const message = page.getByLabel("Message", { exact: true });
  await message.fill("Hello there");
  await message.press("Enter");
  await page.getByTestId("chat-user").filter({ hasText: "Hello there" }).waitFor();
  await page.locator('[data-testid="chat-agent"][data-agent-name="Front desk"]').filter({ hasText: "Hello there" }).waitFor();
  expect(await textOf(page.getByTestId("active-agent"))).toBe("Front desk");
  await message.fill("My invoice is wrong");
  await message.press("Enter");
  await expect.poll(() => textOf(page.getByTestId("active-agent"))).toBe("Billing");
  await page.getByTestId("handover").filter({ hasText: "Billing" }).waitFor();
  await page.locator('[data-testid="chat-agent"][data-agent-name="Billing"]').filter({ hasText: "My invoice is wrong" }).waitFor();
  await message.fill("What is your pricing for teams?");
  await message.press("Enter");
  await expect.poll(() => textOf(page.getByTestId("active-agent"))).toBe("Sales");
  const handovers = page.getByTestId("handover");
  await expect.poll(() => handovers.count()).toBe(2);
  expect(await textOf(handovers.nth(0))).toMatch(/Front desk.*Billing.*invoice/s);
  expect(await textOf(handovers.nth(1))).toMatch(/Billing.*Sales/s);
  await page.locator('[data-testid="chat-agent"][data-agent-name="Sales"]').first().waitFor();
  await page.getByRole("region", { name: "Context" }).getByText('"Sales"').first().waitFor();
  await shot("playground");
  await page.getByRole("button", { name: "End session" }).click();
  await page.getByText(/· ended/).waitFor();

  // the session timeline shows both hand-overs with their reasons
  await page.getByRole("link", { name: "Sessions" }).click();
  await page.getByTestId("session-item").first().click();
  const timeline = page.getByTestId("timeline");
  await expect.poll(() => timeline.getByTestId("timeline-handover").count()).toBe(2);
  const reasons = await timeline.getByTestId("handover-reason").allTextContents();
  expect(reasons[0]).toMatch(/invoice/);
  expect(reasons[1]).toMatch(/pricing|rule/i);
  await shot("sessions");

  // traffic: each transition was taken by one recorded session, which ended on Sales
  await page.getByRole("link", { name: "Design" }).click();
  await page.getByLabel("Traffic").check();
  await expect.poll(() => page.getByTestId("edge-traffic").allTextContents()).toEqual(["×1", "×1"]);
  await node("Sales").getByTestId("node-traffic").filter({ hasText: "ended 1" }).waitFor();
  await shot("traffic");
  await page.getByLabel("Traffic").uncheck();

  // change an agent and a transition, publish v2, compare the versions, roll back to v1 (v3)
  await node("Sales").click();
  const salesForm = inspector().getByRole("form", { name: "Agent Sales" });
  await salesForm.getByLabel("Type", { exact: true }).selectOption("specialist");
  await salesForm.getByRole("button", { name: "Save agent" }).click();
  await page.getByTestId("publish-state").filter({ hasText: "unpublished edits" }).waitFor();
  await page.getByTestId("transition-label").filter({ hasText: "invoice" }).click();
  await transitionForm.getByLabel("Priority").fill("5");
  await transitionForm.getByRole("button", { name: "Save transition" }).click();
  await page.locator('[data-testid="transition-label"][data-priority="P5"]').filter({ hasText: "invoice" }).waitFor();
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("publish-state").filter({ hasText: "v2 published" }).waitFor();
  await page.getByRole("link", { name: "Versions" }).click();
  await expect.poll(() => page.getByTestId("version-item").count()).toBe(2);
  await page.getByLabel("From version").selectOption("1");
  await page.getByLabel("To version").selectOption("2");
  await page.getByTestId("diff").getByText("Sales").first().waitFor();
  expect(await textOf(page.getByTestId("diff"))).toMatch(/agent_type.*specialist/s);
  expect(await textOf(page.getByTestId("diff"))).toMatch(/Front desk → Billing.*priority.*0.*5/s);
  await shot("versions");
  page.once("dialog", (dialog) => void dialog.accept());
  await page.getByRole("button", { name: "Roll back to v1" }).click();
  await page.getByTestId("publish-state").filter({ hasText: "v3 published" }).waitFor();
  await expect.poll(() => page.getByTestId("version-item").count()).toBe(3);
  await page.getByLabel("From version").selectOption("1");
  await page.getByLabel("To version").selectOption("3");
  await page.getByTestId("diff").getByText("No differences.").waitFor();

  // the playground runs any published version: v2, where Sales is a specialist
  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByLabel("Version to run").selectOption("2");
  await page.getByRole("button", { name: "New session" }).or(page.getByRole("button", { name: "Start session" })).click();
  await page.getByText(/· v2\b/).waitFor();
  await expect.poll(() => textOf(page.getByTestId("active-agent"))).toBe("Front desk");

  // a viewer reads everything and sees no edit controls
  const viewer = await server.token("viewer", "reader");
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, server.url, viewer);
  await page.getByText("Help desk").first().waitFor();
  expect(await page.getByRole("button", { name: "+ New conversation" }).count()).toBe(0);
  await page.goto(conversationUrl + "/design");
  await node("Billing").waitFor();
  // the inspector reads as text, not as disabled inputs: the conversation, an agent, a transition (in words)
  const editors = () => inspector().locator("input, select, textarea, [contenteditable]");
  await inspector().getByRole("article", { name: "Conversation" }).getByText("Routes customers to billing and sales.").waitFor();
  expect(await editors().count()).toBe(0);
  for (const name of ["+ Agent", "Auto-layout", "↶ Undo", "Publish"]) expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
  expect(await page.getByRole("button", { name: "Export" }).count()).toBe(1);
  expect(await page.locator(".react-flow__handle.connectable").count()).toBe(0);
  await node("Billing").click();
  expect(await inspector().getByRole("button", { name: "Save agent" }).count()).toBe(0);
  expect(await inspector().getByRole("button", { name: "Delete agent" }).count()).toBe(0);
  await inspector().getByRole("article", { name: "Agent Billing" }).getByText("Help with invoices and payments.").waitFor();
  expect(await editors().count()).toBe(0);
  await shot("viewer");
  await page.keyboard.press("Delete");
  await page.waitForTimeout(300);
  expect(await node("Billing").count()).toBe(1);
  await page.getByTestId("transition-label").filter({ hasText: "invoice" }).click();
  expect(await textOf(inspector().getByTestId("condition-text"))).toBe('user says "invoice"');
  expect(await editors().count()).toBe(0);
  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByText("cannot run sessions").waitFor();
  expect(await page.getByRole("button", { name: "Start session" }).count()).toBe(0);
  expect(await page.getByLabel("Message", { exact: true }).count()).toBe(0);
  await page.getByRole("link", { name: "Versions" }).click();
  await expect.poll(() => page.getByTestId("version-item").count()).toBe(3);
  expect(await page.getByRole("button", { name: /Roll back/ }).count()).toBe(0);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, server.url, editor);

  // the EVE demo (every condition type, one recorded session) beside it, drawn with its traffic
  server.cli(["demo"]);
  await page.reload();
  await expect.poll(() => page.getByTestId("conversation-card").count()).toBe(2);
  await shot("conversations");
  await page.getByTestId("conversation-card").filter({ hasText: "EVE Online Assistant" }).click();
  await expect.poll(() => page.getByTestId("transition-edge").count()).toBe(11);
  await page.getByLabel("Traffic").check();
  await expect.poll(() => node("Farewell").getByTestId("node-traffic").count()).toBe(1);
  await page.locator('[data-testid="transition-label"][title*="rules"], [data-testid="transition-label"][title*="user input contains"]').first().click();
  await shot("demo");
});

/** A conversation document with ``agents`` agents, each with ``per`` transitions to the next ones. */
function bigDocument(agents: number, per: number) {
  const names = Array.from({ length: agents }, (_, i) => `Agent ${String(i).padStart(2, "0")}`);
  return {
    format: "rataura2.conversation/1",
    name: `Big ${agents}x${agents * per}`,
    initial_agent: names[0],
    agents: names.map((name) => ({ name, instructions: `You are ${name}.`, llm_provider: "offline", llm_model: "echo" })),
    transitions: names.flatMap((source, i) =>
      Array.from({ length: per }, (_, k) => ({
        source,
        target: names[(i + 1 + k) % agents],
        condition_type: "user_input",
        condition_data: { pattern: `topic ${i}-${k}` },
        priority: k,
      })),
    ),
  };
}

test("a big graph: every transition drawn in one layer, the whole graph in view; a label selects its transition, Delete removes it", async () => {
  const token = await server.token("editor", "e2e-big");
  const imported = await fetch(`${server.url}/api/v1/documents`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(bigDocument(25, 9)),
  });
  expect(imported.status).toBe(201);
  const { conversation } = (await imported.json()) as { conversation: { id: number } };
  // opened straight on the conversation with a kept token (the first page's requests start from index.html)
  await page.evaluate((t) => localStorage.setItem("rataura2.studio.token", t), token);
  await page.goto(`${server.url}/#/c/${conversation.id}/design`);
  await page.reload();
  await expect.poll(() => page.getByTestId("who").textContent()).toContain("e2e-big");
  await expect.poll(() => page.locator('.edge-layer [data-testid="transition-edge"]').count()).toBe(225);
  expect(await page.getByTestId("transition-label").count()).toBe(225);
  expect(await page.locator(".react-flow__edge").count()).toBe(0); // none drawn twice
  // the first view shows the whole graph: every agent wholly inside the canvas
  const pane = (await page.locator(".react-flow").boundingBox())!;
  const inView = await page.getByTestId("agent-node").evaluateAll(
    (nodes, box) =>
      nodes.filter((n) => {
        const r = n.getBoundingClientRect();
        return r.left >= box.x && r.right <= box.x + box.width && r.top >= box.y && r.bottom <= box.y + box.height;
      }).length,
    pane,
  );
  expect(inView).toBe(25);

  // a label no agent covers (a dense graph has some under agents, as any edge label can be) is clicked
  const id = await page.getByTestId("transition-label").evaluateAll((labels) => {
    const clear = labels.find((l) => {
      const r = l.getBoundingClientRect();
      return l.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
    });
    return clear?.getAttribute("data-transition-id");
  });
  const label = page.locator(`[data-testid="transition-label"][data-transition-id="${id}"]`);
  const text = await textOf(label);
  await label.click();
  await inspector().getByRole("form", { name: "Transition" }).waitFor();
  await expect.poll(() => label.getAttribute("class")).toContain("is-selected");
  expect(await page.locator(`.edge-layer .transition-edge.is-selected[data-transition-id="${id}"]`).count()).toBe(1);
  await page.keyboard.press("Delete");
  await expect.poll(() => page.getByTestId("transition-edge").count()).toBe(224);
  expect(await page.getByTestId("transition-label").filter({ hasText: text }).count()).toBe(0);
  // a label is also reached with the keyboard
  await page.getByTestId("transition-label").first().focus();
  await page.keyboard.press("Enter");
  await inspector().getByRole("form", { name: "Transition" }).waitFor();
});
