import { describe, expect, it } from "vitest";
import { debit, fullBucket, give, refill, take, waitFor } from "../../objects/bucket.ts";

describe("token bucket", () => {
  it("admits exactly its capacity at once, then refuses", () => {
    let b = fullBucket(30, 0);
    let admitted = 0;
    for (let i = 0; i < 200; i++) {
      const next = take(b, 30, 1, 0);
      if (next) {
        b = next;
        admitted++;
      }
    }
    expect(admitted).toBe(30);
  });

  it("refills continuously at capacity per minute", () => {
    const b = { level: 0, at: 0 };
    expect(refill(b, 60, 1000).level).toBeCloseTo(1);
    expect(refill(b, 60, 120_000).level).toBe(60);
  });

  it("says how long until a request fits", () => {
    const b = { level: 0, at: 0 };
    expect(waitFor(b, 30, 1, 0)).toBe(2000);
    expect(waitFor(b, 30, 31, 0)).toBe(Infinity);
  });

  it("gives back reservations without exceeding capacity and lets real usage run into debt", () => {
    expect(give({ level: 29, at: 0 }, 30, 5, 0).level).toBe(30);
    expect(debit({ level: 2, at: 0 }, 30, 5, 0).level).toBe(-3);
  });
});
