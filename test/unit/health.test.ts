import { describe, expect, it } from "vitest";
import { afterFailure, afterSuccess, AUTH_COOLDOWN_MS, BACKOFF_FORGOTTEN_MS, FAILS_BEFORE_COOLDOWN, freshHealth, successNow } from "../../objects/health.ts";
import { priorSnapshot, RECOVER_MS, score } from "../../objects/score.ts";

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

  it("keeps the breaker open for a success that went upstream before the failures (its report came late)", () => {
    let h = freshHealth();
    for (let i = 0; i < FAILS_BEFORE_COOLDOWN; i++) h = afterFailure(h, { failure: "transient", now: now + i, dailyResetAt: reset });
    expect(h).toMatchObject({ halfOpen: true, backoff: 1, consecutive: FAILS_BEFORE_COOLDOWN });
    // Started before the first failure, reported 50 ms after the last: averaged in, but the probe still decides.
    const stale = afterSuccess(h, now + 50, 100, 50, now - 200);
    expect(stale).toMatchObject({ halfOpen: true, backoff: 1, consecutive: FAILS_BEFORE_COOLDOWN, cooldownUntil: h.cooldownUntil });
    expect(stale.success.value).toBeGreaterThan(h.success.value);
    // The probe, sent after the cooldown: that one closes it.
    const probe = afterSuccess(stale, h.cooldownUntil + 10, 100, 50, h.cooldownUntil + 1);
    expect(probe).toMatchObject({ halfOpen: false, backoff: 0, consecutive: 0 });
  });

  it("starts a throttle backoff over after a long quiet spell (a pool, which hears no successes, too)", () => {
    let h = freshHealth();
    for (let i = 0; i < 5; i++) h = afterFailure({ ...h, cooldownUntil: 0 }, { failure: "throttle", now, dailyResetAt: reset });
    expect(h.cooldownUntil - now).toBe(60_000);
    const later = now + BACKOFF_FORGOTTEN_MS + 1;
    const again = afterFailure({ ...h, cooldownUntil: 0 }, { failure: "throttle", now: later, dailyResetAt: reset });
    expect(again.cooldownUntil - later).toBe(5000);
    // Soon after, it keeps growing.
    const soon = afterFailure({ ...h, cooldownUntil: 0 }, { failure: "throttle", now: now + 1000, dailyResetAt: reset });
    expect(soon.cooldownUntil - (now + 1000)).toBe(60_000);
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

describe("standing after failures", () => {
  it("lets a model that failed and was then left alone regain trust with time, so it is asked again", () => {
    let h = freshHealth();
    h = afterFailure(h, { failure: "transient", now, dailyResetAt: reset });
    h = afterFailure(h, { failure: "transient", now, dailyResetAt: reset });
    const low = successNow(h, now);
    expect(low).toBeLessThan(0.5);
    expect(successNow(h, now + RECOVER_MS)).toBeGreaterThan(low + 0.6 * (0.9 - low));
    expect(successNow(h, now + 10 * RECOVER_MS)).toBeCloseTo(0.9, 3);
    // The ranking recovers the same way from a remembered snapshot.
    const snap = { ...priorSnapshot(now), at: now, success: low };
    expect(score(snap, now + 10 * RECOVER_MS, 1, 1)).toBeCloseTo(score(priorSnapshot(now), now, 1, 1), 3);
    expect(score(snap, now, 1, 1)).toBeLessThan(score(snap, now + RECOVER_MS, 1, 1));
  });

  it("continues the average from its recovered value when a new sample arrives", () => {
    const failed = afterFailure(freshHealth(), { failure: "transient", now, dailyResetAt: reset });
    const later = afterSuccess(failed, now + 10 * RECOVER_MS, 100, 50);
    expect(later.success.value).toBeGreaterThan(0.9);
  });

  it("never lowers a good model's standing with time", () => {
    const good = afterSuccess(afterSuccess(freshHealth(), now, 100, 50), now, 100, 50);
    expect(successNow(good, now + 10 * RECOVER_MS)).toBe(good.success.value);
  });
});
