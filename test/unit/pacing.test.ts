// Quota pacing over a simulated day: a daily allowance spread until its reset, and a reserve that keeps
// high-priority keys served when the allowance runs low. The limiter is pure, so the day runs in milliseconds.

import { describe, expect, it } from "vitest";
import type { Pacing } from "../../shared/actors.ts";
import { admit, close, emptyLimiter, headroom, type LimiterState } from "../../objects/limiter.ts";
import { dayFraction, paceCheck, paceRatio } from "../../objects/pace.ts";

const DAY_START = Date.UTC(2026, 10, 27, 0, 0, 0);
const MINUTE = 60_000;
const PACING = { paced: true, reserve: 0.1, slack: 0.1 };

interface DayRun {
  /** requests used at each minute (before that minute's traffic) */
  usedAt: number[];
  served: { normal: number; high: number };
  refused: { normal: number; high: number };
  /** high-priority requests asked and served in the day's last four hours */
  lateHigh: { asked: number; served: number };
  /** normal requests refused in the last four hours (the allowance "runs low" for them) */
  lateNormalRefused: number;
}

/** 2 requests a minute all day against a 1,000-request allowance; every `highEvery`-th one from a high-priority key. */
function simulateDay(pacing: Omit<Pacing, "high"> | undefined, highEvery = 10): DayRun {
  const limits = { rpd: 1000 };
  let state: LimiterState = emptyLimiter();
  const run: DayRun = { usedAt: [], served: { normal: 0, high: 0 }, refused: { normal: 0, high: 0 }, lateHigh: { asked: 0, served: 0 }, lateNormalRefused: 0 };
  let n = 0;
  for (let minute = 0; minute < 1440; minute++) {
    const base = DAY_START + minute * MINUTE;
    run.usedAt.push(state.day.requests);
    for (const offset of [0, 30_000]) {
      const now = base + offset;
      const high = ++n % highEvery === 0;
      const a = admit(state, limits, 0, `l${n}`, false, now, "UTC", pacing ? { ...pacing, high } : undefined);
      const late = minute >= 1440 - 240;
      if (high && late) run.lateHigh.asked++;
      if (a.ok) {
        state = close(a.state, limits, `l${n}`, 0, 0, now + 1000, "UTC");
        run.served[high ? "high" : "normal"]++;
        if (high && late) run.lateHigh.served++;
      } else {
        run.refused[high ? "high" : "normal"]++;
        if (!high && late) run.lateNormalRefused++;
      }
    }
  }
  return run;
}

describe("quota pacing over a simulated day (cap 1,000 requests, steady 2 per minute)", () => {
  it("without pacing, the allowance is gone by the morning", () => {
    const run = simulateDay(undefined);
    const exhaustedAt = run.usedAt.findIndex((u) => u >= 1000);
    expect(exhaustedAt).toBeGreaterThan(0);
    expect(exhaustedAt).toBeLessThan(9 * 60); // 1,000 requests at 2 a minute: 8 h 20 min
  });

  it("with pacing, the allowance is never exhausted before the reset, and high-priority keys are still served when it runs low", () => {
    const run = simulateDay(PACING);
    // Never exhausted: at every minute of the day some of the allowance is left.
    expect(Math.max(...run.usedAt)).toBeLessThan(1000);
    // And the day's share is really used, not hoarded: most of the allowance is served by the end.
    expect(run.served.normal + run.served.high).toBeGreaterThan(950);
    // Normal traffic is refused all day long (demand is 2,880), but evenly: some of it is served every hour.
    for (let h = 1; h < 24; h++) expect(run.usedAt[h * 60] as number).toBeGreaterThan(run.usedAt[(h - 1) * 60] as number);
    expect(run.lateNormalRefused).toBeGreaterThan(0);
    // High-priority requests (288 over the day) are served throughout, including the last four hours.
    expect(run.lateHigh.asked).toBe(48);
    expect(run.lateHigh.served).toBe(run.lateHigh.asked);
    expect(run.refused.high).toBe(0);
  });

  it("keeps the reserve for high-priority keys even with pacing off", () => {
    const run = simulateDay({ paced: false, reserve: 0.1, slack: 0.1 });
    // Normal keys stop once 900 are gone; the last 100 are for high-priority keys only.
    expect(run.served.normal).toBeLessThanOrEqual(900);
    expect(run.served.normal + run.served.high).toBe(1000);
    expect(run.served.high).toBeGreaterThanOrEqual(100);
  });
});

describe("pacing arithmetic", () => {
  it("allows the burst share at the start of the day and the whole allowance only at the reset", () => {
    const p: Pacing = { ...PACING, high: true };
    expect(paceCheck(99, 1, 1000, p, "UTC", DAY_START).ok).toBe(true); // 10 % burst
    expect(paceCheck(100, 1, 1000, p, "UTC", DAY_START).ok).toBe(false);
    const noon = DAY_START + 12 * 60 * MINUTE;
    expect(dayFraction("UTC", noon)).toBeCloseTo(0.5, 5);
    expect(paceCheck(549, 1, 1000, p, "UTC", noon).ok).toBe(true); // 0.1 + 0.9 × 0.5 = 55 %
    expect(paceCheck(550, 1, 1000, p, "UTC", noon).ok).toBe(false);
    expect(paceCheck(998, 1, 1000, p, "UTC", DAY_START + 1439 * MINUTE + 59_000).ok).toBe(true);
  });

  it("tells a refused request when the curve will have grown enough", () => {
    const p: Pacing = { ...PACING, high: false };
    const noon = DAY_START + 12 * 60 * MINUTE;
    const r = paceCheck(600, 1, 1000, p, "UTC", noon);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // 601 / 900 = 0.6678 of the normal allowance → f = (0.6678 − 0.1) / 0.9 = 0.6309 of the day ≈ 15:08 UTC
    expect(r.retryAt).toBeGreaterThan(DAY_START + 15 * 60 * MINUTE);
    expect(r.retryAt).toBeLessThan(DAY_START + 15 * 60 * MINUTE + 10 * MINUTE);
    expect(paceCheck(600, 1, 1000, p, "UTC", r.retryAt).ok).toBe(true);
  });

  it("projects the time to exhaustion against the time to reset", () => {
    const noon = DAY_START + 12 * 60 * MINUTE;
    expect(paceRatio(0, 1000, "UTC", noon)).toBe(1);
    expect(paceRatio(500, 1000, "UTC", noon)).toBeCloseTo(1, 5); // exactly on pace
    expect(paceRatio(750, 1000, "UTC", noon)).toBeCloseTo(1 / 3, 5); // runs dry at 16:00, 4 h of 12 h
    expect(paceRatio(1000, 1000, "UTC", noon)).toBe(0);
  });

  it("marks a daily allowance ahead of its pace, or a small one, as scarce", () => {
    const noon = DAY_START + 12 * 60 * MINUTE;
    const at = (requests: number): LimiterState => ({ ...emptyLimiter(), day: { key: "2026-11-27", requests, tokens: 0 } });
    expect(headroom(at(400), { rpd: 1000 }, noon, "UTC")).toMatchObject({ scarce: false, pace: 1 });
    expect(headroom(at(700), { rpd: 1000 }, noon, "UTC").scarce).toBe(true);
    expect(headroom(at(0), { rpd: 20 }, noon, "UTC").scarce).toBe(true);
    expect(headroom(at(0), { rpm: 30 }, noon, "UTC").scarce).toBe(false);
  });
});
