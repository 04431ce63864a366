// Free-tier limit counters: a sliding 60-second window and a UTC-day tally per model or pool.

import type { Limits } from "../../shared/catalog/types.ts";
import { utcDayStart } from "./util.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One counted allowance: a model (`groq/llama-3.1-8b-instant`) or an account pool (`openrouter:free`). */
export interface Bucket {
  key: string;
  limits: Limits;
  pool: boolean;
}

export interface Window {
  limit: number;
  used: number;
  remaining: number;
  /** ms until the window is back to its initial state */
  resetMs: number;
}

export interface Snapshot {
  rpm?: Window;
  rpd?: Window;
  tpm?: Window;
  tpd?: Window;
}

export interface Violation {
  key: string;
  pool: boolean;
  scope: "minute" | "day";
  metric: "requests" | "tokens" | "concurrency";
  limit: number;
  used: number;
  requested: number;
  retryAfterMs: number;
  /** one request alone is over the per-minute token limit: waiting will not help */
  tooLarge: boolean;
}

interface Event {
  t: number;
  tokens: number;
}

interface DayTally {
  start: number;
  requests: number;
  tokens: number;
}

export class LimitCounters {
  private readonly minute = new Map<string, Event[]>();
  private readonly day = new Map<string, DayTally>();
  private readonly inflight = new Map<string, number>();

  clear(): void {
    this.minute.clear();
    this.day.clear();
    this.inflight.clear();
  }

  /** The first limit this request would break; day limits first, since they outlast any retry. */
  check(buckets: readonly Bucket[], tokens: number, now: number): Violation | undefined {
    for (const b of buckets) {
      const v = this.checkOne(b, tokens, now);
      if (v) return v;
    }
    return undefined;
  }

  commit(buckets: readonly Bucket[], tokens: number, now: number): void {
    for (const b of buckets) {
      this.events(b.key, now).push({ t: now, tokens });
      const d = this.tally(b.key, now);
      d.requests += 1;
      d.tokens += tokens;
    }
  }

  /** Counts a request in flight; the returned function ends it (idempotent). */
  acquire(buckets: readonly Bucket[]): () => void {
    for (const b of buckets) this.inflight.set(b.key, (this.inflight.get(b.key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const b of buckets) this.inflight.set(b.key, Math.max(0, (this.inflight.get(b.key) ?? 1) - 1));
    };
  }

  snapshot(b: Bucket, now: number): Snapshot {
    const out: Snapshot = {};
    const events = this.events(b.key, now);
    const last = events[events.length - 1];
    const minuteReset = last ? last.t + MINUTE_MS - now : 0;
    const d = this.tally(b.key, now);
    const dayReset = d.start + DAY_MS - now;
    const { rpm, rpd, tpm, tpd } = b.limits;
    if (rpm !== undefined) out.rpm = window(rpm, events.length, minuteReset);
    if (tpm !== undefined) out.tpm = window(tpm, sum(events), minuteReset);
    if (rpd !== undefined) out.rpd = window(rpd, d.requests, dayReset);
    if (tpd !== undefined) out.tpd = window(tpd, d.tokens, dayReset);
    return out;
  }

  private checkOne(b: Bucket, tokens: number, now: number): Violation | undefined {
    const { rpm, rpd, tpm, tpd, concurrency } = b.limits;
    const base = { key: b.key, pool: b.pool, tooLarge: false };
    const d = this.tally(b.key, now);
    const untilMidnight = d.start + DAY_MS - now;
    if (rpd !== undefined && d.requests + 1 > rpd) {
      return { ...base, scope: "day", metric: "requests", limit: rpd, used: d.requests, requested: 1, retryAfterMs: untilMidnight };
    }
    if (tpd !== undefined && d.tokens + tokens > tpd) {
      return { ...base, scope: "day", metric: "tokens", limit: tpd, used: d.tokens, requested: tokens, retryAfterMs: untilMidnight };
    }
    const events = this.events(b.key, now);
    if (rpm !== undefined && events.length + 1 > rpm) {
      const freeing = events[Math.max(0, events.length - rpm)];
      const retryAfterMs = freeing ? freeing.t + MINUTE_MS - now : MINUTE_MS;
      return { ...base, scope: "minute", metric: "requests", limit: rpm, used: events.length, requested: 1, retryAfterMs };
    }
    if (tpm !== undefined) {
      const used = sum(events);
      if (tokens > tpm) {
        return { ...base, scope: "minute", metric: "tokens", limit: tpm, used, requested: tokens, retryAfterMs: 0, tooLarge: true };
      }
      if (used + tokens > tpm) {
        // Wait until enough of the oldest usage leaves the window.
        let left = used;
        let retryAfterMs = MINUTE_MS;
        for (const e of events) {
          left -= e.tokens;
          if (left + tokens <= tpm) {
            retryAfterMs = e.t + MINUTE_MS - now;
            break;
          }
        }
        return { ...base, scope: "minute", metric: "tokens", limit: tpm, used, requested: tokens, retryAfterMs };
      }
    }
    const inflight = this.inflight.get(b.key) ?? 0;
    if (concurrency !== undefined && inflight + 1 > concurrency) {
      return { ...base, scope: "minute", metric: "concurrency", limit: concurrency, used: inflight, requested: 1, retryAfterMs: 1000 };
    }
    return undefined;
  }

  private events(key: string, now: number): Event[] {
    const list = this.minute.get(key) ?? [];
    let drop = 0;
    while (drop < list.length && (list[drop]?.t ?? now) <= now - MINUTE_MS) drop++;
    const kept = drop > 0 ? list.slice(drop) : list;
    this.minute.set(key, kept);
    return kept;
  }

  private tally(key: string, now: number): DayTally {
    const start = utcDayStart(now);
    let d = this.day.get(key);
    if (!d || d.start < start) {
      d = { start, requests: 0, tokens: 0 };
      this.day.set(key, d);
    }
    return d;
  }
}

function window(limit: number, used: number, resetMs: number): Window {
  return { limit, used, remaining: Math.max(0, limit - used), resetMs: Math.max(0, resetMs) };
}

function sum(events: readonly Event[]): number {
  let n = 0;
  for (const e of events) n += e.tokens;
  return n;
}
