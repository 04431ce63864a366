import { describe, expect, it } from "vitest";
import { nextReset } from "../../objects/day.ts";
import { admit, applyRemaining, charge, close, creditable, type Days, emptyLimiter, headroom, leaseDay, remaining, restore, type LimiterState } from "../../objects/limiter.ts";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

function admitMany(limits: Parameters<typeof admit>[1], n: number, tokens = 10, now = T0): { state: LimiterState; admitted: number } {
  let state = emptyLimiter();
  let admitted = 0;
  for (let i = 0; i < n; i++) {
    const a = admit(state, limits, tokens, `l${i}`, false, now, "UTC");
    if (a.ok) {
      state = a.state;
      admitted++;
    }
  }
  return { state, admitted };
}

describe("limiter", () => {
  it("never admits more than the RPM limit in a burst", () => {
    expect(admitMany({ rpm: 30 }, 200).admitted).toBe(30);
  });

  it("refuses by daily requests until the zone's midnight", () => {
    const { state } = admitMany({ rpd: 3 }, 3);
    const a = admit(state, { rpd: 3 }, 1, "x", false, T0, "UTC");
    expect(a).toMatchObject({ ok: false, reason: "rpd", retryAt: Date.UTC(2026, 10, 28) });
  });

  it("starts a new day at midnight in the provider's zone", () => {
    const { state } = admitMany({ rpd: 3 }, 3);
    const after = admit(state, { rpd: 3 }, 1, "x", false, nextReset("UTC", T0) + 1, "UTC");
    expect(after.ok).toBe(true);
  });

  it("refuses by tokens per minute and says a request larger than the limit never fits", () => {
    const { state, admitted } = admitMany({ tpm: 100 }, 20, 30);
    expect(admitted).toBe(3);
    expect(admit(state, { tpm: 100 }, 101, "big", false, T0, "UTC")).toMatchObject({ ok: false, reason: "too_large" });
  });

  it("holds concurrency slots until the lease closes", () => {
    const limits = { concurrency: 2 };
    const { state, admitted } = admitMany(limits, 5);
    expect(admitted).toBe(2);
    const freed = close(state, limits, "l0", 10, 10, T0, "UTC");
    expect(admit(freed, limits, 10, "n", false, T0, "UTC").ok).toBe(true);
  });

  it("refunds an unused reservation completely", () => {
    const limits = { rpm: 2, tpm: 100, rpd: 10 };
    const { state } = admitMany(limits, 2, 40);
    const refunded = close(state, limits, "l1", 40, null, T0, "UTC");
    expect(remaining(refunded, limits, T0, "UTC")).toMatchObject({ rpm: 1, tpm: 60, rpd: 9 });
  });

  it("corrects token reservations with real usage", () => {
    const limits = { tpm: 1000, tpd: 5000 };
    const { state } = admitMany(limits, 1, 500);
    const corrected = close(state, limits, "l0", 500, 120, T0, "UTC");
    expect(remaining(corrected, limits, T0, "UTC")).toMatchObject({ tpm: 880, tpd: 4880 });
  });

  it("adopts what the provider says remains, but never raises our own count", () => {
    const limits = { rpd: 1000, tpm: 6000 };
    const s = applyRemaining(emptyLimiter(), limits, { remainingRequestsDay: 10, remainingTokensMinute: 100 }, T0, "UTC");
    expect(remaining(s, limits, T0, "UTC")).toMatchObject({ rpd: 10, tpm: 100 });
    const again = applyRemaining(s, limits, { remainingRequestsDay: 500 }, T0, "UTC");
    expect(remaining(again, limits, T0, "UTC").rpd).toBe(10);
  });

  it("reports headroom as the tightest share left", () => {
    const limits = { rpm: 10, rpd: 100 };
    const { state } = admitMany(limits, 5);
    // 5 of 100 by noon: at that rate the allowance lasts the day, and half of it is far off.
    expect(headroom(state, limits, T0, "UTC")).toEqual({ headroom: 0.5, dailyLeft: 0.95, pace: 1, scarce: false });
  });
});

