// Analytics over the request log: summaries per provider or model, time series, the log itself, and a
// forecast of when each daily allowance runs out at the current rate. Read from the day ledgers (and, for the
// forecast, the actors' live counters); used by the admin API and GET /v1/analytics.

import type { ActorStatus } from "../shared/actors.ts";
import { type Aggregate, emptyAggregate, mergeAggregate, quantile, type RequestRecord } from "../shared/analytics.ts";
import type { Catalog } from "../shared/catalog/index.ts";
import { moneySaved } from "../shared/catalog/prices.ts";
import { type AggregateRow, type LogFilter, type MinuteRow, NO_MODEL, type SeriesRow } from "../objects/request-ledger.ts";
import type { Env } from "./env.ts";
import { ledgerName } from "./ledger.ts";

const DAY = 86_400_000;

/** The most day ledgers one query reads: the latest of a longer range. */
const MAX_DAYS = 400;

/** The day ledgers that cover [since, until), at most the last MAX_DAYS of them. */
export function ledgersFor(since: number, until: number): string[] {
  const names: string[] = [];
  const first = Math.max(Math.floor(since / DAY), Math.ceil(until / DAY) - MAX_DAYS) * DAY;
  for (let t = first; t < until; t += DAY) names.push(ledgerName(t));
  return names;
}

export interface Breakdown {
  /** model id or provider id ("" for requests no model answered) */
  id: string;
  provider: string;
  requests: number;
  succeeded: number;
  successRate: number | null;
  throttled: number;
  errors: number;
  failoversIn: number;
  failoversOut: number;
  latencyP50: number | null;
  latencyP95: number | null;
  ttftP50: number | null;
  ttftP95: number | null;
  tokensIn: number;
  tokensOut: number;
  /** USD the same tokens would have cost at the catalog's reference prices */
  moneySaved: number;
}

export interface Summary {
  since: number;
  until: number;
  totals: Breakdown;
  groups: Breakdown[];
}

function breakdown(id: string, provider: string, a: Aggregate, saved: number): Breakdown {
  const attempts = a.succeeded + a.errors;
  return {
    id,
    provider,
    requests: a.requests,
    succeeded: a.succeeded,
    successRate: attempts > 0 ? a.succeeded / attempts : null,
    throttled: a.throttled,
    errors: a.errors,
    failoversIn: a.failoversIn,
    failoversOut: a.failoversOut,
    latencyP50: quantile(a.latency, 0.5),
    latencyP95: quantile(a.latency, 0.95),
    ttftP50: quantile(a.ttft, 0.5),
    ttftP95: quantile(a.ttft, 0.95),
    tokensIn: a.tokensIn,
    tokensOut: a.tokensOut,
    moneySaved: Math.round(saved * 1e6) / 1e6,
  };
}

/** Each day ledger's per-model aggregates over the range, read in parallel. */
export function aggregates(env: Env, since: number, until: number): Promise<AggregateRow[][]> {
  return Promise.all(ledgersFor(since, until).map((n) => env.REQUEST_LEDGER.getByName(n).aggregate(since, until)));
}

/**
 * The summary of a range, from hourly rollups: the hours `since` and `until` fall in count whole, and the range
 * it gives back says so (whole hours; an end past now stays as asked).
 */
export async function summary(env: Env, catalog: Catalog, since: number, until: number, by: "model" | "provider"): Promise<Summary> {
  const hour = 3_600_000;
  const end = until > Date.now() ? until : Math.ceil(until / hour) * hour;
  return summarize(await aggregates(env, since, until), catalog, Math.floor(since / hour) * hour, end, by);
}

/** The summary of aggregates already read (one read can be summarised both by model and by provider). */
export function summarize(parts: readonly AggregateRow[][], catalog: Catalog, since: number, until: number, by: "model" | "provider"): Summary {
  const groups = new Map<string, { provider: string; agg: Aggregate; saved: number }>();
  const total = emptyAggregate();
  let totalSaved = 0;
  for (const rows of parts) {
    for (const r of rows) {
      const model = r.model === NO_MODEL ? undefined : catalog.model(r.model);
      const saved = model ? moneySaved(model, r.tokensIn, r.tokensOut) : 0;
      const key = by === "model" ? r.model : r.provider;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { provider: r.provider, agg: emptyAggregate(), saved: 0 }));
      mergeAggregate(g.agg, r);
      g.saved += saved;
      mergeAggregate(total, r);
      totalSaved += saved;
    }
  }
  // Each request is counted once, under the model that answered it (or none); a request that failed is an
  // error once, whatever its attempts did on the way.
  total.errors = total.requests - total.succeeded;
  return {
    since,
    until,
    totals: breakdown("", "", total, totalSaved),
    groups: [...groups.entries()].map(([id, g]) => breakdown(id, g.provider, g.agg, g.saved)).sort((a, b) => b.requests - a.requests),
  };
}

