// A model that failed is not starved for good: after a few seconds one request probes it ahead of the ranking,
// and a provider that recovered gets its traffic back.

import { afterEach, describe, expect, it, vi } from "vitest";
import { PROBE_AFTER_MS } from "../../worker/auction.ts";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
  vi.useRealTimers();
});

describe("recovery after failures", () => {
  it("probes a model that failed once after PROBE_AFTER_MS, even while another one ranks higher", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: ["m0"] }, { id: b, models: ["m1"] }]) }, { builtins: false });
    const g = gw;
    // Whichever model goes first fails once; the request fails over to the other.
    g.sim.addRule({ provider: "openai", times: 1, fault: { kind: "status", status: 500 } });
    expect((await g.chat({ model: "auto", messages: user("first") })).status).toBe(200);
    const [failed, served] = g.sim.log().map((e) => e.model);
    expect(failed).not.toBe(served);
    // The one that answered keeps the traffic for now: the failed one ranks lower.
    for (let i = 0; i < 5; i++) expect((await g.chat({ model: "auto", messages: user(`now ${i}`) })).status).toBe(200);
    expect(g.sim.log().slice(2).every((e) => e.model === served)).toBe(true);
    // A few seconds on, one request goes to the failed model again.
    vi.setSystemTime(Date.now() + PROBE_AFTER_MS + 100);
    expect((await g.chat({ model: "auto", messages: user("later") })).status).toBe(200);
    expect(g.sim.log().at(-1)?.model).toBe(failed);
  });
});
