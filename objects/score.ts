// Ranking of candidates from their snapshots: the same maths in the actor's bid and the Worker's cache.

import type { Snapshot } from "../shared/actors.ts";

/** What we assume about a model nobody has asked yet: healthy, idle, average speed. */
export function priorSnapshot(now: number): Snapshot {
  return {
    at: 0,
    headroom: 1,
    dailyLeft: 1,
    pace: 1,
    scarce: false,
    success: PRIOR_SUCCESS,
    latencyMs: 1500,
    ttftMs: 800,
    latencyP95Ms: 3000,
    ttftP95Ms: 1600,
    cooldownUntil: 0,
    cooldownReason: null,
    halfOpen: false,
    disabled: false,
    retryAt: now,
  };
}

/** What a model nobody has asked is assumed to achieve, and where a failed one's standing drifts back to. */
const PRIOR_SUCCESS = 0.9;
/**
 * Time constant of that drift. Without it, a model that failed a few times and then lost every auction would
 * never be asked again, and never show it had recovered: after 15 s it has regained ~63 % of the lost trust.
 */
export const RECOVER_MS = 15_000;

/** A success average `elapsedMs` after it was measured, drifting back up towards the prior (never down). */
export function recovered(success: number, elapsedMs: number): number {
  if (success >= PRIOR_SUCCESS || elapsedMs <= 0) return success;
  return success + (PRIOR_SUCCESS - success) * (1 - Math.exp(-elapsedMs / RECOVER_MS));
}

/** A reference latency: a model this slow scores half of an instant one at weight 1. */
const LATENCY_REF_MS = 3000;

/**
 * Higher is better; -Infinity when it cannot serve now. `abundance` (0..1) favours models with large daily
 * allowances so scarce ones are kept for requests only they can serve; `pace` spreads a daily allowance over
 * the day (a model on course to run dry before its reset scores lower until the day catches up).
 */
export function score(s: Snapshot, now: number, latencyWeight: number, abundance: number): number {
  if (s.disabled || s.cooldownUntil > now || s.retryAt > now) return -Infinity;
  const success = recovered(s.success, now - s.at);
  const health = success * success;
  const room = 0.2 + 0.8 * s.headroom;
  const speed = 1 / (1 + (latencyWeight * s.latencyMs) / LATENCY_REF_MS);
  // What is left of the day's allowance, and whether today's rate would run it dry before the reset.
  const daily = (0.5 + 0.5 * s.dailyLeft) * (0.25 + 0.75 * s.pace);
  return health * room * speed * daily * (0.5 + 0.5 * abundance);
}

/** 0..1 from a requests-per-day allowance: 20/day ≈ 0.33, 1,000 ≈ 0.75, 10,000+ = 1. */
export function abundance(rpd: number | undefined): number {
  if (rpd === undefined) return 1;
  return Math.min(1, Math.log10(1 + rpd) / 4);
}
