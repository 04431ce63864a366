// A model actor at the edges of its accounting: outcomes that arrive after midnight about the day before, credit
// granted just before a reset, and a burst of failures of requests that were already in flight.

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Bid, Need } from "../../shared/actors.ts";

let n = 0;
/** A unique actor per test: storage is shared within a file. */
function actor(over: Partial<Need> = {}) {
  const id = `test/edges-${++n}-${Date.now()}`;
  return {
    id,
    stub: env.MODEL_ACTOR.getByName(id),
    need: (o: Partial<Need> = {}): Need => ({ model: id, tokens: 10, defaults: { rpm: 1000 }, timeZone: "UTC", ...over, ...o }),
  };
}

afterEach(() => vi.useRealTimers());

describe("an outcome about yesterday, applied after midnight", () => {
  it("does not charge today with what a stream's head said of yesterday's allowance", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 27, 23, 59, 0));
    // Cerebras-like: a UTC day of 1M tokens, announced in every response's headers.
    const { id, stub, need } = actor({ defaults: { rpm: 1000, tpd: 1_000_000 } });
    const b = (await stub.bid(need())) as Bid;
    if (!b.ok) throw new Error("refused");
    // The head (23:59) said 50,000 of yesterday's tokens were left; the stream ends and is reported at 00:01.
    vi.setSystemTime(Date.UTC(2026, 10, 28, 0, 1, 0));
    await stub.report({ model: id, lease: b.lease, reserved: 10, ok: true, status: 200, usage: { prompt: 5, completion: 5 }, startedAt: Date.UTC(2026, 10, 27, 23, 59, 0), rate: { limitTokensDay: 1_000_000, remainingTokensDay: 50_000 } });
    expect((await stub.status()).remaining.tpd).toBe(1_000_000);
  });

  it("does not cool the model for all of today for yesterday's daily 429", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 27, 23, 59, 59, 950));
    const { id, stub, need } = actor({ defaults: { rpm: 1000, rpd: 1000 } });
    const b = (await stub.bid(need())) as Bid;
    if (!b.ok) throw new Error("refused");
    vi.setSystemTime(Date.UTC(2026, 10, 28, 0, 0, 0, 30));
    await stub.report({ model: id, lease: b.lease, reserved: 10, ok: false, status: 429, failure: "daily", scope: "model", startedAt: Date.UTC(2026, 10, 27, 23, 59, 59, 950) });
    expect((await stub.status()).snapshot.cooldownUntil).toBeLessThan(Date.UTC(2026, 10, 28, 1));
  });

  it("does not cool a shared pool for all of today for yesterday's account-wide daily 429 either", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 27, 23, 59, 59, 950));
    const poolId = `test:pool-${++n}-${Date.now()}`;
    const { id, stub, need } = actor({ defaults: { rpm: 1000, rpd: 1000 }, pool: poolId });
    const b = (await stub.bid(need())) as Bid;
    if (!b.ok) throw new Error("refused");
    vi.setSystemTime(Date.UTC(2026, 10, 28, 0, 0, 0, 30));
    // The model passes the account-wide failure on to its pool, with when the attempt went out.
    await stub.report({ model: id, lease: b.lease, reserved: 10, ok: false, status: 429, failure: "daily", scope: "pool", startedAt: Date.UTC(2026, 10, 27, 23, 59, 59, 950) });
    const pool = env.POOL_ACTOR.getByName(poolId);
    expect((await pool.status()).snapshot.cooldownUntil).toBeLessThan(Date.UTC(2026, 10, 28, 1));
    // Today's own daily 429 still cools it until the next midnight.
    await pool.poolFailure({ failure: "daily", message: "free-models-per-day", startedAt: Date.now() });
    expect((await pool.status()).snapshot.cooldownUntil).toBe(Date.UTC(2026, 10, 29));
  });
});

describe("credit near a reset", () => {
  it("grants credit that ends with the day it is counted on", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const midnight = Date.UTC(2026, 10, 28);
    vi.setSystemTime(midnight - 500);
    const { stub, need } = actor({ defaults: { rpm: 10_000, rpd: 2_000 } });
    const b = (await stub.bid(need({ credit: 100 }))) as Bid;
    if (!b.ok || !b.credit) throw new Error("no credit granted");
    // Spent after midnight, it would reach a day that never counted it.
    expect(b.credit.until).toBeLessThanOrEqual(midnight);
  });
});

describe("a burst of failures", () => {
  it("cools the model once for one outage met by eight requests already in flight, not for five minutes", async () => {
    const { id, stub, need } = actor();
    const startedAt = Date.now();
    const bids = (await Promise.all(Array.from({ length: 8 }, () => stub.bid(need())))) as Bid[];
    for (const b of bids) {
      if (!b.ok) throw new Error("refused");
      await stub.report({ model: id, lease: b.lease, reserved: 10, ok: false, status: 502, failure: "transient", scope: "model", startedAt });
    }
    // The first backoff (10 s), as after three failures in a row; the other five were the same outage.
    expect((await stub.status()).snapshot.cooldownUntil - Date.now()).toBeLessThanOrEqual(11_000);
  });
});
