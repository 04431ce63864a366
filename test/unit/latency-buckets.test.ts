import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../../shared/analytics.ts";
import { latencyBuckets } from "../../worker/admin/latency.ts";

const MIN = 60_000;

function rec(ts: number, latencyMs: number, ttftMs: number | null, model: string | null = "p/m"): RequestRecord {
  return { id: `r${ts}`, ts, key: null, route: "chat", requested: "auto", model, provider: model ? "p" : null, status: model ? 200 : 503, error: null, attempts: [], latencyMs, ttftMs, tokensIn: 1, tokensOut: 1, streamed: ttftMs !== null };
}

describe("latency percentiles per bucket", () => {
  it("puts each answered request in its minute and reports p50 / p95 of latency and time to first token", () => {
    const t0 = 100 * MIN;
    const records = [
      ...Array.from({ length: 19 }, (_, i) => rec(t0 + i * 1000, 100, 20)),
      rec(t0 + 30_000, 2000, 900),
      rec(t0 + MIN + 5, 50, null),
    ];
    const b = latencyBuckets(records.reverse(), MIN);
    expect(b.map((x) => x.start)).toEqual([t0, t0 + MIN]);
    expect(b[0]).toMatchObject({ answered: 20 });
    // Histogram buckets are at most 25 % above the true value.
    expect(b[0]?.latencyP50).toBeGreaterThanOrEqual(100);
    expect(b[0]?.latencyP50).toBeLessThanOrEqual(125);
    expect(b[0]?.latencyP95).toBeLessThanOrEqual(125);
    expect(b[0]?.ttftP50).toBeGreaterThanOrEqual(20);
    expect(b[0]?.ttftP50).toBeLessThanOrEqual(25);
    expect(b[1]).toMatchObject({ answered: 1, ttftP50: null, ttftP95: null });
  });

  it("leaves out requests no model answered, as the rollups do", () => {
    expect(latencyBuckets([rec(0, 5000, null, null)], MIN)).toEqual([]);
  });

  it("groups by wider buckets", () => {
    const b = latencyBuckets([rec(0, 10, 5), rec(4 * MIN, 10, 5), rec(5 * MIN, 10, 5)], 5 * MIN);
    expect(b.map((x) => [x.start, x.answered])).toEqual([
      [0, 2],
      [5 * MIN, 1],
    ]);
  });
});
