import { describe, expect, it } from "vitest";
import { afterFailure, afterSuccess, AUTH_COOLDOWN_MS, FAILS_BEFORE_COOLDOWN, freshHealth } from "../../objects/health.ts";

const now = 1_000_000;
const reset = now + 5 * 3_600_000;

describe("cooldown policy", () => {
  it("honours Retry-After to the millisecond on a throttle", () => {
    const h = afterFailure(freshHealth(), { failure: "throttle", now, retryAfterMs: 7000, dailyResetAt: reset });
    expect(h.cooldownUntil).toBe(now + 7000);
    expect(h.halfOpen).toBe(false);
  });

  it("backs off when a throttle gives no wait, longer each time", () => {
    const a = afterFailure(freshHealth(), { failure: "throttle", now, dailyResetAt: reset });
    const b = afterFailure({ ...a, cooldownUntil: 0 }, { failure: "throttle", now, dailyResetAt: reset });
    expect(a.cooldownUntil - now).toBe(5000);
    expect(b.cooldownUntil - now).toBe(10_000);
  });

  it("cools a daily cap until the provider's reset, not for seconds", () => {
    const h = afterFailure(freshHealth(), { failure: "daily", now, dailyResetAt: reset });
    expect(h.cooldownUntil).toBe(reset);
  });

  it("takes a refused key out for a long while", () => {
    expect(afterFailure(freshHealth(), { failure: "auth", now, dailyResetAt: reset }).cooldownUntil).toBe(now + AUTH_COOLDOWN_MS);
  });

  it("tolerates isolated transient failures, then cools down and probes half-open", () => {
    let h = freshHealth();
    for (let i = 1; i < FAILS_BEFORE_COOLDOWN; i++) {
      h = afterFailure(h, { failure: "transient", now, dailyResetAt: reset });
      expect(h.cooldownUntil).toBe(0);
    }
    h = afterFailure(h, { failure: "transient", now, dailyResetAt: reset });
    expect(h.cooldownUntil).toBeGreaterThan(now);
    expect(h.halfOpen).toBe(true);
    const probeFailed = afterFailure({ ...h, cooldownUntil: 0 }, { failure: "transient", now, dailyResetAt: reset });
    expect(probeFailed.cooldownUntil - now).toBeGreaterThan(h.cooldownUntil - now);
    const ok = afterSuccess(probeFailed, now, 100, 50);
    expect(ok).toMatchObject({ halfOpen: false, consecutive: 0, backoff: 0 });
  });

  it("leaves the model alone when the caller's request was the problem", () => {
    const h = freshHealth();
    for (const failure of ["caller", "context_length", "too_large"] as const) {
      expect(afterFailure(h, { failure, now, dailyResetAt: reset })).toBe(h);
    }
  });

  it("never shortens a cooldown that is already longer", () => {
    const daily = afterFailure(freshHealth(), { failure: "daily", now, dailyResetAt: reset });
    const then = afterFailure(daily, { failure: "throttle", now, retryAfterMs: 1000, dailyResetAt: reset });
    expect(then.cooldownUntil).toBe(reset);
  });
});
