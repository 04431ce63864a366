// Health of one provider-model: EWMAs, consecutive failures, cooldown and the half-open probe. Pure.

import type { FailureClass } from "../shared/actors.ts";
import { type Ewma, ewma, observe } from "./ewma.ts";
import { recovered } from "./score.ts";

export interface Health {
  success: Ewma;
  /** when the success average last took a sample (it drifts back towards the prior from there) */
  successAt: number;
  latency: Ewma;
  ttft: Ewma;
  /** mean absolute deviations of latency and ttft, for the 95th percentile estimates */
  latencyDev: Ewma;
  ttftDev: Ewma;
  /** consecutive failures of the kinds that count against the model */
  consecutive: number;
  /** exponent of the backoff applied to the next cooldown */
  backoff: number;
  /** when the last failure that counts against the model was applied (see afterSuccess) */
  failedAt: number;
  cooldownUntil: number;
  reason: string | null;
  /** after a failure cooldown ends, admit one probe at a time until one succeeds */
  halfOpen: boolean;
  lastError: string | null;
}

export function freshHealth(): Health {
  return {
    success: ewma(0.9),
    successAt: 0,
    latency: ewma(1500),
    ttft: ewma(800),
    latencyDev: ewma(750),
    ttftDev: ewma(400),
    consecutive: 0,
    backoff: 0,
    failedAt: 0,
    cooldownUntil: 0,
    reason: null,
    halfOpen: false,
    lastError: null,
  };
}

/** Transient failures in a row before the model is cooled down (one blip is not an outage). */
export const FAILS_BEFORE_COOLDOWN = 3;
/** A key or account problem needs an operator; look again after this long. */
export const AUTH_COOLDOWN_MS = 10 * 60_000;

const THROTTLE_BASE_MS = 5_000;
const THROTTLE_MAX_MS = 60_000;
const TRANSIENT_BASE_MS = 10_000;
const TRANSIENT_MAX_MS = 5 * 60_000;
/**
 * A failure this long after the last one starts the backoff over. Models also reset it on a success; a shared pool
 * hears only failures, so without this its throttle cooldowns would stay at the maximum for good.
 */
export const BACKOFF_FORGOTTEN_MS = 15 * 60_000;

function backoffMs(base: number, max: number, level: number): number {
  return Math.min(max, base * 2 ** Math.min(level, 10));
}

export interface FailureInput {
  failure: FailureClass;
  now: number;
  /** the provider's own wait, when it gave one */
  retryAfterMs?: number;
  /** when the provider's daily allowance resets */
  dailyResetAt: number;
  message?: string;
  /** when the failed attempt went upstream */
  startedAt?: number;
}

