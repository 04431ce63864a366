// A model that failed is not starved for good: after a few seconds one request probes it ahead of the ranking,
// and a provider that recovered gets its traffic back.

import { afterEach, describe, expect, it, vi } from "vitest";
import { cleared, PROBE_AFTER_MS, providerTrust, suspect } from "../../worker/auction.ts";
import { RECOVER_MS } from "../../objects/score.ts";
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

  it("after a provider fails on one model, does not try its other models one by one: an equal alternative answers next", async () => {
    // Five of P's models against one of Q's, all untried: ranked alike, P's would come first about four times in
    // five. Three rounds on fresh providers, so that a ranking that ignores the failure passes by chance < 1 %.
    for (let round = 0; round < 3; round++) {
      const p = uniqueProvider("p");
      const q = uniqueProvider("q");
      const down = [0, 1, 2, 3, 4].map((i) => `${p}-m${i}`);
      gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: p, models: down }, { id: q, models: [`${q}-m`] }]) }, { builtins: false });
      const g = gw;
      for (const m of down) g.sim.addRule({ model: m, fault: { kind: "status", status: 503 } });
      // A request for one of P's models meets the outage.
      expect((await g.chat({ model: `${p}/${down[0]}`, messages: user(`round ${round}`) })).status).toBe(503);
      const seen = g.sim.log().length;
      expect(g.sim.log().every((e) => e.model === down[0])).toBe(true);
      // The next request for any model goes to Q first, not to another of P's.
      expect((await g.chat({ model: "auto", messages: user(`round ${round}, next`) })).status).toBe(200);
      expect(g.sim.log().slice(seen).map((e) => e.model)).toEqual([`${q}-m`]);
      g.close();
      gw = undefined;
    }
  });

  it("trusts a failing provider's models less with each failure in a row, again once one answers, and again in time", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const p = uniqueProvider("p");
    const now = Date.now();
    expect(providerTrust(p, now)).toBe(1);
    suspect(`${p}/a`, p);
    expect(providerTrust(p, now)).toBeCloseTo(0.5);
    suspect(`${p}/b`, p);
    suspect(`${p}/c`, p);
    suspect(`${p}/a`, p);
    // Three failures in a row count; more do not push it lower.
    expect(providerTrust(p, now)).toBeCloseTo(0.125);
    // The lost trust comes back as a model's own does.
    expect(providerTrust(p, now + RECOVER_MS)).toBeCloseTo(1 - 0.875 * Math.exp(-1));
    // One of its models answered: the provider serves.
    cleared(`${p}/b`, p);
    expect(providerTrust(p, now)).toBe(1);
    // A failure long after the last one starts the count over.
    suspect(`${p}/a`, p);
    vi.setSystemTime(now + 2 * RECOVER_MS);
    suspect(`${p}/b`, p);
    expect(providerTrust(p, Date.now())).toBeCloseTo(0.5);
  });
});
