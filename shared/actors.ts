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
  /** the daily allowance comes back continuously instead (ProviderSpec `dailyRefill` "rolling") */
  rolling?: boolean;
  /** the shared pool this model also consumes, so the model actor can pass account-wide failures on */
  pool?: string;
  /** how daily allowances are spread and reserved (absent: neither) */
  pacing?: Pacing;
  /** a hedged request: refused when the daily allowance is scarce (a hedge must not spend what is rare) */
  hedge?: boolean;
  /** admissions the isolate would like to hold for its next requests to this actor (see `Credit`) */
  credit?: number;
}

/**
 * Admissions granted ahead to one Worker isolate: `requests` requests and `tokens` tokens, already counted by the
 * actor, to be spent by that isolate's next requests until `until` without asking again. What is not spent goes
 * back (`refund`). An actor grants one only while it has ample room and no cooldown, probe or concurrency limit.
 */
export interface Credit {
  requests: number;
  tokens: number;
  /** ms since epoch after which it must not be spent */
  until: number;
  /** the day (actor's zone) the admissions were counted in */
  day: string;
}

/** The answer to a request for credit alone: a credit (or null), and the actor's state. */
export interface Grant {
  credit: Credit | null;
  state: Snapshot;
}

/** Quota pacing and the high-priority reserve, as the Worker's settings and the caller's key decide them. */
export interface Pacing {
  /** spread each daily allowance over the day (false: only the reserve applies) */
  paced: boolean;
  /** 0..1: share of each daily allowance only high-priority requests may use */
  reserve: number;
  /** 0..1: share of the allowance usable at once at the start of the day (the burst) */
  slack: number;
  /** the request comes from a high-priority key */
  high: boolean;
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
  | "too_large"
  | "paced" // ahead of the day's pace (or into the high-priority reserve): later, or another model
  | "scarce"; // a hedge asked a model whose daily allowance is scarce

/** What an actor tells the Worker about itself; the isolate caches it to rank candidates without asking. */
export interface Snapshot {
  /** when this was true (ms since epoch) */
  at: number;
  /** 0..1: the tightest remaining share over its limits */
  headroom: number;
  /** 0..1 share of the daily allowance left (1 when there is no daily limit) */
  dailyLeft: number;
  /** 0..1: projected time until the daily allowance runs out over the time until it resets (1 = lasts) */
  pace: number;
  /** has a daily allowance that is half gone or on course to run out before the reset */
  scarce: boolean;
  /** EWMAs */
  success: number;
  latencyMs: number;
  ttftMs: number;
  /** estimated 95th percentiles (mean + 2 mean absolute deviations): what a hedge waits for */
  latencyP95Ms: number;
  ttftP95Ms: number;
  /** ms since epoch; 0 when not cooling down */
  cooldownUntil: number;
  cooldownReason: string | null;
  halfOpen: boolean;
  disabled: boolean;
  /** earliest moment it can admit a request like the last one asked (0 = now) */
  retryAt: number;
}

export type Bid =
  /** `closes`: the actor holds something for this admission (a concurrency slot, a probe, a token reservation)
   * until its outcome closes it; a shared pool hears outcomes only when it says so (`Outcome.poolLease`). */
  | { ok: true; lease: string; state: Snapshot; credit?: Credit; closes?: true }
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
  /** the shared pool's lease for the same admission, when the pool needs its outcome to close it (Bid `closes`) */
  poolLease?: string;
  /** tokens reserved at bid time, so the actor can correct its buckets */
  reserved: number;
  /** the request never went upstream (lost the auction, client gone): refund everything */
  unused?: boolean;
  /** the gateway stopped waiting for it (another attempt answered first): it counts, but is no failure */
  abandoned?: boolean;
  ok: boolean;
  status: number;
  failure?: FailureClass;
  scope?: FailureScope;
  /** the provider does not serve this model to this account now: no sign of trouble with the provider itself */
  gone?: boolean;
  /** provider's own wait: Retry-After, retryDelay, "try again in …" */
  retryAfterMs?: number;
  latencyMs?: number;
  ttftMs?: number;
  /**
   * When the attempt went upstream (ms since epoch). Successes wait to be batched, so one may arrive after
   * failures that came later: it still counts in the averages, but cannot close a breaker those failures opened.
   */
  startedAt?: number;
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
  /** when the daily allowance is whole again: the zone's midnight, or when a rolling day has drained */
  dayResetAt: number;
  /** the daily allowance comes back continuously (ProviderSpec `dailyRefill` "rolling") */
  rolling?: boolean;
  snapshot: Snapshot;
  consecutiveFailures: number;
  lastError: string | null;
}