export interface Bucket {
  start: number;
  requests: number;
  succeeded: number;
  /** requests that failed (each once, whatever its attempts did), as the summary's totals count them */
  errors: number;
  /**
   * attempts that failed on the way, answered or not (a failover's first attempt, each model an unanswered request
   * tried), throttles apart (`throttled`)
   */
  failedAttempts: number;
  throttled: number;
  failovers: number;
  tokensIn: number;
  tokensOut: number;
  /** mean latency of the requests that succeeded, ms */
  latencyMean: number | null;
}

/** Requests per time bucket (default one minute), optionally for one model or provider. */
export async function timeseries(env: Env, since: number, until: number, bucketMinutes: number, filter: { model?: string; provider?: string } = {}): Promise<Bucket[]> {
  const from = Math.floor(since / 60_000) * 60_000; // the minute `since` falls in counts whole
  const width = Math.max(1, bucketMinutes) * 60_000;
  // Each day ledger sums its own minutes into buckets (a week of minute rows is far too many to ship); a bucket
  // that spans midnight comes in parts from two ledgers and is added up here.
  const parts = await Promise.all(ledgersFor(from, until).map((n) => env.REQUEST_LEDGER.getByName(n).series(from, until, width, filter)));
  return addUpBuckets(parts.flat());
}

/** Rows of the same bucket start added up, in time order, with each bucket's mean latency of answered requests. */
export function addUpBuckets(rows: Iterable<SeriesRow>): Bucket[] {
  const buckets = new Map<number, Bucket & { latencySum: number }>();
  for (const r of rows) {
    let b = buckets.get(r.start);
    if (!b) buckets.set(r.start, (b = { start: r.start, requests: 0, succeeded: 0, errors: 0, failedAttempts: 0, throttled: 0, failovers: 0, tokensIn: 0, tokensOut: 0, latencyMean: null, latencySum: 0 }));
    b.requests += r.requests;
    b.succeeded += r.succeeded;
    // The rows' errors are per model: a request's failed attempts and, under the model that answered (or none),
    // the request itself if it failed. Split into the two.
    b.failedAttempts += r.errors - (r.requests - r.succeeded);
    b.throttled += r.throttled;
    b.failovers += r.failoversIn;
    b.tokensIn += r.tokensIn;
    b.tokensOut += r.tokensOut;
    b.latencySum += r.latencySum;
  }
  return [...buckets.values()]
    .sort((a, b) => a.start - b.start)
    .map(({ latencySum, ...b }) => ({ ...b, errors: b.requests - b.succeeded, latencyMean: b.succeeded > 0 ? Math.round(latencySum / b.succeeded) : null }));
}

/** The request log, newest first, across days; `before` pages backwards. */
export async function requestLog(env: Env, f: LogFilter & { since: number; until: number }): Promise<RequestRecord[]> {
  const limit = Math.min(Math.max(1, f.limit ?? 50), 500);
  const out: RequestRecord[] = [];
  for (const name of ledgersFor(f.since, f.until).reverse()) {
    const rows = await env.REQUEST_LEDGER.getByName(name).requests({ ...f, limit: limit - out.length });
    out.push(...rows);
    if (out.length >= limit) break;
  }
  return out;
}

export interface Forecast {
  /** model id or pool id */
  id: string;
  kind: "model" | "pool";
  /** which daily allowance is forecast */
  limit: "rpd" | "tpd";
  capacity: number;
  remaining: number;
  /** per minute, over the last hour of traffic */
  burnRate: number;
  /** when it runs out at this rate (null: not burning) */
  exhaustedAt: number | null;
  resetAt: number;
  lastsUntilReset: boolean;
}

const WINDOW = 60 * 60_000;

/**
 * Requests and tokens per minute over the last hour, or since the gateway's traffic began if that is sooner
 * (`start`): a model's own first request is no start, or one request after a quiet spell would read as a flood.
 */
