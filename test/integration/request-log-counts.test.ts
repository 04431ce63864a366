// What the request log and its analytics count: a broken stream once, the mean latency of successes, calls that
// reached the provider (not coalesced answers), a batch the ledger refused once, and ranges that make no sense.

import { afterEach, describe, expect, it, vi } from "vitest";
import { adminClient, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, streamChat, user } from "../helpers/integration.ts";
import { ledgerName } from "../../worker/ledger.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
  vi.useRealTimers();
});

const ADMIN = "admin-token-for-tests";

/** A minute later, the forecast of `model`'s 1,000 a day has seen one call: 999 left, burnt at one per 1.5 minutes. */
async function expectOneCall(admin: ReturnType<typeof adminClient>, model: string): Promise<void> {
  vi.setSystemTime(Date.now() + 60_000);
  const f = (await admin.analytics.forecast.query()).find((x) => x.id === model && x.limit === "rpd");
  expect(f?.remaining).toBe(999);
  expect(f?.burnRate).toBeCloseTo(1 / 1.5, 2);
}

describe("request log counts", () => {
  it("counts a stream that broke with nothing to rescue it as one failed request: no failover, one error, one call", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2032, 4, 6, 10, 0, 30));
    const p = uniqueProvider("cut");
    gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProviders([{ id: p, models: [{ upstream: "m", limits: { rpd: 1000 } }] }]) }, { builtins: false });
    const admin = adminClient(gw, ADMIN);
    const since = Date.now() - 1000;
    gw.sim.addRule({ provider: "openai", model: "m", times: 1, fault: { kind: "cut", afterTokens: 10 } });
    const s = await streamChat(gw, { model: `${p}/m`, messages: user("Tell me about the river [[tokens=30]]") });
    expect(s.finishReasons).toEqual(["error"]);
    expect(gw.sim.log()).toHaveLength(1); // one upstream call, no failover
    await new Promise((r) => setTimeout(r, 50));

    const group = (await admin.analytics.summary.query({ since })).groups.find((x) => x.id === `${p}/m`);
    expect(group).toMatchObject({ requests: 1, succeeded: 0, errors: 1, failoversIn: 0, failoversOut: 0 });
    const series = await admin.analytics.timeseries.query({ since, bucketMinutes: 60, model: `${p}/m` });
    expect(series.reduce((n, b) => n + b.failovers, 0)).toBe(0);
    // The forecast's burn: one call in the minute since traffic began.
    await expectOneCall(admin, `${p}/m`);
  });

  it("charts the mean latency of a minute's successes, not all answered requests' latency over the successes' count", async () => {
    const p = uniqueProvider("lat");
    gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProviders([{ id: p, models: ["m"] }]) }, { builtins: false });
    const admin = adminClient(gw, ADMIN);
    const since = Date.now() - 1000;
    const ok = await streamChat(gw, { model: `${p}/m`, messages: user("quick [[tokens=5]]") });
    expect(ok.finishReasons).toEqual(["stop"]);
    // The second stalls after its head: it ends with an error after the idle timeout (300 ms).
    gw.sim.addRule({ provider: "openai", model: "m", times: 1, fault: { kind: "stall", afterTokens: 3 } });
    const broken = await streamChat(gw, { model: `${p}/m`, messages: user("stalls [[tokens=30]]") });
    expect(broken.finishReasons).toEqual(["error"]);
    await new Promise((r) => setTimeout(r, 50));
    const log = await admin.analytics.requests.query({ since, model: `${p}/m` });
    const good = log.find((r) => r.error === null);
    expect(log).toHaveLength(2);
    const [bucket] = await admin.analytics.timeseries.query({ since, bucketMinutes: 1440, model: `${p}/m` });
    expect(bucket).toMatchObject({ requests: 2, succeeded: 1 });
    expect(bucket?.latencyMean).toBe(good?.latencyMs);
  });

  it("forecasts by the calls that reached the provider: ten coalesced requests are one call", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2032, 4, 7, 10, 0, 30));
    const p = uniqueProvider("co");
    gw = gateway({ ADMIN_TOKEN: ADMIN, PRIORITY_RESERVE_PERCENT: "0", CUSTOM_PROVIDERS: customProviders([{ id: p, models: [{ upstream: "m", limits: { rpd: 1000 } }] }]) }, { builtins: false });
    const admin = adminClient(gw, ADMIN);
    gw.sim.config({ latencyMs: 100 });
    const g = gw;
    const res = await Promise.all(Array.from({ length: 10 }, () => g.chat({ model: `${p}/m`, temperature: 0, messages: user("same") })));
    expect(res.map((r) => r.status)).toEqual(Array<number>(10).fill(200));
    expect(res.filter((r) => r.headers.get("x-freeway-coalesced") === "true")).toHaveLength(9);
    expect(gw.sim.log()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 50));
    // Ten requests, but nine of them shared the first's answer.
    await expectOneCall(admin, `${p}/m`);
  });

  it("refuses a 'since' after the default 'until' (now) with a 400, as it does when both are given", async () => {
    const p = uniqueProvider("r");
    gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProviders([{ id: p, models: ["m"] }]) }, { builtins: false });
    const g = gw;
    const status = async (path: string, input: unknown): Promise<number> =>
      (await g.fetch(`/admin/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers: { authorization: `Bearer ${ADMIN}` } })).status;
    const future = Date.now() + 10 * 86_400_000;
    for (const path of ["analytics.summary", "analytics.timeseries", "analytics.requests", "analytics.latency"]) {
      expect(await status(path, { since: future, until: future + 1 }), path).toBe(200);
      expect(await status(path, { since: future }), path).toBe(400);
    }
    await expect(adminClient(g, ADMIN).analytics.summary.query({ since: future })).rejects.toThrow(/'since' must be before 'until'/);
  });

  it("loses no record when the day ledger refuses a batch once (a transient actor error)", async () => {
    const p = uniqueProvider("fl");
    gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProviders([{ id: p, models: ["m"] }]) }, { builtins: false });
    const g = gw;
    // The first append after this point fails as an overloaded or reset Durable Object's RPC does.
    const real = g.env.REQUEST_LEDGER;
    let failures = 1;
    (g.env as { REQUEST_LEDGER: unknown }).REQUEST_LEDGER = {
      getByName(name: string) {
        const stub = real.getByName(name);
        return new Proxy(stub, {
          get(target, prop) {
            if (prop === "append" && failures > 0) {
              failures--;
              return () => Promise.reject(new Error("Durable Object is overloaded"));
            }
            // RPC stub methods are proxies themselves: call them on the stub, never bind them.
            return (...a: unknown[]) => (target as unknown as Record<string | symbol, (...x: unknown[]) => unknown>)[prop]?.(...a);
          },
        });
      },
    };
    const since = Date.now() - 1000;
    const res = await g.chat({ model: `${p}/m`, messages: user("keep me") });
    expect(res.status).toBe(200);
    expect(failures).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const log = await adminClient(g, ADMIN).analytics.requests.query({ since, model: `${p}/m` });
    expect(log.map((r) => r.id)).toEqual([res.headers.get("x-request-id")]);
    const group = (await adminClient(g, ADMIN).analytics.summary.query({ since })).groups.find((x) => x.id === `${p}/m`);
    expect(group?.requests).toBe(1);
    // A retry whose first try did land (its answer lost) counts nothing twice: the ledger takes a batch id once.
    const ts = Date.now();
    const rec = { id: "dup-1", ts, key: null, route: "chat" as const, requested: `${p}/dup`, model: `${p}/dup`, provider: p, status: 200, error: null, attempts: [{ model: `${p}/dup`, provider: p, outcome: "ok" }], latencyMs: 5, ttftMs: null, tokensIn: 1, tokensOut: 1, streamed: false };
    for (let i = 0; i < 2; i++) await real.getByName(ledgerName(ts)).append([rec], 7, ts + 86_400_000, "batch-dup");
    const dup = (await adminClient(g, ADMIN).analytics.summary.query({ since })).groups.find((x) => x.id === `${p}/dup`);
    expect(dup?.requests).toBe(1);
  });
});
