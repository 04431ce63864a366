// Admission against a set of limits (per-minute buckets, daily counters, concurrency): pure, no I/O.

import type { Limits } from "../shared/catalog/types.ts";
import type { Pacing, RateInfo, RefusalReason } from "../shared/actors.ts";
import { type Bucket, clampTo, debit, fullBucket, give, refill, take, waitFor } from "./bucket.ts";
import { dayKey, nextReset } from "./day.ts";
import { paceCheck, paceRatio, SCARCE_RPD } from "./pace.ts";

export interface Lease {
  at: number;
  tokens: number;
  probe: boolean;
}

export interface LimiterState {
  rpm: Bucket | null;
  tpm: Bucket | null;
  day: { key: string; requests: number; tokens: number };
  leases: Record<string, Lease>;
}

/** A request that neither reports nor releases is assumed finished after this long (a crashed isolate). */
export const LEASE_TTL_MS = 15 * 60_000;

export function emptyLimiter(): LimiterState {
  return { rpm: null, tpm: null, day: { key: "", requests: 0, tokens: 0 }, leases: {} };
}

/** Day rollover and lease expiry, applied before every decision. */
export function settle(s: LimiterState, now: number, timeZone: string): LimiterState {
  const key = dayKey(timeZone, now);
  let leases = s.leases;
  for (const [id, l] of Object.entries(s.leases)) {
    if (now - l.at > LEASE_TTL_MS) {
      if (leases === s.leases) leases = { ...s.leases };
      delete leases[id];
    }
  }
  const day = s.day.key === key ? s.day : { key, requests: 0, tokens: 0 };
  return day === s.day && leases === s.leases ? s : { ...s, day, leases };
}

export type Admission =
  | { ok: true; state: LimiterState }
  | { ok: false; reason: RefusalReason; retryAt: number };

/** Try to admit one request of `tokens` estimated tokens; on success the state holds the lease. */
export function admit(
  s0: LimiterState,
  limits: Limits,
  tokens: number,
  lease: string,
  probe: boolean,
  now: number,
  timeZone: string,
  pacing?: Pacing,
): Admission {
  const s = settle(s0, now, timeZone);
  const inflight = Object.keys(s.leases).length;
  if (limits.concurrency !== undefined && inflight >= limits.concurrency) {
    const oldest = Math.min(...Object.values(s.leases).map((l) => l.at));
    return { ok: false, reason: "concurrency", retryAt: Math.min(now + 1000, oldest + LEASE_TTL_MS) };
  }
  if (limits.tpm !== undefined && tokens > limits.tpm) return { ok: false, reason: "too_large", retryAt: Infinity };
  if (limits.tpd !== undefined && tokens > limits.tpd) return { ok: false, reason: "too_large", retryAt: Infinity };
  if (limits.rpd !== undefined && s.day.requests + 1 > limits.rpd) {
    return { ok: false, reason: "rpd", retryAt: nextReset(timeZone, now) };
  }
  if (limits.tpd !== undefined && s.day.tokens + tokens > limits.tpd) {
    return { ok: false, reason: "tpd", retryAt: nextReset(timeZone, now) };
  }
  if (pacing) {
    // Within the hard caps, but perhaps ahead of the day's pace or into the high-priority reserve.
    const r = limits.rpd !== undefined ? paceCheck(s.day.requests, 1, limits.rpd, pacing, timeZone, now) : { ok: true as const };
    if (!r.ok) return { ok: false, reason: "paced", retryAt: r.retryAt };
    const t = limits.tpd !== undefined && tokens > 0 ? paceCheck(s.day.tokens, tokens, limits.tpd, pacing, timeZone, now) : { ok: true as const };
    if (!t.ok) return { ok: false, reason: "paced", retryAt: t.retryAt };
  }
  let rpm = s.rpm;
  if (limits.rpm !== undefined) {
    const b = take(rpm ?? fullBucket(limits.rpm, now), limits.rpm, 1, now);
    if (!b) return { ok: false, reason: "rpm", retryAt: now + waitFor(rpm ?? fullBucket(limits.rpm, now), limits.rpm, 1, now) };
    rpm = b;
  }
  let tpm = s.tpm;
  if (limits.tpm !== undefined && tokens > 0) {
    const cur = tpm ?? fullBucket(limits.tpm, now);
    const b = take(cur, limits.tpm, tokens, now);
    if (!b) return { ok: false, reason: "tpm", retryAt: now + waitFor(cur, limits.tpm, tokens, now) };
    tpm = b;
  }
  return {
    ok: true,
    state: {
      rpm,
      tpm,
      day: { key: s.day.key, requests: s.day.requests + 1, tokens: s.day.tokens + tokens },
      // Only leases something waits on are kept: concurrency slots and the half-open probe.
      leases: limits.concurrency !== undefined || probe ? { ...s.leases, [lease]: { at: now, tokens, probe } } : s.leases,
    },
  };
}

/** How the Worker names an admission spent from credit (see `leaseDay`). */
export const CREDIT_LEASE_PREFIX = "credit:";

