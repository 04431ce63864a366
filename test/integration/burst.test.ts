// A burst meets a failing favourite: the gateway must still use the whole allowance of the model that works.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, SIM_ORIGIN, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => gw?.close());

describe("bursts", () => {
  it("serves a model's full per-minute allowance to 100 concurrent requests while the other candidate throttles", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    const providers = [
      { id: a, baseUrl: `${SIM_ORIGIN}/openai/v1`, apiKey: "k", models: [{ upstream: "fast" }] },
      { id: b, baseUrl: `${SIM_ORIGIN}/openai/v1`, apiKey: "k", models: [{ upstream: "steady", limits: { rpm: 40 } }] },
    ];
    gw = gateway({ CUSTOM_PROVIDERS: JSON.stringify(providers) }, { builtins: false });
    gw.sim.addRule({ provider: "openai", model: "fast", fault: { kind: "rate_limit", retryAfter: 60 } });
    const g = gw;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => g.chat({ model: "auto", messages: [{ role: "user", content: `b${i}` }] })));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(40);
    expect(results.filter((r) => r.status === 503)).toHaveLength(60);
    expect(g.sim.log().filter((e) => e.model === "steady" && e.status === 200)).toHaveLength(40);
  });
});
