// worker/credits.ts on its own: credit held, spent and given back, and credit that arrives after its key's credit
// was ended (a failure, a revocation) given back at once instead of held.

import { describe, expect, it } from "vitest";
import { leaseDay } from "../../objects/limiter.ts";
import { answerOf, askFor, awaitCredit, creditLease, creditOf, drop, hasCredit, hold, type Leftover, since, spend, unspend } from "../../worker/credits.ts";

function harness() {
  const refunds: Leftover[] = [];
  const pending: Promise<unknown>[] = [];
  return {
    refunds,
    refund: (left: Leftover) => {
      refunds.push(left);
      return Promise.resolve();
    },
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    settled: () => Promise.all(pending),
  };
}

const grant = (requests: number, tokens: number, ttlMs = 1000) => ({ requests, tokens, until: Date.now() + ttlMs, day: "2026-11-27" });

describe("credit in the isolate", () => {
  it("spends what it holds, takes back what a request did not use, and gives back the rest when it lapses", async () => {
    const h = harness();
    const key = `m:unit-${Math.random()}`;
    hold(key, grant(4, 400, 100), h.refund, h.waitUntil, 1000, since(key));
    expect(hasCredit(key, 100)).toBe(true);
    expect(hasCredit(key, 500)).toBe(false);
    expect(spend(key, 100)).toBe(false);
    expect(spend(key, 100)).toBe(false);
    expect(spend(key, 100)).toBe(true); // under half left: time to ask for more
    expect(unspend(key, 100)).toBe(true);
    expect(creditOf(key)).toMatchObject({ requests: 2, tokens: 200 });
    await h.settled();
    expect(creditOf(key)).toBeUndefined();
    expect(h.refunds).toEqual([{ requests: 2, tokens: 200, day: "2026-11-27" }]);
  });

  it("gives back at once credit asked for before the key's credit was ended", async () => {
    const h = harness();
    const key = `m:unit-${Math.random()}`;
    const asked = since(key);
    drop(key); // the model failed while the ask was on its way
    hold(key, grant(8, 800), h.refund, h.waitUntil, 1000, asked);
    expect(hasCredit(key)).toBe(false);
    await h.settled();
    expect(h.refunds).toEqual([{ requests: 8, tokens: 800, day: "2026-11-27" }]);
  });

  it("keeps the give-back of credit that a new day's grant replaces alive with the request (waitUntil)", async () => {
    const key = `m:unit-${Math.random()}`;
    const pending: Promise<unknown>[] = [];
    const refunds: Leftover[] = [];
    let release = (): void => undefined;
    const refund = (left: Leftover): Promise<void> => {
      refunds.push(left);
      return refunds.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
    };
    const waitUntil = (p: Promise<unknown>): void => void pending.push(p);
    hold(key, { requests: 5, until: Date.now() + 50, day: "2026-11-27" }, refund, waitUntil, 1000, since(key));
    hold(key, { requests: 3, until: Date.now() + 50, day: "2026-11-28" }, refund, waitUntil, 1000, since(key));
    expect(refunds[0]).toEqual({ requests: 5, tokens: 0, day: "2026-11-27" });
    // Yesterday's five are on their way back: the request must not end before they arrive.
    const all = Promise.all(pending).then(() => "settled");
    expect(await Promise.race([all, new Promise((resolve) => setTimeout(() => resolve("on its way"), 200))])).toBe("on its way");
    release();
    expect(await all).toBe("settled");
  });

  it("ends held credit on drop and gives back what it held", async () => {
    const h = harness();
    const key = `c:unit-${Math.random()}`;
    hold(key, { requests: 5, until: Date.now() + 1000, day: "2026-11-27" }, h.refund, h.waitUntil, 1000, since(key));
    spend(key);
    await drop(key);
    expect(hasCredit(key)).toBe(false);
    expect(h.refunds).toEqual([{ requests: 4, tokens: 0, day: "2026-11-27" }]);
  });

  it("lets a request wait for credit another request asked for, and finds it once the answer is in", async () => {
    const h = harness();
    const key = `m:unit-${Math.random()}`;
    expect(askFor(key, 10)).toBe(10);
    expect(askFor(key, 10)).toBe(0); // one ask at a time
    let answer!: () => void;
    const call = answerOf(key, new Promise<void>((resolve) => (answer = resolve)).then(() => hold(key, grant(10, 0), h.refund, h.waitUntil, 1000, since(key))));
    const waiting = awaitCredit(key);
    answer();
    await call;
    expect(await waiting).toBe(true);
    await drop(key);
  });

  it("names each admission spent from credit uniquely, with the day its credit was counted on", () => {
    const h = harness();
    const key = `m:unit-${Math.random()}`;
    hold(key, grant(4, 400), h.refund, h.waitUntil, 1000, since(key));
    spend(key, 100);
    const first = creditLease(key);
    spend(key, 100);
    const second = creditLease(key);
    expect(first).not.toBe(second);
    expect(leaseDay(first, "UTC")).toBe("2026-11-27");
    expect(leaseDay(second, "America/Los_Angeles")).toBe("2026-11-27");
  });
});
