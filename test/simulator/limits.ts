// Free-tier limit counters: a sliding 60-second window and a daily tally per model or pool. The day is a UTC
// calendar day, or a rolling one for providers whose allowance comes back continuously (Groq).

import type { Limits } from "../../shared/catalog/types.ts";
import { utcDayStart } from "./util.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One counted allowance: a model (`groq/llama-3.1-8b-instant`) or an account pool (`openrouter:free`). */
export interface Bucket {
  key: string;
  limits: Limits;
  pool: boolean;
  /** the daily allowance comes back continuously, a day's worth over 24 hours, instead of at UTC midnight */
  rolling?: boolean;
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
  /** a calendar day's start, or when a rolling day's counts were last drained */
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
      const d = this.tally(b, now);
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
    const d = this.tally(b, now);
    const { rpm, rpd, tpm, tpd } = b.limits;
    // A rolling day is whole again once what it counts has drained.
    const drained = (used: number, cap: number): number => Math.ceil((used * DAY_MS) / cap);
    const dayReset = (used: number, cap: number): number => (b.rolling ? drained(used, cap) : d.start + DAY_MS - now);
    if (rpm !== undefined) out.rpm = window(rpm, events.length, minuteReset);
    if (tpm !== undefined) out.tpm = window(tpm, sum(events), minuteReset);
    if (rpd !== undefined) out.rpd = window(rpd, Math.ceil(d.requests), dayReset(d.requests, rpd));
    if (tpd !== undefined) out.tpd = window(tpd, Math.ceil(d.tokens), dayReset(d.tokens, tpd));
    return out;
  }

  private checkOne(b: Bucket, tokens: number, now: number): Violation | undefined {
    const { rpm, rpd, tpm, tpd, concurrency } = b.limits;
    const base = { key: b.key, pool: b.pool, tooLarge: false };
    const d = this.tally(b, now);
    // When `requested` more fits: UTC midnight, or for a rolling day once enough has drained.
    const dayRoom = (used: number, requested: number, cap: number): number =>
      b.rolling ? Math.ceil(((used + requested - cap) * DAY_MS) / cap) : d.start + DAY_MS - now;
    if (rpd !== undefined && d.requests + 1 > rpd + 1e-9) {
      return { ...base, scope: "day", metric: "requests", limit: rpd, used: Math.ceil(d.requests), requested: 1, retryAfterMs: dayRoom(d.requests, 1, rpd) };
    }
    if (tpd !== undefined && d.tokens + tokens > tpd + 1e-9) {
      return { ...base, scope: "day", metric: "tokens", limit: tpd, used: Math.ceil(d.tokens), requested: tokens, retryAfterMs: dayRoom(d.tokens, tokens, tpd) };
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

  private tally(b: Bucket, now: number): DayTally {
    let d = this.day.get(b.key);
    if (b.rolling) {
      // Drained continuously: a day's allowance per 24 hours.
      if (!d) this.day.set(b.key, (d = { start: now, requests: 0, tokens: 0 }));
      const elapsed = Math.max(0, now - d.start);
      const drain = (used: number, cap: number | undefined): number => (cap === undefined ? 0 : Math.max(0, used - (cap * elapsed) / DAY_MS));
      d.requests = drain(d.requests, b.limits.rpd);
      d.tokens = drain(d.tokens, b.limits.tpd);
      d.start = Math.max(d.start, now);
      return d;
    }
    const start = utcDayStart(now);
    if (!d || d.start < start) {
      d = { start, requests: 0, tokens: 0 };
      this.day.set(b.key, d);
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
