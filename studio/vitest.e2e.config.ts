import { defineConfig } from "vitest/config";

// Browser tests: Node drives Debian's Chromium against the real `rataura2 serve` (e2e/harness.ts).
export default defineConfig({
  test: {
    environment: "node",
    include: [process.env.E2E_INCLUDE ?? "e2e/**/*.e2e.ts"],
    testTimeout: 150_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    globals: true,
    reporters: ["verbose"],
  },
});
