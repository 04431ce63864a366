// Latency and time-to-first-token percentiles per time bucket, for the dashboard's charts (issue 6). The minute
// rollups keep only sums, so the percentiles come from the request log itself: its latest answered requests in
// the range (a sample, flagged as such, when the range holds more than one page).

import { addTo, type Histogram, quantile, type RequestRecord } from "../../shared/analytics.ts";

export interface LatencyBucket {
  start: number;
  /** answered requests in the bucket (of the sample) */
  answered: number;
  latencyP50: number | null;
  latencyP95: number | null;
  ttftP50: number | null;
  ttftP95: number | null;
}

/** Buckets of `bucketMs` with at least one answered request, oldest first. */
export function latencyBuckets(records: readonly RequestRecord[], bucketMs: number): LatencyBucket[] {
  const byStart = new Map<number, { answered: number; latency: Histogram; ttft: Histogram }>();
  for (const r of records) {
    // As in the rollups: only requests a model answered have a latency worth charting.
    if (r.model === null) continue;
    const start = Math.floor(r.ts / bucketMs) * bucketMs;
    let b = byStart.get(start);
    if (!b) byStart.set(start, (b = { answered: 0, latency: {}, ttft: {} }));
    b.answered++;
    addTo(b.latency, r.latencyMs);
    if (r.ttftMs !== null) addTo(b.ttft, r.ttftMs);
  }
  return [...byStart.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([start, b]) => ({
      start,
      answered: b.answered,
      latencyP50: quantile(b.latency, 0.5),
      latencyP95: quantile(b.latency, 0.95),
      ttftP50: quantile(b.ttft, 0.5),
      ttftP95: quantile(b.ttft, 0.95),
    }));
}
