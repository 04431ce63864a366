// The dashboard's pure helpers: formatting, sorting, filling time series, joining the models table's rows.

import { describe, expect, it } from "vitest";
import { count, duration, limitsLine, ms, percent, usd } from "../../dashboard/src/format.ts";
import { clockOffset, headroom, measured, modelRows, tightest } from "../../dashboard/src/rows.ts";
import { priorSnapshot } from "../../objects/score.ts";
import { minuteSlots, perSlot } from "../../dashboard/src/series.ts";
import { matches, sortRows } from "../../dashboard/src/sort.ts";
import type { Breakdown, RoutingStatus, StatusModel } from "../../dashboard/src/types.ts";

describe("formatting", () => {
  it("shows counts, shares, durations and money the way the tables do", () => {
    expect(count(1234)).toBe("1,234");
    expect(count(250_000)).toBe("250.0k");
    expect(count(3_400_000)).toBe("3.40M");
    expect(count(null)).toBe("—");
    expect(percent(0.98765)).toBe("98.8 %");
    expect(ms(840)).toBe("840 ms");
    expect(ms(1530)).toBe("1.53 s");
    expect(duration(29_001)).toBe("30 s");
    expect(duration(185_000)).toBe("3 min 05 s");
    expect(duration(7_800_000)).toBe("2 h 10 min");
    expect(usd(0)).toBe("$0");
    expect(usd(0.00123)).toBe("$0.0012");
    expect(usd(12.5)).toBe("$12.50");
    expect(limitsLine({ rpm: 30, rpd: 14_400 })).toBe("rpm 30 · rpd 14,400");
    expect(limitsLine({})).toBe("none");
  });
});

describe("sorting and filtering", () => {
  const rows = [
    { id: "b", v: 2 },
    { id: "a", v: null },
    { id: "c", v: 1 },
  ];
  it("sorts both ways and keeps missing values last", () => {
    expect(sortRows(rows, (r) => r.v, "ascending").map((r) => r.id)).toEqual(["c", "b", "a"]);
    expect(sortRows(rows, (r) => r.v, "descending").map((r) => r.id)).toEqual(["b", "c", "a"]);
    expect(sortRows(rows, (r) => r.id, "descending").map((r) => r.id)).toEqual(["c", "b", "a"]);
  });
  it("matches every word of the query, in any case", () => {
    expect(matches("groq/llama-3.3-70b Groq Ready", "GROQ ready")).toBe(true);
    expect(matches("groq/llama-3.3-70b Groq Ready", "groq cooling")).toBe(false);
    expect(matches("anything", "  ")).toBe(true);
  });
});

describe("time series", () => {
  it("gives every minute of the window a value, the missing ones a placeholder", () => {
    const now = 10 * 60_000 + 5_000;
    const slots = minuteSlots(now, 3);
    expect(slots).toEqual([8 * 60_000, 9 * 60_000, 10 * 60_000]);
    expect(perSlot(slots, [{ start: 9 * 60_000, n: 4 }], (r) => r.n, null)).toEqual([null, 4, null]);
  });
});

describe("the models table's rows", () => {
  const model = (over: Partial<StatusModel>): StatusModel => ({
    id: "p/m",
    kind: "chat",
    configured: true,
    healthy: true,
    state: "ready",
    cooldown_until: null,
    cooldown_reason: null,
    remaining: { rpm: 30, rpd: 100 },
    limits: { rpm: 30, rpd: 1000 },
    daily_reset_at: "2026-11-28T00:00:00.000Z",
    success_rate: 1,
    latency_ms: 120,
    ttft_ms: 40,
    consecutive_failures: 0,
    last_error: null,
    ...over,
  });

  it("takes the tightest limit as headroom, and names it", () => {
    expect(headroom({ rpm: 30, rpd: 1000 }, { rpm: 30, rpd: 100 })).toBeCloseTo(0.1);
    expect(headroom({}, {})).toBeNull();
    expect(tightest({ rpm: 30, rpd: 1000 }, { rpm: 0, rpd: 999 })).toEqual({ dim: "rpm", left: 0, cap: 30 });
    expect(tightest({}, {})).toBeNull();
  });

  it("shows no speed for a model no request has reached (its numbers are the router's prior)", () => {
    const p = priorSnapshot(0);
    const untouched = { latency_ms: Math.round(p.latencyMs), ttft_ms: Math.round(p.ttftMs), success_rate: Math.round(p.success * 1000) / 1000, consecutive_failures: 0 };
    expect(measured(untouched)).toBe(false);
    expect(measured({ ...untouched, latency_ms: 1499 })).toBe(true);
    const status: RoutingStatus = { generated_at: new Date(0).toISOString(), providers: [{ id: "p", name: "P", configured: true, custom: false, pools: [], models: [model(untouched)] }] };
    expect(modelRows(status, 0, null, null)[0]).toMatchObject({ latencyMs: null, ttftMs: null, successRate: null, requests: null });
  });

  it("moves server times onto this browser's clock and joins forecasts and traffic", () => {
    const status: RoutingStatus = {
      generated_at: new Date(1_000_000).toISOString(),
      providers: [
        {
          id: "p",
          name: "P",
          configured: true,
          custom: false,
          pools: [],
          models: [model({ state: "cooling_down", cooldown_until: new Date(1_030_000).toISOString(), cooldown_reason: "throttle" })],
        },
      ],
    };
    const offset = clockOffset(status.generated_at, 1_005_000);
    expect(offset).toBe(5000);
    const forecast = [
      { id: "p/m", kind: "model" as const, limit: "rpd" as const, capacity: 1000, remaining: 100, burnRate: 1, exhaustedAt: 2_000_000, resetAt: 9_000_000, lastsUntilReset: false },
    ];
    const traffic: Breakdown[] = [
      { id: "p/m", provider: "p", requests: 7, succeeded: 7, successRate: 1, throttled: 0, errors: 0, failoversIn: 0, failoversOut: 0, latencyP50: 1, latencyP95: 1, ttftP50: null, ttftP95: null, tokensIn: 1, tokensOut: 1, moneySaved: 0 },
    ];
    const [row] = modelRows(status, offset, forecast, traffic);
    expect(row).toMatchObject({ id: "p/m", state: "cooling_down", cooldownUntil: 1_035_000, cooldownReason: "throttle", exhaustsAt: 2_005_000, lasts: false, requests: 7, enabled: true });
    expect(row?.headroom).toBeCloseTo(0.1);
  });
});