/** Health after a failed attempt. Failures that are not the model's fault leave it untouched. */
export function afterFailure(health: Health, f: FailureInput): Health {
  const { failure, now } = f;
  if (failure === "caller" || failure === "context_length" || failure === "too_large") return health;
  const h = health.backoff > 0 && now - health.failedAt > BACKOFF_FORGOTTEN_MS ? { ...health, backoff: 0 } : health;
  // A throttle or a spent allowance is the provider saying "not now", not a sign of ill health: the cooldown
  // handles it, and the success average keeps measuring whether the model answers when it is asked.
  const counts = failure === "transient" || failure === "auth";
  const next: Health = counts ? { ...h, ...sampled(h, now, 0), failedAt: now, lastError: f.message ?? failure } : { ...h, lastError: f.message ?? failure };
  const extend = (until: number, reason: string, halfOpen: boolean): Health => ({
    ...next,
    // never shorten a cooldown another report already set
    cooldownUntil: Math.max(h.cooldownUntil, until),
    reason: until >= h.cooldownUntil ? reason : h.reason,
    halfOpen: halfOpen || h.halfOpen,
  });
  switch (failure) {
    case "throttle": {
      const wait = f.retryAfterMs ?? backoffMs(THROTTLE_BASE_MS, THROTTLE_MAX_MS, h.backoff);
      return { ...extend(now + wait, "rate limited", false), backoff: f.retryAfterMs === undefined ? h.backoff + 1 : h.backoff, failedAt: now };
    }
    case "daily":
      return extend(f.retryAfterMs !== undefined ? now + f.retryAfterMs : f.dailyResetAt, "daily allowance used up", false);
    case "auth":
      return extend(now + AUTH_COOLDOWN_MS, "key or account refused", false);
    case "transient": {
      const consecutive = h.consecutive + 1;
      // Already cooling for failures that came before: an attempt that went out before the latest of them is one
      // more symptom of the same outage, not a failed probe.
      if (h.cooldownUntil > now && f.startedAt !== undefined && f.startedAt <= health.failedAt) return { ...next, consecutive, failedAt: health.failedAt };
      if (consecutive < FAILS_BEFORE_COOLDOWN && !h.halfOpen) return { ...next, consecutive };
      const wait = Math.max(f.retryAfterMs ?? 0, backoffMs(TRANSIENT_BASE_MS, TRANSIENT_MAX_MS, h.backoff));
      return { ...extend(now + wait, "failing", true), consecutive, backoff: h.backoff + 1 };
    }
  }
}

/** The success average as of `now` (recovered since its last sample), then one more sample. */
function sampled(h: Health, now: number, ok: 0 | 1): Pick<Health, "success" | "successAt"> {
  return { success: observe({ ...h.success, value: successNow(h, now) }, ok), successAt: now };
}

/** The success average as of `now`: trust lost to old failures comes back while nothing new is heard. */
export function successNow(h: Health, now: number): number {
  return h.successAt ? recovered(h.success.value, now - h.successAt) : h.success.value;
}

/** A health record stored before newer fields existed gets their priors. */
export function upgradeHealth(stored: Partial<Health>): Health {
  return { ...freshHealth(), ...stored };
}

/** Roughly the 95th percentile: mean plus two mean absolute deviations (≈ 1.6 σ for a normal spread). */
export function p95(mean: Ewma, dev: Ewma): number {
  return mean.value + 2 * dev.value;
}

function timed(h: Health, latencyMs: number | undefined, ttftMs: number | undefined): Pick<Health, "latency" | "ttft" | "latencyDev" | "ttftDev"> {
  return {
    latency: latencyMs === undefined ? h.latency : observe(h.latency, latencyMs),
    latencyDev: latencyMs === undefined ? h.latencyDev : observe(h.latencyDev, Math.abs(latencyMs - h.latency.value)),
    ttft: ttftMs === undefined ? h.ttft : observe(h.ttft, ttftMs),
    ttftDev: ttftMs === undefined ? h.ttftDev : observe(h.ttftDev, Math.abs(ttftMs - h.ttft.value)),
  };
}

/** An attempt the gateway stopped waiting for: no verdict on health, but what it took so far is a lower bound. */
export function afterAbandoned(h: Health, ttftMs: number | undefined): Health {
  return { ...h, ...timed(h, undefined, ttftMs) };
}

/**
 * Health after a successful attempt. `startedAt`: when it went upstream; a success from before the last failure
 * (its report was batched, the failure's was not) is averaged in but does not reset the failure count, the backoff
 * or the half-open probe: only an attempt made since can say the model is well again.
 */
export function afterSuccess(h: Health, now: number, latencyMs: number | undefined, ttftMs: number | undefined, startedAt?: number): Health {
  if (startedAt !== undefined && startedAt < h.failedAt) return { ...h, ...sampled(h, now, 1), ...timed(h, latencyMs, ttftMs) };
  return {
    ...h,
    ...sampled(h, now, 1),
    ...timed(h, latencyMs, ttftMs),
    consecutive: 0,
    backoff: 0,
    halfOpen: false,
    reason: h.cooldownUntil > now ? h.reason : null,
  };
}