/**
 * The day a lease's admission was counted on, read from its id: an actor's lease is `<ms base 36>.<seq>` (when it
 * was granted), an admission spent from an isolate's credit is `credit:<day key>:<id>`. Null when the id says
 * neither (tests, older ids): it is then taken to be today's.
 */
export function leaseDay(lease: string, timeZone: string): string | null {
  if (lease.startsWith(CREDIT_LEASE_PREFIX)) {
    const end = lease.indexOf(":", CREDIT_LEASE_PREFIX.length);
    return end > CREDIT_LEASE_PREFIX.length ? lease.slice(CREDIT_LEASE_PREFIX.length, end) : null;
  }
  const dot = lease.indexOf(".");
  const at = dot > 0 ? Number.parseInt(lease.slice(0, dot), 36) : Number.NaN;
  return Number.isFinite(at) ? dayKey(timeZone, at) : null;
}

/**
 * Close a lease. `used` tokens replace the reservation (more or fewer); an unused lease gives the request
 * back as well, because it never reached the provider. A lease granted on an earlier day corrects only the
 * per-minute buckets: that day's counts are gone, and today's never held it.
 */
export function close(
  s0: LimiterState,
  limits: Limits,
  lease: string,
  reserved: number,
  used: number | null,
  now: number,
  timeZone: string,
): LimiterState {
  const s = settle(s0, now, timeZone);
  const leases = { ...s.leases };
  delete leases[lease];
  const day = leaseDay(lease, timeZone) ?? s.day.key;
  if (used === null) return { ...restore(s, limits, 1, reserved, now, timeZone, day), leases };
  let tpm = s.tpm;
  const delta = used - reserved;
  if (tpm && limits.tpm !== undefined) {
    tpm = delta >= 0 ? debit(tpm, limits.tpm, delta, now) : give(tpm, limits.tpm, -delta, now);
  }
  return { rpm: s.rpm, tpm, day: day === s.day.key ? { ...s.day, tokens: Math.max(0, s.day.tokens + delta) } : s.day, leases };
}

/** Limits a provider announced in its headers (they override the catalog's defaults). */
export function learnedLimits(rate: RateInfo): Limits {
  const l: Limits = {};
  if (rate.limitRequestsDay) l.rpd = rate.limitRequestsDay;
  if (rate.limitRequestsMinute) l.rpm = rate.limitRequestsMinute;
  if (rate.limitTokensMinute) l.tpm = rate.limitTokensMinute;
  if (rate.limitTokensDay) l.tpd = rate.limitTokensDay;
  return l;
}

/** Bring our counters in line with what the provider says remains: only ever downwards. */
export function applyRemaining(s0: LimiterState, limits: Limits, rate: RateInfo, now: number, timeZone: string): LimiterState {
  const s = settle(s0, now, timeZone);
  let { rpm, tpm } = s;
  const day = { ...s.day };
  if (rate.remainingRequestsMinute !== undefined && limits.rpm !== undefined) {
    rpm = clampTo(rpm ?? fullBucket(limits.rpm, now), limits.rpm, rate.remainingRequestsMinute, now);
  }
  if (rate.remainingTokensMinute !== undefined && limits.tpm !== undefined) {
    tpm = clampTo(tpm ?? fullBucket(limits.tpm, now), limits.tpm, rate.remainingTokensMinute, now);
  }
  if (rate.remainingRequestsDay !== undefined && limits.rpd !== undefined) {
    day.requests = Math.max(day.requests, limits.rpd - rate.remainingRequestsDay);
  }
  if (rate.remainingTokensDay !== undefined && limits.tpd !== undefined) {
    day.tokens = Math.max(day.tokens, limits.tpd - rate.remainingTokensDay);
  }
  return { ...s, rpm, tpm, day };
}

export interface Remaining {
  rpm?: number;
  tpm?: number;
  rpd?: number;
  tpd?: number;
  concurrency?: number;
}

export function remaining(s0: LimiterState, limits: Limits, now: number, timeZone: string): Remaining {
  const s = settle(s0, now, timeZone);
  const r: Remaining = {};
  if (limits.rpm !== undefined) r.rpm = Math.floor(refill(s.rpm ?? fullBucket(limits.rpm, now), limits.rpm, now).level);
  if (limits.tpm !== undefined) r.tpm = Math.floor(refill(s.tpm ?? fullBucket(limits.tpm, now), limits.tpm, now).level);
  if (limits.rpd !== undefined) r.rpd = Math.max(0, limits.rpd - s.day.requests);
  if (limits.tpd !== undefined) r.tpd = Math.max(0, limits.tpd - s.day.tokens);
  if (limits.concurrency !== undefined) r.concurrency = Math.max(0, limits.concurrency - Object.keys(s.leases).length);
  return r;
}

export interface Room {
  /** the tightest remaining share over all limits, 0..1 */
  headroom: number;
  /** the daily share on its own (1 without a daily limit) */
  dailyLeft: number;
  /** projected time to exhaustion over time to reset, 0..1 (1 without a daily limit) */
  pace: number;
  /** a small daily allowance, or one half gone or on course to run out before its reset */
  scarce: boolean;
}

