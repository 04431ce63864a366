import { describe, expect, it } from "vitest";
import { clampTo, debit, emptyWindow, give, left, take, waitFor, type Window, windowOf } from "../../objects/window.ts";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

/** Take one at a time at `at`, as long as it fits; how many went. */
function burst(w0: Window, capacity: number, at: number, tries: number): { w: Window; n: number } {
  let w = w0;
  let n = 0;
  for (let i = 0; i < tries; i++) {
    const t = take(w, capacity, 1, at);
    if (!t) break;
    w = t;
    n++;
  }
  return { w, n };
}

describe("per-minute window", () => {
  it("admits no more than its limit in any 60 s: a burst, then nothing until it ages out", () => {
    let { w, n } = burst(emptyWindow(), 20, T0, 25);
    expect(n).toBe(20);
    // A token bucket would have let one more in every 3 s; the window lets none in before the burst ages out.
    let later = 0;
    for (let s = 3; s < 60; s += 3) {
      const t = take(w, 20, 1, T0 + s * 1000);
      if (t) {
        w = t;
        later++;
      }
    }
    expect(later).toBe(0);
    expect(waitFor(w, 20, 1, T0 + 30_000)).toBe(31_000);
    // A minute (and its second) on, the whole allowance is back.
    expect(burst(w, 20, T0 + 61_000, 25).n).toBe(20);
  });

  it("over a sliding minute, counts each second's use until it ages out", () => {
    let w = emptyWindow();
    for (let s = 0; s < 10; s++) w = take(w, 10, 1, T0 + s * 6000) as Window;
    // Ten in the last minute: the eleventh waits for the first to age out.
    expect(take(w, 10, 1, T0 + 59_000)).toBeNull();
    expect(waitFor(w, 10, 1, T0 + 59_000)).toBe(2000);
    expect(take(w, 10, 1, T0 + 61_000)).not.toBeNull();
    expect(left(w, 10, T0 + 61_000)).toBe(1);
  });

  it("gives back from the oldest use, and charges debt and the provider's count", () => {
    let w = take(emptyWindow(), 100, 30, T0) as Window;
    w = take(w, 100, 30, T0 + 20_000) as Window;
    w = give(w, 40, T0 + 30_000);
    expect(w.used).toEqual([[Math.floor((T0 + 20_000) / 1000), 20]]);
    expect(left(debit(w, 100, T0 + 30_000), 100, T0 + 30_000)).toBe(-20);
    // The provider says 10 remain: at least 90 are used.
    const clamped = clampTo(w, 100, 10, T0 + 30_000);
    expect(left(clampTo(w, 100, 10, T0 + 30_000), 100, T0 + 30_000)).toBeCloseTo(10);
    // What we did not know of comes back a sixtieth of the limit a second (no reset time given), or at the reset
    // it names.
    expect(left(clamped, 100, T0 + 32_500)).toBeCloseTo(13.33, 1);
    expect(left(clampTo(w, 100, 10, T0 + 30_000, 5000), 100, T0 + 34_000)).toBeCloseTo(10);
    expect(left(clampTo(w, 100, 10, T0 + 30_000, 5000), 100, T0 + 36_000)).toBeCloseTo(80);
    // It never lowers our count.
    expect(left(clampTo(w, 100, 95, T0 + 30_000), 100, T0 + 30_000)).toBe(80);
    expect(waitFor(w, 100, 101, T0)).toBe(Infinity);
  });

  it("after a 429 that says the minute is spent, lets one request in as soon as a refilling minute would", () => {
    // Two of ours in the minute; the provider says all 30 are used (others share the key).
    let w = take(take(emptyWindow(), 30, 1, T0) as Window, 30, 1, T0 + 400) as Window;
    w = clampTo(w, 30, 0, T0 + 500);
    expect(take(w, 30, 1, T0 + 1000)).toBeNull();
    // 30 a minute is one every 2 s: by 2.3 s one fits, as the provider's Retry-After: 2 says.
    expect(take(w, 30, 1, T0 + 2800)).not.toBeNull();
  });

  it("reads a token bucket stored by an earlier version as that much used at its time", () => {
    expect(left(windowOf({ level: 5, at: T0 }, 30, T0 + 1000), 30, T0 + 1000)).toBe(5);
    expect(left(windowOf({ level: 5, at: T0 }, 30, T0 + 61_000), 30, T0 + 61_000)).toBe(30);
    expect(windowOf(null, 30, T0)).toEqual(emptyWindow());
  });
});
