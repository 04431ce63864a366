// Admission against a set of limits (per-minute buckets, daily counters, concurrency): pure, no I/O.

import type { Limits } from "../shared/catalog/types.ts";
import type { Outcome, Pacing, RateInfo, RefusalReason } from "../shared/actors.ts";
import { clampTo, debit, give, left, take, waitFor, type Window, windowOf } from "./window.ts";
import { dayKey, nextReset } from "./day.ts";
import { DAY_MS, paceCheck, paceRatio, reserveCheck, SCARCE_RPD } from "./pace.ts";

export interface Lease {
  at: number;
  tokens: number;
  probe: boolean;
}

export interface LimiterState {
  /** the last minute's requests and tokens (stored before as token buckets: `windowOf` reads both) */
  rpm: Window | null;
  tpm: Window | null;
  /** the daily counts: of a calendar day (`key` its date), or a rolling one (`key` ROLLING, drained up to `at`) */
  day: { key: string; requests: number; tokens: number; at?: number };
  leases: Record<string, Lease>;
}

/**
 * When a daily allowance comes back. A zone's name: all of it at that zone's midnight. `rolling`: continuously, a
 * day's allowance over every 24 hours, like a bucket a day long (Groq: a spent daily allowance says "try again in
 * 9m38s", not "at midnight").
 */
export type Days = string | { timeZone: string; rolling: boolean };

/** The day key of a rolling day: there is only ever one. */
const ROLLING = "rolling";

function isRolling(days: Days): boolean {
  return typeof days !== "string" && days.rolling;
}

function zoneOf(days: Days): string {
  return typeof days === "string" ? days : days.timeZone;
}

/** What is left of `used` after `elapsed` ms of a rolling day refilling `cap` a day (nothing counts without a cap). */
function drain(used: number, cap: number | undefined, elapsed: number): number {
  return cap === undefined ? 0 : Math.max(0, used - (cap * elapsed) / DAY_MS);
}

/** When a rolling day holding `used` of `cap` has room for `amount` more (Infinity if it never can). */
function rollingRoomAt(used: number, amount: number, cap: number, now: number): number {
  if (amount > cap) return Infinity;
  return now + Math.max(1000, Math.ceil(((used + amount - cap) * DAY_MS) / cap));
}

/** When `amount` more of a daily `cap` with `used` gone fits again: the reset, or a rolling day's refill. */
function dailyRoomAt(used: number, amount: number, cap: number, days: Days, now: number): number {
  return isRolling(days) ? rollingRoomAt(used, amount, cap, now) : nextReset(zoneOf(days), now);
}

/** Whether `amount` more fits a daily `cap` with `used` gone (a rolling day's float counts get a hair's slack). */
function fitsDaily(used: number, amount: number, cap: number): boolean {
  return used + amount <= cap + 1e-9;
}

/** When a rolling day will have drained everything it counts. */
export function drainedAt(s0: LimiterState, limits: Limits, now: number, days: Days): number {
  const s = settle(s0, limits, now, days);
  const left = (used: number, cap: number | undefined): number => (cap ? (used * DAY_MS) / cap : 0);
  return now + Math.ceil(Math.max(left(s.day.requests, limits.rpd), left(s.day.tokens, limits.tpd)));
}

/** A request that neither reports nor releases is assumed finished after this long (a crashed isolate). */
export const LEASE_TTL_MS = 15 * 60_000;

export function emptyLimiter(): LimiterState {
  return { rpm: null, tpm: null, day: { key: "", requests: 0, tokens: 0 }, leases: {} };
}

/** Day rollover (or a rolling day's refill) and lease expiry, applied before every decision. */
export function settle(s: LimiterState, limits: Limits, now: number, days: Days): LimiterState {
  let leases = s.leases;
  for (const [id, l] of Object.entries(s.leases)) {
    if (now - l.at > LEASE_TTL_MS) {
      if (leases === s.leases) leases = { ...s.leases };
      delete leases[id];
    }
  }
  let day = s.day;
  if (isRolling(days)) {
    // Counted in a calendar day before (the catalog changed): those counts start draining now.
    const elapsed = s.day.key === ROLLING ? now - (s.day.at ?? now) : 0;
    if (elapsed > 0 || s.day.key !== ROLLING) {
      day = { key: ROLLING, requests: drain(s.day.requests, limits.rpd, elapsed), tokens: drain(s.day.tokens, limits.tpd, elapsed), at: now };
    }
  } else {
    const key = dayKey(zoneOf(days), now);
    if (s.day.key !== key) day = { key, requests: 0, tokens: 0 };
  }
  return day === s.day && leases === s.leases ? s : { ...s, day, leases };
}

export type Admission =
  | { ok: true; state: LimiterState }
  | { ok: false; reason: RefusalReason; retryAt: number };