/** How much room is left, now and for the rest of the day. */
export function headroom(s0: LimiterState, limits: Limits, now: number, timeZone: string): Room {
  const s = settle(s0, now, timeZone);
  const r = remaining(s, limits, now, timeZone);
  const share = (left: number | undefined, cap: number | undefined): number =>
    left === undefined || !cap ? 1 : Math.max(0, Math.min(1, left / cap));
  const dailyLeft = Math.min(share(r.rpd, limits.rpd), share(r.tpd, limits.tpd));
  const h = Math.min(dailyLeft, share(r.rpm, limits.rpm), share(r.tpm, limits.tpm), share(r.concurrency, limits.concurrency));
  const pace = Math.min(
    limits.rpd ? paceRatio(s.day.requests, limits.rpd, timeZone, now) : 1,
    limits.tpd ? paceRatio(s.day.tokens, limits.tpd, timeZone, now) : 1,
  );
  const daily = limits.rpd !== undefined || limits.tpd !== undefined;
  const small = limits.rpd !== undefined && limits.rpd < SCARCE_RPD;
  return { headroom: h, dailyLeft, pace, scarce: small || (daily && (dailyLeft < 0.5 || pace < 1)) };
}

/**
 * Admissions an actor hands a Worker isolate to spend on its next requests without asking (see `Credit` in
 * shared/actors.ts). Only a share of what remains in every limit is ever granted, so other isolates keep theirs.
 */
export const CREDIT_SHARE = 0.25;
/** The daily allowance is granted more sparingly: it cannot refill within the minute. */
export const CREDIT_DAILY_SHARE = 0.05;
/** The most admissions one credit carries: a second of a busy isolate's requests, renewed about twice a second. */
export const MAX_CREDIT = 256;
/** How long an isolate may spend a credit: the longest it may act on an actor's word without hearing again. */
export const CREDIT_TTL_MS = 1_000;

/**
 * How many of `wanted` requests of `tokens` each may be granted at once, given what remains (0: none). No credit
 * where concurrency is limited (each request holds a slot) or pacing would refuse the whole batch.
 */
export function creditable(
  s0: LimiterState,
  limits: Limits,
  wanted: number,
  tokens: number,
  now: number,
  timeZone: string,
  pacing?: Pacing,
): number {
  if (limits.concurrency !== undefined || wanted < 1) return 0;
  const s = settle(s0, now, timeZone);
  const r = remaining(s, limits, now, timeZone);
  let n = Math.floor(wanted);
  if (r.rpm !== undefined) n = Math.min(n, Math.floor(r.rpm * CREDIT_SHARE));
  if (r.rpd !== undefined) n = Math.min(n, Math.floor(r.rpd * CREDIT_DAILY_SHARE));
  if (tokens > 0) {
    if (r.tpm !== undefined) n = Math.min(n, Math.floor((r.tpm * CREDIT_SHARE) / tokens));
    if (r.tpd !== undefined) n = Math.min(n, Math.floor((r.tpd * CREDIT_DAILY_SHARE) / tokens));
  }
  if (n < 1) return 0;
  if (pacing) {
    if (limits.rpd !== undefined && !paceCheck(s.day.requests, n, limits.rpd, pacing, timeZone, now).ok) return 0;
    if (limits.tpd !== undefined && tokens > 0 && !paceCheck(s.day.tokens, n * tokens, limits.tpd, pacing, timeZone, now).ok) return 0;
  }
  return n;
}

/** Count `requests` requests and `tokens` tokens as taken now (a credit granted; `creditable` said they fit). */
export function charge(s0: LimiterState, limits: Limits, requests: number, tokens: number, now: number, timeZone: string): LimiterState {
  const s = settle(s0, now, timeZone);
  const rpm = limits.rpm !== undefined ? debit(s.rpm ?? fullBucket(limits.rpm, now), limits.rpm, requests, now) : s.rpm;
  const tpm = limits.tpm !== undefined && tokens > 0 ? debit(s.tpm ?? fullBucket(limits.tpm, now), limits.tpm, tokens, now) : s.tpm;
  return { ...s, rpm, tpm, day: { key: s.day.key, requests: s.day.requests + requests, tokens: s.day.tokens + tokens } };
}

/**
 * Give back requests and tokens that were taken but never reached the provider. `dayKey`: the day they were
 * counted in; the daily counters of another day are left alone.
 */
export function restore(
  s0: LimiterState,
  limits: Limits,
  requests: number,
  tokens: number,
  now: number,
  timeZone: string,
  dayKeyOfTake?: string,
): LimiterState {
  const s = settle(s0, now, timeZone);
  let { rpm, tpm } = s;
  if (rpm && limits.rpm !== undefined && requests > 0) rpm = give(rpm, limits.rpm, requests, now);
  if (tpm && limits.tpm !== undefined && tokens > 0) tpm = give(tpm, limits.tpm, tokens, now);
  if (dayKeyOfTake !== undefined && dayKeyOfTake !== s.day.key) return { ...s, rpm, tpm };
  const day = { key: s.day.key, requests: Math.max(0, s.day.requests - requests), tokens: Math.max(0, s.day.tokens - tokens) };
  return { ...s, rpm, tpm, day };
}