describe("credit (admissions granted ahead)", () => {
  const paced = { paced: true, reserve: 0.1, slack: 0.25, high: false };

  it("grants at most a quarter of each per-minute limit and a twentieth of each daily one", () => {
    const s = emptyLimiter();
    expect(creditable(s, { rpm: 100 }, 64, 10, T0, "UTC")).toBe(25);
    expect(creditable(s, { rpm: 1000, rpd: 200 }, 64, 10, T0, "UTC")).toBe(10);
    expect(creditable(s, { tpm: 1000 }, 64, 40, T0, "UTC")).toBe(6);
    expect(creditable(s, { rpm: 10_000 }, 64, 10, T0, "UTC")).toBe(64);
  });

  it("grants none where each request holds a concurrency slot, or a small limit leaves less than one", () => {
    expect(creditable(emptyLimiter(), { rpm: 1000, concurrency: 4 }, 64, 10, T0, "UTC")).toBe(0);
    expect(creditable(emptyLimiter(), { rpm: 3 }, 64, 10, T0, "UTC")).toBe(0);
  });

  it("grants none that the day's pace would refuse", () => {
    // 400 of 1,000 used a minute after midnight is far ahead of a paced day.
    const early = Date.UTC(2026, 10, 27, 0, 1, 0);
    const { state } = admitMany({ rpd: 1000 }, 400, 0, early);
    expect(creditable(state, { rpd: 1000 }, 64, 0, early, "UTC", paced)).toBe(0);
    expect(creditable(state, { rpd: 1000 }, 64, 0, early, "UTC")).toBeGreaterThan(0);
  });

  it("counts a grant at once, and gives back exactly what was not spent", () => {
    const limits = { rpm: 1000, rpd: 10_000, tpm: 100_000 };
    const granted = charge(emptyLimiter(), limits, 20, 2000, T0, "UTC");
    expect(remaining(granted, limits, T0, "UTC")).toMatchObject({ rpm: 980, rpd: 9980, tpm: 98_000 });
    // 5 of the 20 were spent (their own reports settle their tokens); 15 come back with their 1,500 tokens.
    const back = restore(granted, limits, 15, 1500, T0, "UTC", granted.day.key);
    expect(remaining(back, limits, T0, "UTC")).toMatchObject({ rpm: 995, rpd: 9995, tpm: 99_500 });
    // A credit counted yesterday gives back its per-minute share only: today's count is not yesterday's.
    const stale = restore(granted, limits, 15, 1500, T0, "UTC", "2026-11-26");
    expect(remaining(stale, limits, T0, "UTC")).toMatchObject({ rpm: 995, rpd: 9980 });
  });

  it("closes a lease granted before midnight against its own day, not the new one", () => {
    const limits = { rpd: 3, tpd: 1000 };
    const lastSecond = Date.UTC(2026, 10, 27, 23, 59, 59, 500);
    const lease = `${lastSecond.toString(36)}.0`;
    const first = admit(emptyLimiter(), limits, 100, lease, false, lastSecond, "UTC");
    if (!first.ok) throw new Error("refused");
    const { state: today } = admitMany(limits, 3, 100, Date.UTC(2026, 10, 28, 0, 0, 1));
    const after = Date.UTC(2026, 10, 28, 0, 0, 2);
    const merged = { ...today, day: { ...today.day } };
    // Released unused after midnight: yesterday's request does not free one of today's three.
    const released = close(merged, limits, lease, 100, null, after, "UTC");
    expect(remaining(released, limits, after, "UTC")).toMatchObject({ rpd: 0, tpd: 700 });
    // Reported with less usage than reserved: today's tokens stay as counted.
    expect(remaining(close(merged, limits, lease, 100, 10, after, "UTC"), limits, after, "UTC")).toMatchObject({ tpd: 700 });
    // An admission spent from credit names its credit's day.
    expect(leaseDay("credit:2026-11-27:ab.1", "UTC")).toBe("2026-11-27");
    expect(remaining(close(merged, limits, "credit:2026-11-27:ab.1", 100, null, after, "UTC"), limits, after, "UTC")).toMatchObject({ rpd: 0 });
    expect(remaining(close(merged, limits, "credit:2026-11-28:ab.2", 100, null, after, "UTC"), limits, after, "UTC")).toMatchObject({ rpd: 1 });
  });
});