/**
 * Pacing and the priority reserve for a daily allowance. A rolling day refills all day, which paces it already:
 * only the reserve applies.
 */
function paced(used: number, amount: number, cap: number, p: Pacing, days: Days, now: number): ReturnType<typeof paceCheck> {
  return isRolling(days) ? reserveCheck(used, amount, cap, p, now) : paceCheck(used, amount, cap, p, zoneOf(days), now);
}

/** Try to admit one request of `tokens` estimated tokens; on success the state holds the lease. */
export function admit(
  s0: LimiterState,
  limits: Limits,
  tokens: number,
  lease: string,
  probe: boolean,
  now: number,
  days: Days,
  pacing?: Pacing,
): Admission {
  const s = settle(s0, limits, now, days);
  const inflight = Object.keys(s.leases).length;
  if (limits.concurrency !== undefined && inflight >= limits.concurrency) {
    const oldest = Math.min(...Object.values(s.leases).map((l) => l.at));
    return { ok: false, reason: "concurrency", retryAt: Math.min(now + 1000, oldest + LEASE_TTL_MS) };
  }
  if (limits.tpm !== undefined && tokens > limits.tpm) return { ok: false, reason: "too_large", retryAt: Infinity };
  if (limits.tpd !== undefined && tokens > limits.tpd) return { ok: false, reason: "too_large", retryAt: Infinity };
  if (limits.rpd !== undefined && !fitsDaily(s.day.requests, 1, limits.rpd)) {
    return { ok: false, reason: "rpd", retryAt: dailyRoomAt(s.day.requests, 1, limits.rpd, days, now) };
  }
  if (limits.tpd !== undefined && !fitsDaily(s.day.tokens, tokens, limits.tpd)) {
    return { ok: false, reason: "tpd", retryAt: dailyRoomAt(s.day.tokens, tokens, limits.tpd, days, now) };
  }
  if (pacing) {
    // Within the hard caps, but perhaps ahead of the day's pace or into the high-priority reserve.
    const r = limits.rpd !== undefined ? paced(s.day.requests, 1, limits.rpd, pacing, days, now) : { ok: true as const };
    if (!r.ok) return { ok: false, reason: "paced", retryAt: r.retryAt };
    const t = limits.tpd !== undefined && tokens > 0 ? paced(s.day.tokens, tokens, limits.tpd, pacing, days, now) : { ok: true as const };
    if (!t.ok) return { ok: false, reason: "paced", retryAt: t.retryAt };
  }
  let rpm = s.rpm;
  if (limits.rpm !== undefined) {
    const cur = windowOf(rpm, limits.rpm, now);
    const b = take(cur, limits.rpm, 1, now);
    if (!b) return { ok: false, reason: "rpm", retryAt: now + waitFor(cur, limits.rpm, 1, now) };
    rpm = b;
  }
  let tpm = s.tpm;
  if (limits.tpm !== undefined && tokens > 0) {
    const cur = windowOf(tpm, limits.tpm, now);
    const b = take(cur, limits.tpm, tokens, now);
    if (!b) return { ok: false, reason: "tpm", retryAt: now + waitFor(cur, limits.tpm, tokens, now) };
    tpm = b;
  }
  return {
    ok: true,
    state: {
      rpm,
      tpm,
      day: { ...s.day, requests: s.day.requests + 1, tokens: s.day.tokens + tokens },
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

/** The tokens an attempt that went out counts against its limits: what the provider reported, else its reservation. */
export function tokensUsed(o: Pick<Outcome, "usage" | "ok" | "status" | "reserved">): number {
  if (o.usage) return o.usage.prompt + o.usage.completion;
  // It may have run: keep the reservation. Refused up front (a 4xx): the provider counted no tokens.
  return o.ok || o.status === 0 || o.status >= 500 ? o.reserved : 0;
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
  days: Days,
): LimiterState {
  const s = settle(s0, limits, now, days);
  const leases = { ...s.leases };
  delete leases[lease];
  // A rolling day has no other day: whatever it counted is still draining from it.
  const day = isRolling(days) ? s.day.key : (leaseDay(lease, zoneOf(days)) ?? s.day.key);
  if (used === null) return { ...restore(s, limits, 1, reserved, now, days, day), leases };
  let tpm = s.tpm;
  const delta = used - reserved;
  if (tpm && limits.tpm !== undefined) {
    const cur = windowOf(tpm, limits.tpm, now);
    tpm = delta >= 0 ? debit(cur, delta, now) : give(cur, -delta, now);
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
export function applyRemaining(s0: LimiterState, limits: Limits, rate: RateInfo, now: number, days: Days): LimiterState {
  const s = settle(s0, limits, now, days);
  let { rpm, tpm } = s;
  const day = { ...s.day };
  if (rate.remainingRequestsMinute !== undefined && limits.rpm !== undefined) {
    rpm = clampTo(windowOf(rpm, limits.rpm, now), limits.rpm, rate.remainingRequestsMinute, now, rate.resetRequestsMinuteMs);
  }
  if (rate.remainingTokensMinute !== undefined && limits.tpm !== undefined) {
    tpm = clampTo(windowOf(tpm, limits.tpm, now), limits.tpm, rate.remainingTokensMinute, now, rate.resetTokensMinuteMs);
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

export function remaining(s0: LimiterState, limits: Limits, now: number, days: Days): Remaining {
  const s = settle(s0, limits, now, days);
  const r: Remaining = {};
  if (limits.rpm !== undefined) r.rpm = Math.floor(left(windowOf(s.rpm, limits.rpm, now), limits.rpm, now) + 1e-9);
  if (limits.tpm !== undefined) r.tpm = Math.floor(left(windowOf(s.tpm, limits.tpm, now), limits.tpm, now) + 1e-9);
  // A rolling day's counts drain by fractions: what is left is whole requests and tokens.
  if (limits.rpd !== undefined) r.rpd = Math.max(0, Math.floor(limits.rpd - s.day.requests + 1e-9));
  if (limits.tpd !== undefined) r.tpd = Math.max(0, Math.floor(limits.tpd - s.day.tokens + 1e-9));
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
export function headroom(s0: LimiterState, limits: Limits, now: number, days: Days): Room {
  const s = settle(s0, limits, now, days);
  const r = remaining(s, limits, now, days);
  const share = (left: number | undefined, cap: number | undefined): number =>
    left === undefined || !cap ? 1 : Math.max(0, Math.min(1, left / cap));
  const dailyLeft = Math.min(share(r.rpd, limits.rpd), share(r.tpd, limits.tpd));
  const h = Math.min(dailyLeft, share(r.rpm, limits.rpm), share(r.tpm, limits.tpm), share(r.concurrency, limits.concurrency));
  // A rolling day has no reset to run out before: it comes back as it is used.
  const tz = zoneOf(days);
  const pace = isRolling(days)
    ? 1
    : Math.min(limits.rpd ? paceRatio(s.day.requests, limits.rpd, tz, now) : 1, limits.tpd ? paceRatio(s.day.tokens, limits.tpd, tz, now) : 1);
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
  days: Days,
  pacing?: Pacing,
): number {
  if (limits.concurrency !== undefined || wanted < 1) return 0;
  const s = settle(s0, limits, now, days);
  const r = remaining(s, limits, now, days);
  let n = Math.floor(wanted);
  if (r.rpm !== undefined) n = Math.min(n, Math.floor(r.rpm * CREDIT_SHARE));
  if (r.rpd !== undefined) n = Math.min(n, Math.floor(r.rpd * CREDIT_DAILY_SHARE));
  if (tokens > 0) {
    if (r.tpm !== undefined) n = Math.min(n, Math.floor((r.tpm * CREDIT_SHARE) / tokens));
    if (r.tpd !== undefined) n = Math.min(n, Math.floor((r.tpd * CREDIT_DAILY_SHARE) / tokens));
  }
  if (n < 1) return 0;
  if (pacing) {
    if (limits.rpd !== undefined && !paced(s.day.requests, n, limits.rpd, pacing, days, now).ok) return 0;
    if (limits.tpd !== undefined && tokens > 0 && !paced(s.day.tokens, n * tokens, limits.tpd, pacing, days, now).ok) return 0;
  }
  return n;
}

/** Count `requests` requests and `tokens` tokens as taken now (a credit granted; `creditable` said they fit). */
export function charge(s0: LimiterState, limits: Limits, requests: number, tokens: number, now: number, days: Days): LimiterState {
  const s = settle(s0, limits, now, days);
  const rpm = limits.rpm !== undefined ? debit(windowOf(s.rpm, limits.rpm, now), requests, now) : s.rpm;
  const tpm = limits.tpm !== undefined && tokens > 0 ? debit(windowOf(s.tpm, limits.tpm, now), tokens, now) : s.tpm;
  return { ...s, rpm, tpm, day: { ...s.day, requests: s.day.requests + requests, tokens: s.day.tokens + tokens } };
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
  days: Days,
  dayKeyOfTake?: string,
): LimiterState {
  const s = settle(s0, limits, now, days);
  let { rpm, tpm } = s;
  if (rpm && limits.rpm !== undefined && requests > 0) rpm = give(windowOf(rpm, limits.rpm, now), requests, now);
  if (tpm && limits.tpm !== undefined && tokens > 0) tpm = give(windowOf(tpm, limits.tpm, now), tokens, now);
  if (dayKeyOfTake !== undefined && dayKeyOfTake !== s.day.key) return { ...s, rpm, tpm };
  const day = { ...s.day, requests: Math.max(0, s.day.requests - requests), tokens: Math.max(0, s.day.tokens - tokens) };
  return { ...s, rpm, tpm, day };
}
