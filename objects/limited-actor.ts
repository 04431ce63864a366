// What ModelActor and PoolActor share: limits (defaults, learned, overrides), buckets, cooldown, storage, alarm.

import { DurableObject } from "cloudflare:workers";
import type { ActorStatus, Bid, Credit, Grant, Need, Outcome, RefusalReason, Snapshot } from "../shared/actors.ts";
import { mergeLimits } from "../shared/catalog/index.ts";
import type { Limits } from "../shared/catalog/types.ts";
import { dailySpentUntil, dayKey, nextReset } from "./day.ts";
import { type Health, afterAbandoned, afterFailure, afterSuccess, p95, successNow, upgradeHealth } from "./health.ts";
import {
  LEASE_TTL_MS,
  type LimiterState,
  MAX_CREDIT,
  admit,
  applyRemaining,
  charge,
  close,
  CREDIT_TTL_MS,
  creditable,
  type Days,
  drainedAt,
  emptyLimiter,
  headroom,
  learnedLimits,
  leaseDay,
  remaining,
  restore,
  settle,
  tokensUsed,
} from "./limiter.ts";
import { DeferredRows, STATE_TABLE, StateRows, migrate } from "./sql.ts";

interface Config {
  id: string;
  defaults: Limits;
  timeZone: string;
  /** the daily allowance comes back continuously, not at the zone's midnight (limiter.ts `Days`) */
  rolling?: boolean;
  pool?: string;
  overrides: Limits;
  /** switched off by an operator, this model alone */
  disabled: boolean;
  /** switched off with its whole provider (`providers disable`): a separate switch, so that switching the
   * provider on again leaves a model the operator switched off on its own off */
  providerOff?: boolean;
}

const MIGRATIONS = [STATE_TABLE];

