// Retry-After-aware choice: a short Retry-After from the preferred model is waited out when no alternative
// has ample headroom (and the wait fits the budget); otherwise freeway fails over at once. The route trace
// records the decision.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { type CustomModel, customProviders, hangUpAfter, sleep, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

function setup(list: Array<{ models: CustomModel[]; limits?: Record<string, number> }>, settings: Record<string, string> = {}): { g: Gateway; ids: string[] } {
  const providers = list.map((p, i) => ({ id: uniqueProvider(`r${i}`), ...p }));
  gw = gateway({ CUSTOM_PROVIDERS: customProviders(providers), ...settings }, { builtins: false });
  return { g: gw, ids: providers.map((p, i) => `${p.id}/m${i}`) };
}

describe("Retry-After-aware choice", () => {
  it("waits out a 1 s Retry-After when there is no alternative, and answers from the same model", async () => {
    const { g, ids } = setup([{ models: ["m0"] }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 1 } });
    const t0 = Date.now();
    const res = await g.chat({ model: ids[0], messages: user("hello") });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(g.sim.log().map((e) => [e.model, e.status])).toEqual([
      ["m0", 429],
      ["m0", 200],
    ]);
    const route = res.headers.get("x-freeway-route") ?? "";
    expect(route).toContain(`${ids[0]};failed;reason="throttle (HTTP 429)";decision="wait 1000 ms (no alternative with ample headroom)"`);
    expect(route).toContain(`${ids[0]};waited`);
    expect(route.endsWith(`${ids[0]};ok`)).toBe(true);
  });

  it("waits rather than spend an alternative whose daily allowance is scarce", async () => {
    const { g, ids } = setup([{ models: ["m0"] }, { models: ["m1"], limits: { rpd: 20 } }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 1 } });
    const res = await g.chat({ models: ids, messages: user("hello") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(ids[0]);
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0", "m0"]);
  });

  it("fails over at once when an alternative has ample headroom", async () => {
    const { g, ids } = setup([{ models: ["m0"] }, { models: ["m1"] }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 1 } });
    const t0 = Date.now();
    const res = await g.chat({ models: ids, messages: user("hello") });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(900);
    expect(res.headers.get("x-freeway-model")).toBe(ids[1]);
    expect(res.headers.get("x-freeway-route")).toContain(`decision="fail over (${ids[1]} has ample headroom)"`);
  });

  it("does not wait for a Retry-After longer than MAX_RETRY_WAIT_MS: 503 with that Retry-After instead", async () => {
    const { g, ids } = setup([{ models: ["m0"] }], { MAX_RETRY_WAIT_MS: "2000" });
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 5 } });
    const t0 = Date.now();
    const res = await g.chat({ model: ids[0], messages: user("hello") });
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(Math.abs(Number(res.headers.get("retry-after")) - 5)).toBeLessThanOrEqual(1);
    expect(res.headers.get("x-freeway-route")).toContain("fail over (Retry-After 5000 ms is too long to wait)");
  });

  it("waits once per model: a second 429 after the wait fails over or answers 503", async () => {
    const { g, ids } = setup([{ models: ["m0"] }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 2, fault: { kind: "rate_limit", retryAfter: 1 } });
    const res = await g.chat({ model: ids[0], messages: user("hello") });
    expect(res.status).toBe(503);
    expect(g.sim.log().map((e) => e.status)).toEqual([429, 429]);
  });

  it("lists the candidates it skipped and why in x-freeway-route, and the JSON trace on request", async () => {
    const { g, ids } = setup([{ models: ["m0"] }, { models: ["m1"] }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "status", status: 500 } });
    const res = await g.chat({ models: ids, messages: user("hello"), freeway: { trace: true } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { freeway?: { route: Array<Record<string, unknown>> } };
    expect(body.freeway?.route).toEqual([
      expect.objectContaining({ model: ids[0], event: "failed", reason: "transient (HTTP 500)", decision: expect.stringContaining("fail over") }),
      expect.objectContaining({ model: ids[1], event: "ok" }),
    ]);
    expect(res.headers.get("x-freeway-route")).toBe(
      `${ids[0]};failed;reason="transient (HTTP 500)";decision="fail over (skip ${ids[0]?.split("/")[0]} for this request)", ${ids[1]};ok`,
    );
    // Without the request field, no trace in the body.
    const plain = (await (await g.chat({ models: ids, messages: user("again") })).json()) as Record<string, unknown>;
    expect(plain.freeway).toBeUndefined();
  });

  it("names skipped candidates with the actor's refusal", async () => {
    const { g, ids } = setup([{ models: [{ upstream: "m0", limits: { rpm: 1 } }] }, { models: ["m1"] }]);
    expect((await g.chat({ model: ids[0], messages: user("one") })).status).toBe(200);
    const res = await g.chat({ models: ids, messages: user("two") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-route")).toMatch(new RegExp(`${ids[0]};skipped;reason="rpm"`));
  });

  it("says the model's latest wait in the 503's Retry-After, not an earlier one already past", async () => {
    const { g, ids } = setup([{ models: ["m0"] }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 1 } });
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 30 } });
    const res = await g.chat({ model: ids[0], messages: user("hello") });
    expect(res.status).toBe(503);
    expect(g.sim.log().map((e) => e.status)).toEqual([429, 429]);
    // It waited out the 1 s, then heard 30 s: a client told "1" would only meet another 503.
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(29);
  });

  it("sends nothing more upstream once the caller hung up during the wait", async () => {
    const { g, ids } = setup([{ models: ["m0"] }, { models: ["m1"], limits: { rpd: 20 } }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "rate_limit", retryAfter: 1 } });
    // The other model's day is scarce: the gateway waits out m0's second. The caller leaves during the wait.
    await hangUpAfter(g, { models: ids, messages: user("never mind") }, 400);
    await sleep(300);
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0"]);
  });
});
