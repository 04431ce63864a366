// analytics.latency (for the dashboard's latency chart): p50 / p95 latency and time to first token per minute,
// from the request log, through the typed admin client.

import { afterEach, describe, expect, it } from "vitest";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const ADMIN = "latency-admin-token";

describe("analytics.latency", () => {
  it("reports each minute's answered requests with latency and first-token percentiles", async () => {
    const p = uniqueProvider("lat");
    const g = (gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false }));
    const admin = adminClient(g, ADMIN);
    const since = Date.now() - 1000;
    for (let i = 0; i < 4; i++) expect((await g.chat({ model: `${p}/m1`, messages: [{ role: "user", content: `q${i}` }] })).status).toBe(200);
    const streamed = await g.chat({ model: `${p}/m1`, stream: true, messages: [{ role: "user", content: "streamed" }] });
    expect(streamed.status).toBe(200);

    const r = await admin.analytics.latency.query({ since, bucketMinutes: 1 });
    expect(r.sampled).toBe(false);
    expect(r.buckets.reduce((n, b) => n + b.answered, 0)).toBe(5);
    for (const b of r.buckets) {
      expect(b.start % 60_000).toBe(0);
      expect(b.latencyP50).not.toBeNull();
      expect(b.latencyP95 ?? 0).toBeGreaterThanOrEqual(b.latencyP50 ?? 0);
    }
    // The streamed answer has a time to first token.
    expect(r.buckets.some((b) => b.ttftP50 !== null)).toBe(true);
  });
});
