// Quota pacing: a daily allowance is spread over the day instead of burned by the morning, and a slice of it is
// kept for high-priority keys. Pure functions of the day's usage, the allowance and the clock.

import type { Pacing } from "../shared/actors.ts";
import { nextReset } from "./day.ts";

export const DAY_MS = 86_400_000;

/** A daily allowance of fewer requests than this is scarce however little of it is used (Gemini Pro: 20-100). */
export const SCARCE_RPD = 100;
/** Rates are measured over at least this share of the day (an hour), so a morning burst is not a trend. */
const MIN_ELAPSED = 1 / 24;

/** Share of the current day (in the provider's zone) already gone, 0..1. */
export function dayFraction(timeZone: string, now: number): number {
  const left = nextReset(timeZone, now) - now;
  return Math.max(0, Math.min(1, 1 - left / DAY_MS));
}

/** The reserve is released to everyone over the last hour before the reset, so it is not wasted when unused. */
const RELEASE = 1 / 24;

/**
 * How much of an allowance of `cap` a request of this priority may find used by day fraction `f`. The pace curve
 * grows from the burst share to the whole allowance at the reset; normal requests stop short of it by the reserve
 * (a share of the curve, released to them over the day's last hour), high-priority ones do not.
 */
function allowance(cap: number, p: Pacing, f: number): number {
  const curve = cap * (p.paced ? p.slack + (1 - p.slack) * f : 1);
  if (p.high) return curve;
  const held = Math.min(p.reserve * curve, p.reserve * cap * Math.min(1, (1 - f) / RELEASE));
  return curve - held;
}

export type PaceCheck = { ok: true } | { ok: false; retryAt: number };

/**
 * May `amount` more (requests or tokens) be used when `used` of `cap` are gone? The curve reaches the full
 * allowance only at the reset, so a paced allowance is never spent before it; when refused, `retryAt` is when
 * the curve will have grown enough (the reset, if never today).
 */
export function paceCheck(used: number, amount: number, cap: number, p: Pacing, timeZone: string, now: number): PaceCheck {
  const f = dayFraction(timeZone, now);
  const want = used + amount;
  if (want <= allowance(cap, p, f)) return { ok: true };
  const resetAt = nextReset(timeZone, now);
  if (want > allowance(cap, p, 1)) return { ok: false, retryAt: resetAt };
  // The allowance only grows through the day: find when it first covers `want`.
  let lo = f;
  let hi = 1;
  for (let i = 0; i < 32; i++) {
    const mid = (lo + hi) / 2;
    if (want <= allowance(cap, p, mid)) hi = mid;
    else lo = mid;
  }
  return { ok: false, retryAt: Math.min(resetAt, Math.max(now + 1000, Math.ceil(resetAt - (1 - hi) * DAY_MS))) };
}

/**
 * The priority reserve alone, for an allowance that refills continuously (a rolling day, which needs no pacing):
 * normal requests stop short of the reserve, high-priority ones do not. When refused, `retryAt` is when the
 * refill makes room.
 */
export function reserveCheck(used: number, amount: number, cap: number, p: Pacing, now: number): PaceCheck {
  const allowed = p.high ? cap : cap * (1 - p.reserve);
  const want = used + amount;
  if (want <= allowed + 1e-9) return { ok: true };
  if (amount > allowed) return { ok: false, retryAt: Infinity };
  return { ok: false, retryAt: now + Math.max(1000, Math.ceil(((want - allowed) * DAY_MS) / cap)) };
}

/**
 * Projected time to exhaustion over time to reset, capped at 1: 1 means today's rate lasts until the reset,
 * 0.5 that it runs dry halfway to it.
 */
export function paceRatio(used: number, cap: number, timeZone: string, now: number): number {
  if (used <= 0) return 1;
  if (used >= cap) return 0;
  const f = dayFraction(timeZone, now);
  if (f >= 1) return 1;
  const perDay = used / Math.max(f, MIN_ELAPSED);
  const untilEmpty = (cap - used) / perDay;
  return Math.min(1, untilEmpty / (1 - f));
}