function burn(rows: MinuteRow[], models: ReadonlySet<string>, now: number, start: number): { requests: number; tokens: number } {
  let requests = 0;
  let tokens = 0;
  for (const r of rows) {
    if (!models.has(r.model) || r.minute < now - WINDOW) continue;
    // Every call that went there: each attempt (ok, failed, a hedge stopped, a caller gone), not a coalesced
    // follower's shared answer. Minutes logged before calls were counted: the answers and failed attempts.
    requests += r.calls ?? r.succeeded + r.throttled + r.errors;
    tokens += r.tokensIn + r.tokensOut;
  }
  const minutes = Math.max(1, (now - Math.max(start, now - WINDOW)) / 60_000);
  return { requests: requests / minutes, tokens: tokens / minutes };
}

/**
 * When the gateway's traffic began, as far as the window goes: the window's start if there was any in the day
 * before it (a minute's index lookup in each of the two ledgers).
 */
async function trafficStart(env: Env, now: number): Promise<number> {
  const from = now - 24 * WINDOW;
  const firsts = await Promise.all(ledgersFor(from, now + 1).map((n) => env.REQUEST_LEDGER.getByName(n).firstMinute(from, now + 1) as Promise<number | null>));
  const first = Math.min(...firsts.map((f) => f ?? Infinity));
  return Number.isFinite(first) ? Math.max(first, now - WINDOW) : now;
}

function project(id: string, kind: Forecast["kind"], status: ActorStatus, rate: { requests: number; tokens: number }, now: number): Forecast[] {
  const out: Forecast[] = [];
  for (const limit of ["rpd", "tpd"] as const) {
    const capacity = status.limits[limit];
    const remaining = status.remaining[limit];
    if (capacity === undefined || remaining === undefined) continue;
    const perMinute = limit === "rpd" ? rate.requests : rate.tokens;
    // A rolling day refills as it is spent: only what is used beyond its refill runs it down.
    const net = status.rolling ? perMinute - capacity / 1440 : perMinute;
    const exhaustedAt = net > 0 ? now + (remaining / net) * 60_000 : null;
    out.push({
      id,
      kind,
      limit,
      capacity,
      remaining,
      burnRate: Math.round(perMinute * 1000) / 1000,
      exhaustedAt: exhaustedAt === null ? null : Math.round(exhaustedAt),
      resetAt: status.dayResetAt,
      lastsUntilReset: exhaustedAt === null || (!status.rolling && exhaustedAt >= status.dayResetAt),
    });
  }
  return out;
}

/** Each configured model's and pool's daily allowances: burn rate and when they run out at it. */
export async function forecast(env: Env, catalog: Catalog): Promise<Forecast[]> {
  const now = Date.now();
  const [rows, start] = await Promise.all([
    Promise.all(ledgersFor(now - WINDOW, now + 1).map((n) => env.REQUEST_LEDGER.getByName(n).minutes(now - WINDOW, now + 1))).then((parts) => parts.flat()),
    trafficStart(env, now),
  ]);
  // Every configured model: a daily allowance may come from an operator override or the provider's headers, not
  // only the catalog (project() skips an actor with no daily limit in effect).
  const live = catalog.models.filter((m) => catalog.providers.get(m.provider)?.live);
  const out: Forecast[] = [];
  const statuses = await Promise.all(live.map((m) => (env.MODEL_ACTOR.getByName(m.id).status() as Promise<ActorStatus>).catch(() => null)));
  live.forEach((m, i) => {
    const s = statuses[i];
    if (s && s.id) out.push(...project(m.id, "model", s, burn(rows, new Set([m.id]), now, start), now));
  });
  for (const pool of catalog.pools.values()) {
    if (!catalog.providers.get(pool.provider)?.live) continue;
    const s = (await (env.POOL_ACTOR.getByName(pool.id).status() as Promise<ActorStatus>).catch(() => null)) ?? null;
    if (!s || !s.id) continue;
    const members = new Set(catalog.models.filter((m) => m.pool === pool.id).map((m) => m.id));
    out.push(...project(pool.id, "pool", s, burn(rows, members, now, start), now));
  }
  return out.sort((a, b) => (a.exhaustedAt ?? Infinity) - (b.exhaustedAt ?? Infinity));
}
