// Credit (worker/credits.ts): a busy model's and client's actors grant this isolate admissions ahead, so most
// requests make no actor call. The actors still count every request exactly once, unspent credit goes back,
// and a failure, an operator's change or a revocation in this isolate holds from the very next request.

import { afterEach, describe, expect, it } from "vitest";
import type { ActorStatus } from "../../shared/actors.ts";
import { sha256HexMemo } from "../../shared/hash.ts";
import { clientKey, creditOf, modelKey } from "../../worker/credits.ts";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, sleep, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const ADMIN = "admin-token-for-credit-tests";
/** Credit lasts at most this long; a little more and whatever was left has been given back. */
const LAPSE_MS = 1_300;

async function status(g: Gateway, id: string): Promise<ActorStatus> {
  return (await g.env.MODEL_ACTOR.getByName(id).status()) as ActorStatus;
}

/**
 * `waves` rounds of `each` concurrent requests, back to back like steady traffic; returns every response's status,
 * actor-call count and model. (Requests are not held until their background work ends: a request that was
 * granted credit keeps its context until the credit lapses, to give back what is left.)
 */
async function waves(g: Gateway, body: (i: number) => Record<string, unknown>, waves: number, each: number, headers: Record<string, string> = {}) {
  const out: Array<{ status: number; rpcs: number; model: string | null }> = [];
  const send = (b: Record<string, unknown>) =>
    g.fetch("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(b), background: true });
  for (let w = 0; w < waves; w++) {
    const rs = await Promise.all(Array.from({ length: each }, (_, i) => send(body(w * each + i))));
    for (const r of rs) {
      out.push({ status: r.status, rpcs: Number(r.headers.get("x-freeway-rpcs")), model: r.headers.get("x-freeway-model") });
      await r.arrayBuffer();
    }
  }
  return out;
}

describe("credit", () => {
  it("serves most of a busy model's requests without an actor call, and every request is counted exactly once", async () => {
    const p = uniqueProvider();
    const id = `${p}/m1`;
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { rpm: 100_000, rpd: 100_000 } }]), CREDIT_MS: "1000" }, { builtins: false });
    const ip = { "cf-connecting-ip": "192.0.2.77" };
    const out = await waves(gw, (i) => ({ model: id, messages: user(`q ${i}`) }), 10, 30, ip);
    expect(out.filter((r) => r.status !== 200)).toEqual([]);
    expect(gw.sim.log().filter((e) => e.endpoint === "chat")).toHaveLength(300);
    // Most requests are admitted on credit by both the client's and the model's actor: no call at all.
    const free = out.filter((r) => r.rpcs === 0).length;
    expect(free).toBeGreaterThan(150);

    // Once the credit lapses, what was not spent is back: the day's counts are exactly the 300 requests served.
    await sleep(LAPSE_MS);
    expect(creditOf(modelKey(id))).toBeUndefined();
    const s = await status(gw, id);
    expect(s.remaining.rpd).toBe(100_000 - 300);
    const limiter = `ip:${await sha256HexMemo(ip["cf-connecting-ip"])}`;
    expect(creditOf(clientKey(limiter))).toBeUndefined();
    const usage = (await gw.env.CLIENT_LIMITER.getByName(limiter).usage()) as { requestsToday: number };
    expect(usage.requestsToday).toBe(300);
  }, 30_000);

  it("counts one caller's back-to-back requests, streamed or not, exactly once when its credit lapses", async () => {
    const p = uniqueProvider();
    const id = `${p}/m1`;
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { rpm: 30, rpd: 1000, tpm: 8000, tpd: 200_000 } }]), CREDIT_MS: "1000" }, { builtins: false });
    const g = gw;
    // One at a time, alternating JSON and SSE: busy enough to be granted credit, and to renew it.
    let onCredit = 0;
    for (let i = 0; i < 8; i++) {
      const res = await g.fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: id, stream: i % 2 === 1, stream_options: { include_usage: true }, messages: user(`one by one ${i}`) }),
        background: true,
      });
      expect(res.status).toBe(200);
      if (res.headers.get("x-freeway-rpcs") === "0") onCredit++;
      const text = await res.text();
      if (i % 2 === 1) expect(text).toContain("[DONE]");
    }
    expect(onCredit).toBeGreaterThan(0);
    expect(gw.sim.log().filter((e) => e.endpoint === "chat")).toHaveLength(8);
    await sleep(LAPSE_MS);
    expect(creditOf(modelKey(id))).toBeUndefined();
    const s = await status(g, id);
    expect(s.remaining.rpd).toBe(1000 - 8);
  }, 30_000);

  it("ends a model's credit when it fails: after a 429 with Retry-After: 2, nothing reaches it for 2 s", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: ["ma"] }, { id: b, models: ["mb"] }]), CREDIT_MS: "1000" }, { builtins: false });
    const models = [`${a}/ma`, `${b}/mb`];
    // Busy enough that this isolate holds credit for the preferred model.
    await waves(gw, (i) => ({ models, messages: user(`warm ${i}`) }), 2, 20);
    expect(creditOf(modelKey(`${a}/ma`))?.requests ?? 0).toBeGreaterThan(0);
    expect(gw.sim.log().every((e) => e.model === "ma")).toBe(true);

    gw.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "rate_limit", retryAfter: 2 } });
    const first = await gw.chat({ models, messages: user("throttled") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    const throttle = gw.sim.log().find((e) => e.status === 429);
    expect(throttle?.model).toBe("ma");
    const throttledAt = throttle?.ts ?? 0;
    expect(creditOf(modelKey(`${a}/ma`))).toBeUndefined();

    // Waves of requests until the preferred model answers again.
    let back = false;
    for (let w = 0; !back && Date.now() - throttledAt < 4000; w++) {
      const out = await waves(gw, (i) => ({ models, messages: user(`after ${w}.${i}`) }), 1, 10);
      expect(out.filter((r) => r.status !== 200)).toEqual([]);
      back = out.some((r) => r.model === `${a}/ma`);
      await sleep(50);
    }
    expect(back).toBe(true);
    const toA = gw.sim.log().filter((e) => e.model === "ma" && e.ts > throttledAt);
    expect(Math.min(...toA.map((e) => e.ts)) - throttledAt).toBeGreaterThanOrEqual(2000 - 5);
  }, 30_000);

  it("holds an operator's new limit from the very next request in this isolate", async () => {
    const p = uniqueProvider();
    const id = `${p}/m1`;
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { rpm: 10_000 } }]), CREDIT_MS: "1000", ADMIN_TOKEN: ADMIN }, { builtins: false });
    await waves(gw, (i) => ({ model: id, messages: user(`warm ${i}`) }), 2, 20);
    expect(creditOf(modelKey(id))?.requests ?? 0).toBeGreaterThan(5);
    const admin = adminClient(gw, ADMIN);
    await admin.models.setLimits.mutate({ id, limits: { rpm: 1 } });
    expect(creditOf(modelKey(id))).toBeUndefined();
    const before = gw.sim.log().length;
    const out = await waves(gw, (i) => ({ model: id, messages: user(`limited ${i}`) }), 1, 5);
    // The last minute's 40 already exceed the new limit of 1 a minute: none of these five goes (the credit held
    // before would have admitted all five).
    expect(gw.sim.log().length - before).toBe(0);
    expect(out.filter((r) => r.status === 503)).toHaveLength(5);
  }, 30_000);

  it("refuses a key revoked through the admin API on its next request, though this isolate held credit for it", async () => {
    const p = uniqueProvider();
    const model = `${p}/m1`;
    gw = gateway({ ACCESS: "keys", ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, ["m1"]), CREDIT_MS: "1000" }, { builtins: false });
    const admin = adminClient(gw, ADMIN);
    const { key, record } = await admin.keys.create.mutate({ label: "busy" });
    const auth = { authorization: `Bearer ${key}` };
    const out = await waves(gw, (i) => ({ model, messages: user(`q ${i}`) }), 2, 20, auth);
    expect(out.every((r) => r.status === 200)).toBe(true);
    const limiter = `key:${await sha256HexMemo(key)}`;
    expect(creditOf(clientKey(limiter))?.requests ?? 0).toBeGreaterThan(0);

    await admin.keys.revoke.mutate({ id: record.id });
    const before = gw.sim.log().length;
    const revoked = await gw.chat({ model, messages: user("after") }, auth);
    expect(revoked.status).toBe(401);
    expect(gw.sim.log().length).toBe(before);
  }, 30_000);
});