describe("a rolling day (an allowance that comes back continuously, as Groq's does)", () => {
  const ROLL = { timeZone: "UTC", rolling: true };
  const DAY = 86_400_000;
  const limits = { rpd: 1000 };

  function spendAll(days: Days, at: number): LimiterState {
    let s = emptyLimiter();
    for (let i = 0; i < 1000; i++) {
      const a = admit(s, limits, 0, `l${i}`, false, at, days);
      if (!a.ok) throw new Error(`refused at ${i}`);
      s = a.state;
    }
    return s;
  }

  it("gives a day's allowance back over 24 hours, not at midnight", () => {
    const evening = Date.UTC(2026, 10, 27, 23, 0, 0);
    const rolling = spendAll(ROLL, evening);
    // One request's share (86.4 s for 1,000 a day) comes back, and that is when the refusal says to return.
    expect(admit(rolling, limits, 0, "x", false, evening, ROLL)).toMatchObject({ ok: false, reason: "rpd", retryAt: evening + DAY / 1000 });
    const back = admit(rolling, limits, 0, "x", false, evening + DAY / 1000, ROLL);
    expect(back.ok).toBe(true);
    if (back.ok) expect(admit(back.state, limits, 0, "y", false, evening + DAY / 1000, ROLL).ok).toBe(false);
    // Midnight brings back only what an hour refills; six hours after it, a quarter of the day is back.
    const afterMidnight = Date.UTC(2026, 10, 28, 0, 0, 1);
    expect(remaining(rolling, limits, afterMidnight, ROLL).rpd).toBe(41);
    expect(remaining(rolling, limits, evening + DAY / 4, ROLL).rpd).toBe(250);
    expect(remaining(rolling, limits, evening + DAY, ROLL).rpd).toBe(1000);
    // A calendar day refuses until midnight and is whole after it.
    const calendar = spendAll("UTC", evening);
    expect(admit(calendar, limits, 0, "x", false, evening + DAY / 1000, "UTC")).toMatchObject({ ok: false, retryAt: Date.UTC(2026, 10, 28) });
    expect(remaining(calendar, limits, afterMidnight, "UTC").rpd).toBe(1000);
  });

  it("takes back an unused request whenever it was admitted, and is never scarce for want of pace", () => {
    const evening = Date.UTC(2026, 10, 27, 23, 59, 0);
    const lease = `${evening.toString(36)}.0`;
    const a = admit(emptyLimiter(), limits, 0, lease, false, evening, ROLL);
    if (!a.ok) throw new Error("refused");
    const later = Date.UTC(2026, 10, 28, 0, 0, 30);
    // Admitted before midnight, released after it: the rolling day still holds it, so it is given back.
    expect(close(a.state, limits, lease, 0, null, later, ROLL).day.requests).toBe(0);
    // 600 of 1,000 used in the first hour would be a pace to run dry on a calendar day; a rolling one refills.
    const morning = Date.UTC(2026, 10, 27, 1, 0, 0);
    const used = (days: Days): LimiterState => {
      let s = emptyLimiter();
      for (let i = 0; i < 600; i++) s = (admit(s, limits, 0, `m${i}`, false, morning, days) as { state: LimiterState }).state;
      return s;
    };
    expect(headroom(used(ROLL), limits, morning, ROLL).pace).toBe(1);
    expect(headroom(used("UTC"), limits, morning, "UTC").pace).toBeLessThan(1);
  });

  it("keeps the priority reserve for high-priority keys, and paces nothing else", () => {
    const t = Date.UTC(2026, 10, 27, 1, 0, 0);
    const pacing = { paced: true, reserve: 0.1, slack: 0.1, high: false };
    let s = emptyLimiter();
    let normal = 0;
    for (let i = 0; i < 1000; i++) {
      const a = admit(s, limits, 0, `n${i}`, false, t, ROLL, pacing);
      if (!a.ok) {
        expect(a).toMatchObject({ reason: "paced", retryAt: t + DAY / 1000 });
        break;
      }
      s = a.state;
      normal++;
    }
    // No pace curve: 900 go at once (a calendar day's curve would allow ~140 an hour into the day); the last 100 wait for high priority.
    expect(normal).toBe(900);
    expect(admit(s, limits, 0, "h", false, t, ROLL, { ...pacing, high: true }).ok).toBe(true);
  });
});