export abstract class LimitedActor<E = unknown> extends DurableObject<E> {
  protected readonly rows: StateRows;
  protected config: Config;
  protected learned: Limits;
  protected limiter: LimiterState;
  protected health: Health;
  #limits: Limits | null = null;
  #days: Days | null = null;
  #alarmAt = 0;
  #seq = 0;
  /**
   * Leases closed in this minute and the one before. A call can arrive although its caller saw it fail (and
   * queued its outcomes again): a lease is closed once, so nothing is refunded or charged twice.
   */
  #closed = new Set<string>();
  #closedBefore = new Set<string>();
  #closedSince = 0;
  readonly #deferred: DeferredRows;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    migrate(ctx.storage.sql, MIGRATIONS);
    this.rows = new StateRows(ctx.storage.sql);
    this.#deferred = new DeferredRows(this.rows);
    // SQLite reads are synchronous, so the whole state is back before the first call (survives eviction).
    this.config = this.rows.get<Config>("config") ?? { id: "", defaults: {}, timeZone: "UTC", overrides: {}, disabled: false };
    this.learned = this.rows.get<Limits>("learned") ?? {};
    this.limiter = this.rows.get<LimiterState>("limiter") ?? emptyLimiter();
    this.health = upgradeHealth(this.rows.get<Partial<Health>>("health") ?? {});
    this.#alarmAt = this.rows.get<number>("alarmAt") ?? 0;
  }

  /** How the daily allowance comes back, as the limiter takes it. */
  protected days(): Days {
    this.#days ??= this.config.rolling ? { timeZone: this.config.timeZone, rolling: true } : this.config.timeZone;
    return this.#days;
  }

  /** Effective limits: catalog defaults < learned from the provider < operator overrides. */
  protected limits(): Limits {
    this.#limits ??= mergeLimits(this.config.defaults, this.learned, this.config.overrides);
    return this.#limits;
  }

  /** Adopt what the caller tells us about ourselves (name, catalog defaults) when it changed. */
  protected configure(need: Need): void {
    const c = this.config;
    if (
      c.id === this.actorId(need) &&
      c.timeZone === need.timeZone &&
      (c.rolling ?? false) === (need.rolling ?? false) &&
      c.pool === need.pool &&
      sameLimits(c.defaults, need.defaults)
    ) {
      return;
    }
    this.config = { ...c, id: this.actorId(need), defaults: need.defaults, timeZone: need.timeZone, rolling: need.rolling === true, pool: need.pool };
    this.#days = null;
    this.#limits = null;
    this.rows.put("config", this.config);
  }

  /** The name this actor answers to (a model id, or a pool id for pools). */
  protected abstract actorId(need: Need): string;

  protected snapshot(now: number, retryAt = 0): Snapshot {
    const room = headroom(this.limiter, this.limits(), now, this.days());
    const h = this.health;
    const cooling = h.cooldownUntil > now;
    return {
      at: now,
      headroom: room.headroom,
      dailyLeft: room.dailyLeft,
      pace: room.pace,
      scarce: room.scarce,
      success: successNow(h, now),
      latencyMs: h.latency.value,
      ttftMs: h.ttft.value,
      latencyP95Ms: p95(h.latency, h.latencyDev),
      ttftP95Ms: p95(h.ttft, h.ttftDev),
      cooldownUntil: cooling ? h.cooldownUntil : 0,
      cooldownReason: cooling ? h.reason : null,
      halfOpen: h.halfOpen && !cooling,
      disabled: this.off,
      retryAt,
    };
  }

  protected refuse(reason: RefusalReason, retryAt: number, now: number): Bid {
    // A request too large for a limit says nothing about when smaller ones fit: the snapshot stays open.
    return { ok: false, reason, retryAt, state: this.snapshot(now, reason === "too_large" ? 0 : retryAt) };
  }

  /** Admission: cooldown, probe, then every limit; the reservation is held until reported or released. */
  protected admitNeed(need: Need): Bid {
    const now = Date.now();
    this.configure(need);
    if (this.off) return this.refuse("disabled", Infinity, now);
    const h = this.health;
    if (h.cooldownUntil > now) return this.refuse("cooldown", h.cooldownUntil, now);
    const probe = h.halfOpen;
    if (probe && Object.values(this.limiter.leases).some((l) => l.probe && now - l.at < PROBE_TIMEOUT_MS)) {
      return this.refuse("probe_in_flight", now + 1000, now);
    }
    if (need.hedge && headroom(this.limiter, this.limits(), now, this.days()).scarce) {
      // A hedge is a second call for one answer: not worth a share of a scarce daily allowance.
      return this.refuse("scarce", now + 1000, now);
    }
    const lease = `${now.toString(36)}.${(this.#seq++).toString(36)}`;
    const a = admit(this.limiter, this.limits(), need.tokens, lease, probe, now, this.days(), need.pacing);
    if (!a.ok) return this.refuse(a.reason, a.retryAt, now);
    this.limiter = a.state;
    const credit = need.credit ? this.grant(need, now) : null;
    this.save("limiter");
    // A slot or a token reservation is held until the outcome closes it: a pool must be told (Outcome.poolLease).
    const limits = this.limits();
    const closes = lease in this.limiter.leases || limits.tpm !== undefined || limits.tpd !== undefined ? { closes: true as const } : {};
    return credit ? { ok: true, lease, state: this.snapshot(now), credit, ...closes } : { ok: true, lease, state: this.snapshot(now), ...closes };
  }

  /**
   * Admissions ahead for the asking isolate (shared/actors.ts `Credit`), counted now: only while this actor is
   * healthy, open and roomy, so the isolate's next requests can skip asking without risking a refusal upstream.
   */
  protected grant(need: Need, now: number): Credit | null {
    const h = this.health;
    if (this.off || h.cooldownUntil > now || h.halfOpen || need.hedge || !need.credit) return null;
    const limits = this.limits();
    const tz = this.days();
    const room = headroom(this.limiter, limits, now, tz);
    if (room.scarce || room.headroom < CREDIT_MIN_HEADROOM) return null;
    // Credit is spent by whichever of the isolate's requests comes next: never from the high-priority reserve.
    const pacing = need.pacing && { ...need.pacing, high: false };
    const n = creditable(this.limiter, limits, Math.min(need.credit, MAX_CREDIT), need.tokens, now, tz, pacing);
    if (n === 0) return null;
    this.limiter = charge(this.limiter, limits, n, n * need.tokens, now, tz);
    // Never past the day it is counted on: spent after the reset, it would reach a day that never counted it.
    const until = this.config.rolling ? now + CREDIT_TTL_MS : Math.min(now + CREDIT_TTL_MS, nextReset(this.config.timeZone, now));
    return { requests: n, tokens: n * need.tokens, until, day: this.limiter.day.key };
  }

  /** Credit alone, for an isolate whose credit is running low (no request is admitted by this call). */
  protected renewNeed(need: Need): Grant {
    const now = Date.now();
    this.configure(need);
    const credit = this.grant(need, now);
    if (credit) this.save("limiter");
    return { credit, state: this.snapshot(now) };
  }

  /** What an isolate did not spend of a credit comes back. */
  async refund(credit: Pick<Credit, "requests" | "tokens" | "day">): Promise<void> {
    const now = Date.now();
    this.limiter = restore(this.limiter, this.limits(), credit.requests, credit.tokens, now, this.days(), credit.day);
    this.save("limiter");
  }

  /** Whether `lease` is closed for the first time (a failure seen on another model has no lease: always). */
  #firstClose(lease: string, now: number): boolean {
    if (lease === "") return true;
    if (now - this.#closedSince >= 60_000) {
      this.#closedBefore = this.#closed;
      this.#closed = new Set();
      this.#closedSince = now;
    }
    if (this.#closed.has(lease) || this.#closedBefore.has(lease)) return false;
    this.#closed.add(lease);
    return true;
  }

  /** Give back a reservation that never reached the provider. */
  async release(lease: string, reserved: number): Promise<void> {
    const now = Date.now();
    if (!this.#firstClose(lease, now)) return;
    this.limiter = close(this.limiter, this.limits(), lease, reserved, null, now, this.days());
    this.save("limiter");
  }

  /**
   * Close the lease of a request that did go upstream, with the tokens it used (a shared pool's share of an
   * outcome: its slot comes free and its reservation becomes what was used; health is the model's business).
   */
  async finish(lease: string, reserved: number, used: number): Promise<void> {
    const now = Date.now();
    if (!this.#firstClose(lease, now)) return;
    this.limiter = close(this.limiter, this.limits(), lease, reserved, used, now, this.days());
    this.save("limiter");
    this.arm(now);
  }

  /** Apply an attempt's outcome: buckets, learned limits, health, cooldown. */
  protected applyOutcome(o: Outcome): void {
    const now = Date.now();
    if (!this.#firstClose(o.lease, now)) return;
    const tz = this.days();
    // What an attempt of an earlier calendar day said about "the day" is about that day, not today.
    const seenDay = o.startedAt !== undefined ? dayKey(this.config.timeZone, o.startedAt) : leaseDay(o.lease, this.config.timeZone);
    const stale = !this.config.rolling && seenDay !== null && seenDay !== dayKey(this.config.timeZone, now);
    if (stale && o.rate) o = { ...o, rate: { ...o.rate, remainingRequestsDay: undefined, remainingTokensDay: undefined } };
    if (stale && o.failure === "daily" && o.retryAfterMs === undefined) o = { ...o, failure: undefined };
    if (o.rate) {
      const learned = mergeLimits(this.learned, learnedLimits(o.rate));
      if (!sameLimits(learned, this.learned)) {
        this.learned = learned;
        this.#limits = null;
        this.rows.put("learned", learned);
      }
    }
    const used = o.unused ? null : tokensUsed(o);
    this.limiter = close(this.limiter, this.limits(), o.lease, o.reserved, used, now, tz);
    if (o.rate) this.limiter = applyRemaining(this.limiter, this.limits(), o.rate, now, tz);
    this.save("limiter");
    if (o.unused) return;
    const before = this.health;
    if (o.ok) this.health = afterSuccess(before, now, o.latencyMs, o.ttftMs, o.startedAt);
    else if (o.abandoned) this.health = afterAbandoned(before, o.ttftMs);
    else if (o.failure) {
      this.health = afterFailure(before, {
        failure: o.failure,
        now,
        retryAfterMs: o.retryAfterMs,
        dailyResetAt: this.dailyResetAt(now),
        message: o.message,
        startedAt: o.startedAt,
      });
    }
    // A new cooldown must survive anything; a moved average can wait for the next flush.
    const urgent = this.health.cooldownUntil !== before.cooldownUntil || this.health.halfOpen !== before.halfOpen;
    this.save("health", urgent);
    this.arm(now);
  }

  /**
   * Until when a provider's word that the daily allowance is used up holds, when it does not say: its zone's
   * midnight, or for a rolling day the time one request's share takes to come back.
   */
  private dailyResetAt(now: number): number {
    return dailySpentUntil({ timeZone: this.config.timeZone, rolling: this.config.rolling }, this.limits().rpd, now);
  }

  /** Persist state: counters with the next flush, cooldowns and operator actions at once (sql.ts DeferredRows). */
  protected save(key: "limiter" | "health", urgent = false): void {
    this.#deferred.save(key, () => this[key], urgent);
  }

  /** Write whatever is pending now. */
  async flush(): Promise<void> {
    this.#deferred.flush();
  }

  /** Operator overrides (null clears them); applied on the very next request and persisted. */
  async setLimits(overrides: Limits | null): Promise<ActorStatus> {
    this.config = { ...this.config, overrides: overrides ? mergeLimits(overrides) : {} };
    this.#limits = null;
    this.rows.put("config", this.config);
    return this.status();
  }

  /** Off when either switch is: the model's own, or its provider's. */
  protected get off(): boolean {
    return this.config.disabled || this.config.providerOff === true;
  }

  /** Switch the model (`switch_: "model"`) or its provider's switch for it (`"provider"`) on or off. */
  async setEnabled(enabled: boolean, switch_: "model" | "provider" = "model"): Promise<ActorStatus> {
    this.config = switch_ === "provider" ? { ...this.config, providerOff: !enabled } : { ...this.config, disabled: !enabled };
    this.rows.put("config", this.config);
    return this.status();
  }

  async resetCooldown(): Promise<ActorStatus> {
    this.health = { ...this.health, cooldownUntil: 0, reason: null, halfOpen: false, consecutive: 0, backoff: 0 };
    this.save("health", true);
    return this.status();
  }

  async status(): Promise<ActorStatus> {
    const now = Date.now();
    return {
      id: this.config.id,
      limits: this.limits(),
      defaults: this.config.defaults,
      overrides: this.config.overrides,
      learned: this.learned,
      remaining: remaining(this.limiter, this.limits(), now, this.days()),
      dayResetAt: this.config.rolling ? drainedAt(this.limiter, this.limits(), now, this.days()) : nextReset(this.config.timeZone, now),
      ...(this.config.rolling ? { rolling: true } : {}),
      snapshot: this.snapshot(now),
      consecutiveFailures: this.health.consecutive,
      lastError: this.health.lastError,
    };
  }

  /** One alarm for every timer: cooldown end (→ half-open), lease expiry, day rollover. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.#alarmAt = 0;
    this.limiter = settle(this.limiter, this.limits(), now, this.days());
    this.save("limiter", true);
    this.arm(now);
  }

  /** Schedule the alarm for the next thing that falls due, if that moved. */
  protected arm(now: number): void {
    const due: number[] = [];
    if (this.health.cooldownUntil > now) due.push(this.health.cooldownUntil);
    for (const l of Object.values(this.limiter.leases)) due.push(l.at + LEASE_TTL_MS);
    // A rolling day drains as it is asked: nothing falls due at midnight.
    if (this.limiter.day.requests > 0 && !this.config.rolling) due.push(nextReset(this.config.timeZone, now));
    const next = due.length ? Math.min(...due) : 0;
    if (next === 0 || next === this.#alarmAt) return;
    if (this.#alarmAt > now && this.#alarmAt <= next) return;
    this.#alarmAt = next;
    this.rows.put("alarmAt", next);
    void this.ctx.storage.setAlarm(next);
  }
}

/** Credit only while every limit has at least this share left. */
const CREDIT_MIN_HEADROOM = 0.5;

/** A probe that never reports does not block the model for longer than this. */
const PROBE_TIMEOUT_MS = 60_000;

function sameLimits(a: Limits, b: Limits): boolean {
  return a.rpm === b.rpm && a.rpd === b.rpd && a.tpm === b.tpm && a.tpd === b.tpd && a.concurrency === b.concurrency;
}
