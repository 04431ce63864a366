import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // Unit, actor and integration tests run inside workerd, next to the Worker and its Durable Objects.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: { name: "workers", include: ["test/**/*.test.ts"], exclude: ["test/e2e/**", "node_modules/**"] },
      },
      {
        // End-to-end tests drive a real gateway process (wrangler dev / workerd) with real client libraries.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
