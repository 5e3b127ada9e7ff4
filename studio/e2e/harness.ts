// What the browser tests stand on: the real `rataura2 serve` on a free port with a fresh SQLite database, tokens
// made by the real CLI and API, and Debian's Chromium (chromium.mjs).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";

export { openBrowser, type BrowserHandle } from "./chromium.mjs";

export const REPO = resolve(import.meta.dirname, "../..");
const RATAURA2 = process.env.RATAURA2_BIN ?? join(REPO, ".venv/bin/rataura2");

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

function cli(args: string[], databaseUrl: string): string {
  const run = spawnSync(RATAURA2, [...args, "-d", databaseUrl], { encoding: "utf8", timeout: 60_000 });
  if (run.status !== 0) throw new Error(`rataura2 ${args.join(" ")} failed: ${run.stderr || run.stdout}`);
  return run.stdout;
}

export interface Server {
  url: string;
  databaseUrl: string;
  dir: string;
  /** A new token of that role, made over HTTP with the admin token the CLI made. */
  token: (role: "viewer" | "editor" | "operator" | "admin", name: string) => Promise<string>;
  cli: (args: string[]) => string;
  stop: () => Promise<void>;
}

/** `rataura2 serve` on a fresh SQLite database; resolves when /readyz answers. */
export async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "studio-e2e-"));
  const databaseUrl = `sqlite:///${join(dir, "studio.db")}`;
  // the CLI migrates the fresh database and makes the first token; the others are made over HTTP
  const created = cli(["token", "create", "--role", "admin", "--name", "e2e-admin"], databaseUrl).match(/r2_[A-Za-z0-9_-]+/);
  if (!created) throw new Error("rataura2 token create printed no token");
  const admin = created[0];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(RATAURA2, ["serve", "--host", "127.0.0.1", "--port", String(port), "-d", databaseUrl], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rataura2 serve exited: ${log}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`rataura2 serve did not come up: ${log}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    databaseUrl,
    dir,
    cli: (args) => cli(args, databaseUrl),
    token: async (role, name) => {
      const response = await fetch(`${url}/api/v1/tokens`, {
        method: "POST",
        headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
        body: JSON.stringify({ role, name }),
      });
      const body = (await response.json()) as { token?: string };
      if (!response.ok || !body.token) throw new Error(`POST /api/v1/tokens answered ${response.status}: ${JSON.stringify(body)}`);
      return body.token;
    },
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url + "/");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("who").waitFor();
}
