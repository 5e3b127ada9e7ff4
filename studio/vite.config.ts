import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The build lands inside the Python package, which `rataura2 serve` serves at `/`.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../rataura2/studio_dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000", "/healthz": "http://127.0.0.1:8000" },
  },
  test: {
    environment: "node", // component tests ask for jsdom themselves (@vitest-environment)
    globals: true,
    testTimeout: 30_000, // a loaded 2-core machine renders the first component slowly
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
