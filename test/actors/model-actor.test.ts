import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ModelActor } from "../../objects/model-actor.ts";
import type { Bid, Need } from "../../shared/actors.ts";

let n = 0;
/** A unique actor per test: storage is shared within a file. */
function actor(): { stub: DurableObjectStub<ModelActor>; need: (over?: Partial<Need>) => Need } {
  const id = `test/model-${++n}-${Date.now()}`;
  return {
    stub: env.MODEL_ACTOR.getByName(id),
    need: (over = {}) => ({ model: id, tokens: 10, defaults: { rpm: 30 }, timeZone: "UTC", ...over }),
  };
}

describe("ModelActor", () => {
  it("admits exactly its RPM limit out of 200 concurrent bids, refusing the rest with a retry time", async () => {
    const { stub, need } = actor();
    const bids = (await Promise.all(Array.from({ length: 200 }, () => stub.bid(need())))) as Bid[];
    const ok = bids.filter((b) => b.ok);
    expect(ok.length).toBe(30);
    const refused = bids.find((b) => !b.ok);
    expect(refused).toMatchObject({ ok: false, reason: "rpm" });
    if (refused && !refused.ok) expect(refused.retryAt).toBeGreaterThan(Date.now());
  });

  it("refuses every bid while cooling down after a daily-cap failure, until the zone's midnight", async () => {
    const { stub, need } = actor();
    const bid = (await stub.bid(need())) as Bid;
    if (!bid.ok) throw new Error("first bid refused");
    await stub.report({ model: need().model, lease: bid.lease, reserved: 10, ok: false, status: 429, failure: "daily", scope: "model" });
    const after = (await stub.bid(need())) as Bid;
    const midnight = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1);
    expect(after).toMatchObject({ ok: false, reason: "cooldown", retryAt: midnight });
  });

  it("honours a Retry-After to the second", async () => {
    const { stub, need } = actor();
    const bid = (await stub.bid(need())) as Bid;
    if (!bid.ok) throw new Error("refused");
    const before = Date.now();
    await stub.report({ model: need().model, lease: bid.lease, reserved: 10, ok: false, status: 429, failure: "throttle", scope: "model", retryAfterMs: 7000 });
    const after = (await stub.bid(need())) as Bid;
    expect(after.ok).toBe(false);
    if (!after.ok) {
      expect(after.retryAt).toBeGreaterThanOrEqual(before + 7000);
      expect(after.retryAt).toBeLessThanOrEqual(Date.now() + 7000);
    }
  });

  it("keeps its counters, cooldown and overrides across eviction", async () => {
    const { stub, need } = actor();
    for (let i = 0; i < 5; i++) await stub.bid(need({ defaults: { rpd: 100 } }));
    await stub.setLimits({ rpm: 7 });
    // Counters reach disk within the actor's flush interval (1 s); eviction comes after idle time.
    await new Promise((r) => setTimeout(r, 1200));
    await evictDurableObject(stub);
    const s = await stub.status();
    expect(s.limits).toEqual({ rpd: 100, rpm: 7 });
    expect(s.remaining.rpd).toBe(95);
    const bids = (await Promise.all(Array.from({ length: 20 }, () => stub.bid(need({ defaults: { rpd: 100 } }))))) as Bid[];
    expect(bids.filter((b) => b.ok).length).toBe(7);
  });

  it("learns limits from provider headers and lets operator overrides win", async () => {
    const { stub, need } = actor();
    const bid = (await stub.bid(need())) as Bid;
    if (!bid.ok) throw new Error("refused");
    await stub.report({ model: need().model, lease: bid.lease, reserved: 10, ok: true, status: 200, usage: { prompt: 5, completion: 5 }, rate: { limitRequestsDay: 1000, remainingRequestsDay: 3, limitTokensMinute: 6000 } });
    let s = await stub.status();
    expect(s.limits).toMatchObject({ rpm: 30, rpd: 1000, tpm: 6000 });
    expect(s.remaining.rpd).toBe(3);
    s = await stub.setLimits({ rpd: 2000 });
    expect(s.limits.rpd).toBe(2000);
  });

  it("after repeated failures, lets one probe through at a time once the cooldown ends", async () => {
    const { stub, need } = actor();
    const model = need().model;
    for (let i = 0; i < 3; i++) {
      const b = (await stub.bid(need())) as Bid;
      if (!b.ok) throw new Error("refused early");
      await stub.report({ model, lease: b.lease, reserved: 10, ok: false, status: 500, failure: "transient", scope: "model" });
    }
    expect(((await stub.bid(need())) as Bid).ok).toBe(false);
    // End the cooldown without waiting: the probe logic is what is under test.
    await runInDurableObject(stub, (instance: ModelActor) => {
      (instance as unknown as { health: { cooldownUntil: number } }).health.cooldownUntil = Date.now() - 1;
    });
    const probe = (await stub.bid(need())) as Bid;
    expect(probe.ok).toBe(true);
    expect((await stub.bid(need())) as Bid).toMatchObject({ ok: false, reason: "probe_in_flight" });
    if (!probe.ok) return;
    await stub.report({ model, lease: probe.lease, reserved: 10, ok: true, status: 200, latencyMs: 100 });
    const bids = (await Promise.all([stub.bid(need()), stub.bid(need())])) as Bid[];
    expect(bids.every((b) => b.ok)).toBe(true);
  });

  it("runs its alarm when a cooldown ends and re-arms nothing when idle", async () => {
    const { stub, need } = actor();
    const b = (await stub.bid(need())) as Bid;
    if (!b.ok) throw new Error("refused");
    await stub.report({ model: need().model, lease: b.lease, reserved: 10, ok: false, status: 429, failure: "throttle", scope: "model", retryAfterMs: 60_000 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
  });

  it("refunds a reservation released unused", async () => {
    const { stub, need } = actor();
    const bids = (await Promise.all(Array.from({ length: 30 }, () => stub.bid(need())))) as Bid[];
    expect(((await stub.bid(need())) as Bid).ok).toBe(false);
    const first = bids[0];
    if (!first?.ok) throw new Error("refused");
    await stub.release(first.lease, 10);
    expect(((await stub.bid(need())) as Bid).ok).toBe(true);
  });

  it("passes an account-wide failure on to its shared pool", async () => {
    const { stub, need } = actor();
    const pool = `test-pool-${n}`;
    const b = (await stub.bid(need({ pool }))) as Bid;
    if (!b.ok) throw new Error("refused");
    await env.POOL_ACTOR.getByName(pool).take({ ...need({ pool }), defaults: { rpm: 20 } });
    await stub.report({ model: need().model, lease: b.lease, reserved: 10, ok: false, status: 429, failure: "daily", scope: "pool" });
    const poolBid = (await env.POOL_ACTOR.getByName(pool).take({ ...need({ pool }), defaults: { rpm: 20 } })) as Bid;
    expect(poolBid).toMatchObject({ ok: false, reason: "cooldown" });
  });

  it("closes a lease once when its release or outcome arrives twice", async () => {
    const { stub, need } = actor();
    const daily = (over: Partial<Need> = {}): Need => need({ defaults: { rpd: 3 }, ...over });
    const bids = (await Promise.all([stub.bid(daily()), stub.bid(daily()), stub.bid(daily())])) as Bid[];
    const [a, b] = bids;
    if (!a?.ok || !b?.ok) throw new Error("refused");
    expect(((await stub.bid(daily())) as Bid).ok).toBe(false);
    // A release sent again (its first answer lost) gives back one request, not two.
    await stub.release(a.lease, 10);
    await stub.release(a.lease, 10);
    expect(((await stub.bid(daily())) as Bid).ok).toBe(true);
    expect(((await stub.bid(daily())) as Bid).ok).toBe(false);
    // An outcome queued again after a bid that carried it seemed to fail: applied once.
    const unused = { model: need().model, lease: b.lease, reserved: 10, unused: true, ok: false, status: 0 };
    await stub.reportMany([unused]);
    await stub.reportMany([unused]);
    expect(((await stub.bid(daily())) as Bid).ok).toBe(true);
    expect(((await stub.bid(daily())) as Bid).ok).toBe(false);
  });

  it("refills a rolling daily allowance continuously, and a daily refusal without a wait lasts one request's share", async () => {
    const DAY = 86_400_000;
    const { stub, need } = actor();
    const rolling = (): Need => need({ defaults: { rpd: 3 }, rolling: true });
    const bids = (await Promise.all([stub.bid(rolling()), stub.bid(rolling()), stub.bid(rolling())])) as Bid[];
    expect(bids.every((b) => b.ok)).toBe(true);
    const refused = (await stub.bid(rolling())) as Bid;
    expect(refused).toMatchObject({ ok: false, reason: "rpd" });
    if (!refused.ok) expect(Math.abs(refused.retryAt - (Date.now() + DAY / 3))).toBeLessThan(5_000);
    const status = await stub.status();
    expect(status).toMatchObject({ rolling: true, remaining: { rpd: 0 } });
    expect(Math.abs(status.dayResetAt - (Date.now() + DAY))).toBeLessThan(5_000);
    // A third of a day later one request is back (the day's clock is moved instead of waiting).
    await runInDurableObject(stub, (instance: ModelActor) => {
      const day = (instance as unknown as { limiter: { day: { at: number } } }).limiter.day;
      day.at -= DAY / 3;
    });
    const back = (await stub.bid(rolling())) as Bid;
    expect(back.ok).toBe(true);
    expect(((await stub.bid(rolling())) as Bid).ok).toBe(false);
    // The provider says the day is spent but not when: a rolling day gives one request's share back in DAY / 3.
    if (!back.ok) return;
    await stub.report({ model: need().model, lease: back.lease, reserved: 10, ok: false, status: 429, failure: "daily", scope: "model" });
    const cooled = await stub.status();
    expect(Math.abs(cooled.snapshot.cooldownUntil - (Date.now() + DAY / 3))).toBeLessThan(5_000);
  });
});
