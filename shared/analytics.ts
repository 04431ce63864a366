// What the gateway records about each request (metadata only: never prompts, answers or keys) and the
// aggregates the analytics API returns.

export type Route = "chat" | "embeddings" | "responses";

/** One attempt within a request: which model, and how it ended ("ok" or a failure class). */
export interface AttemptRecord {
  model: string;
  provider: string;
  outcome: string;
}

export interface RequestRecord {
  /** request id (x-request-id) */
  id: string;
  /** when it arrived, ms since epoch */
  ts: number;
  /** gateway key id (never the key); null for anonymous callers */
  key: string | null;
  route: Route;
  /** the `model` the caller asked for */
  requested: string;
  /** the model that answered, if any */
  model: string | null;
  provider: string | null;
  /** the HTTP status the caller got */
  status: number;
  /** error class or code when it did not succeed */
  error: string | null;
  attempts: AttemptRecord[];
  latencyMs: number;
  ttftMs: number | null;
  tokensIn: number;
  tokensOut: number;
  streamed: boolean;
}

/**
 * A logged record as the day ledger stores it and isolates send it (as JSON: smaller and quicker to pass than
 * objects). One array, its fields in this order: id, ts, key, route, requested, model, provider, status, error,
 * attempts, latency ms, time to first token ms, tokens in, tokens out, streamed as 0 or 1.
 */
export type StoredRecord = [
  id: string,
  ts: number,
  key: string | null,
  route: Route,
  requested: string,
  model: string | null,
  provider: string | null,
  status: number,
  error: string | null,
  attempts: AttemptRecord[],
  latency: number,
  ttft: number | null,
  tokensIn: number,
  tokensOut: number,
  streamed: 0 | 1,
];

export function stored(r: RequestRecord): StoredRecord {
  const ttft = r.ttftMs === null ? null : Math.round(r.ttftMs);
  return [r.id, r.ts, r.key, r.route, r.requested, r.model, r.provider, r.status, r.error, r.attempts, Math.round(r.latencyMs), ttft, r.tokensIn, r.tokensOut, r.streamed ? 1 : 0];
}

export function unstored(s: StoredRecord): RequestRecord {
  const [id, ts, key, route, requested, model, provider, status, error, attempts, latencyMs, ttftMs, tokensIn, tokensOut, streamed] = s;
  return { id, ts, key, route, requested, model, provider, status, error, attempts, latencyMs, ttftMs, tokensIn, tokensOut, streamed: streamed === 1 };
}

/** Latency histogram: bucket upper bounds grow by 25 %, from 1 ms to ~10 minutes. */
export const LATENCY_BUCKETS: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = 1; b < 600_000; b = Math.ceil(b * 1.25)) out.push(b);
  out.push(Infinity);
  return out;
})();

export function bucketOf(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BUCKETS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= (LATENCY_BUCKETS[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A sparse histogram: bucket index → count. */
export type Histogram = Record<number, number>;

export function addTo(h: Histogram, ms: number, n = 1): void {
  const b = bucketOf(ms);
  h[b] = (h[b] ?? 0) + n;
}

export function merge(into: Histogram, from: Histogram): Histogram {
  for (const [b, n] of Object.entries(from)) into[Number(b)] = (into[Number(b)] ?? 0) + n;
  return into;
}

/** The q-quantile (0..1) as the upper bound of the bucket it falls in (at most 25 % above the true value). */
export function quantile(h: Histogram, q: number): number | null {
  const entries = Object.entries(h)
    .map(([b, n]) => [Number(b), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const [b, n] of entries) {
    seen += n;
    if (seen >= q * total) {
      const bound = LATENCY_BUCKETS[b] as number;
      return Number.isFinite(bound) ? bound : (LATENCY_BUCKETS[b - 1] as number);
    }
  }
  return null;
}

/** The counters every rollup keeps (per request log record, summed per minute, hour, model or provider). */
export interface Counters {
  requests: number;
  succeeded: number;
  /** requests whose answer came from this model after another failed first */
  failoversIn: number;
  /** attempts at this model that failed and were passed on to another */
  failoversOut: number;
  throttled: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
}

/** Per model (or provider) over a time range. */
export interface Aggregate extends Counters {
  latency: Histogram;
  ttft: Histogram;
}

export function emptyAggregate(): Aggregate {
  return { requests: 0, succeeded: 0, failoversIn: 0, failoversOut: 0, throttled: 0, errors: 0, tokensIn: 0, tokensOut: 0, latency: {}, ttft: {} };
}

export function mergeAggregate(into: Aggregate, from: Aggregate): Aggregate {
  into.requests += from.requests;
  into.succeeded += from.succeeded;
  into.failoversIn += from.failoversIn;
  into.failoversOut += from.failoversOut;
  into.throttled += from.throttled;
  into.errors += from.errors;
  into.tokensIn += from.tokensIn;
  into.tokensOut += from.tokensOut;
  merge(into.latency, from.latency);
  merge(into.ttft, from.ttft);
  return into;
}
