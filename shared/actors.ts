// Wire contract between the Worker and the actors (ModelActor, PoolActor): plain values, never thrown errors.

import type { Limits } from "./catalog/types.ts";

/** What the Worker knows about a request when it asks an actor for admission. */
export interface Need {
  /** model id (for a pool: the model that will consume the pool) */
  model: string;
  /** estimated tokens: prompt + expected completion, reserved against TPM/TPD */
  tokens: number;
  /** the catalog's limits for this actor; the actor layers learned limits and operator overrides on top */
  defaults: Limits;
  /** IANA zone whose midnight resets the daily allowance */
  timeZone: string;
  /** the shared pool this model also consumes, so the model actor can pass account-wide failures on */
  pool?: string;
}

/** Why a request failed upstream; decides cooldown and failover (ARCHITECTURE.md "Failure classes"). */
export type FailureClass =
  | "throttle" // 429 per-minute / concurrency: short cooldown, fail over now
  | "daily" // 429 daily cap: cool down until the provider's reset
  | "auth" // 401 / 402 / 403: key or account problem, take the provider out
  | "too_large" // 413 / request bigger than TPM: skip this model for this request only
  | "transient" // 5xx, reset, timeout, stall, malformed body: fail over; repeated → backoff
  | "context_length" // prompt too big for this model: try a larger context
  | "caller"; // invalid request / content policy: return to the caller, no retry

/** Whether a failure concerns one model or the account-wide pool it shares. */
export type FailureScope = "model" | "pool";

export type RefusalReason =
  | "cooldown"
  | "disabled"
  | "probe_in_flight"
  | "rpm"
  | "tpm"
  | "rpd"
  | "tpd"
  | "concurrency"
  | "too_large";

/** What an actor tells the Worker about itself; the isolate caches it to rank candidates without asking. */
export interface Snapshot {
  /** when this was true (ms since epoch) */
  at: number;
  /** 0..1: the tightest remaining share over its limits */
  headroom: number;
  /** 0..1 share of the daily allowance left (1 when there is no daily limit) */
  dailyLeft: number;
  /** EWMAs */
  success: number;
  latencyMs: number;
  ttftMs: number;
  /** ms since epoch; 0 when not cooling down */
  cooldownUntil: number;
  cooldownReason: string | null;
  halfOpen: boolean;
  disabled: boolean;
  /** earliest moment it can admit a request like the last one asked (0 = now) */
  retryAt: number;
}

export type Bid =
  | { ok: true; lease: string; state: Snapshot }
  | { ok: false; reason: RefusalReason; retryAt: number; state: Snapshot };

/** Rate-limit facts read from a provider's headers or error body (ms durations are relative to receipt). */
export interface RateInfo {
  limitRequestsDay?: number;
  remainingRequestsDay?: number;
  resetRequestsDayMs?: number;
  limitRequestsMinute?: number;
  remainingRequestsMinute?: number;
  resetRequestsMinuteMs?: number;
  limitTokensMinute?: number;
  remainingTokensMinute?: number;
  resetTokensMinuteMs?: number;
  limitTokensDay?: number;
  remainingTokensDay?: number;
  resetTokensDayMs?: number;
}

/** The Worker's report after an attempt (sent with waitUntil, off the response path). */
export interface Outcome {
  model: string;
  lease: string;
  /** tokens reserved at bid time, so the actor can correct its buckets */
  reserved: number;
  /** the request never went upstream (lost the auction, client gone): refund everything */
  unused?: boolean;
  ok: boolean;
  status: number;
  failure?: FailureClass;
  scope?: FailureScope;
  /** provider's own wait: Retry-After, retryDelay, "try again in …" */
  retryAfterMs?: number;
  latencyMs?: number;
  ttftMs?: number;
  usage?: { prompt: number; completion: number };
  rate?: RateInfo;
  /** short, secret-free reason for the status page */
  message?: string;
}

/** Full state for /v1/routing/status and the admin API. */
export interface ActorStatus {
  id: string;
  limits: Limits;
  defaults: Limits;
  overrides: Limits;
  learned: Limits;
  remaining: { rpm?: number; tpm?: number; rpd?: number; tpd?: number; concurrency?: number };
  dayResetAt: number;
  snapshot: Snapshot;
  consecutiveFailures: number;
  lastError: string | null;
}
