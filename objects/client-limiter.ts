// ClientLimiter: one Durable Object per gateway key (named by the key's hash) or per anonymous client IP.
// It knows the key's record (pushed by the registry), so one call both authenticates and rate-limits.

import { DurableObject } from "cloudflare:workers";
import type { AnonPolicy, ClientAdmission, ClientCredit, KeyRecord } from "../shared/access.ts";
import { type Bucket, fullBucket, refill, take, waitFor } from "./bucket.ts";
import { dayKey, nextReset } from "./day.ts";
import { CREDIT_DAILY_SHARE, CREDIT_SHARE, CREDIT_TTL_MS, MAX_CREDIT } from "./limiter.ts";
import { DeferredRows, STATE_TABLE, StateRows, migrate } from "./sql.ts";

interface Usage {
  bucket: Bucket | null;
  day: { key: string; requests: number; tokens: number };
}

/**
 * What the Worker asks: a key's limiter knows its own quota; an IP's is told the anonymous policy. `credit`:
 * admissions the isolate would like to hold for this client's next requests (shared/access.ts `ClientCredit`).
 */
export type TakeRequest = ({ kind: "key" } | { kind: "ip"; policy: AnonPolicy }) & { tokens?: number; credit?: number };

interface Quota {
  burst?: number;
  perMinute?: number;
  rpd?: number;
  tpd?: number;
}

export class ClientLimiter extends DurableObject<Record<string, never>> {
  readonly #rows: StateRows;
  readonly #deferred: DeferredRows;
  #record: KeyRecord | null;
  #usage: Usage;

  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    migrate(ctx.storage.sql, [STATE_TABLE]);
    this.#rows = new StateRows(ctx.storage.sql);
    this.#deferred = new DeferredRows(this.#rows);
    this.#record = this.#rows.get<KeyRecord>("record") ?? null;
    this.#usage = this.#rows.get<Usage>("usage") ?? { bucket: null, day: { key: "", requests: 0, tokens: 0 } };
  }

  /** Count one request (and tokens used by earlier ones), or refuse it with when to come back. */
  async take(req: TakeRequest): Promise<ClientAdmission> {
    const now = Date.now();
    const q = this.#quota(req, now);
    if ("ok" in q) return q;
    const { burst, perMinute, rpd, tpd } = q;
    const reset = nextReset("UTC", now);
    const day = this.#usage.day;
    if (rpd !== undefined && day.requests >= rpd) return this.#refuse("daily_requests", rpd, reset - now);
    if (tpd !== undefined && day.tokens >= tpd) return this.#refuse("daily_tokens", rpd ?? burst ?? 0, reset - now);
    let bucket = this.#usage.bucket;
    if (burst !== undefined && perMinute !== undefined) {
      const current = bucket ?? fullBucket(burst, now);
      const next = take(current, burst, 1, now, perMinute);
      if (!next) return this.#refuse("rate", burst, waitFor(current, burst, 1, now, perMinute));
      bucket = next;
    }
    this.#usage = { bucket, day: { ...day, requests: day.requests + 1 } };
    const credit = req.credit ? this.#grant(q, req.credit, now) : undefined;
    this.#deferred.save("usage", () => this.#usage);
    return this.#admitted(q, now, credit);
  }

  /** Credit alone, for an isolate spending this client's last one: a refusal (revoked, limited) ends it. */
  async renew(req: TakeRequest): Promise<ClientAdmission> {
    const now = Date.now();
    const q = this.#quota(req, now);
    if ("ok" in q) return q;
    const credit = this.#grant(q, req.credit ?? 0, now);
    if (!credit) return this.#refuse("rate", q.burst ?? 0, 0);
    this.#deferred.save("usage", () => this.#usage);
    return this.#admitted(q, now, credit);
  }

  /** Admissions of a credit the isolate did not spend. */
  async refund(req: TakeRequest, credit: Pick<ClientCredit, "requests" | "day">): Promise<void> {
    const now = Date.now();
    const q = this.#quota(req, now);
    let bucket = this.#usage.bucket;
    if (bucket && !("ok" in q) && q.burst !== undefined && q.perMinute !== undefined) {
      const b = refill(bucket, q.burst, now, q.perMinute);
      bucket = { level: Math.min(q.burst, b.level + credit.requests), at: b.at };
    }
    const day = this.#usage.day;
    this.#usage = {
      bucket,
      day: day.key === credit.day ? { ...day, requests: Math.max(0, day.requests - credit.requests) } : day,
    };
    this.#deferred.save("usage", () => this.#usage);
  }

  /** The quota that applies, or the refusal of an unknown or revoked key. Rolls the day over first. */
  #quota(req: TakeRequest, now: number): Quota | ClientAdmission {
    const today = dayKey("UTC", now);
    if (this.#usage.day.key !== today) this.#usage = { ...this.#usage, day: { key: today, requests: 0, tokens: 0 } };
    if (req.tokens) this.#usage.day.tokens += req.tokens;
    if (req.kind === "ip") return { burst: req.policy.burst, perMinute: req.policy.perMinute };
    const r = this.#record;
    // A hash nobody registered: nothing is written, so guessing keys leaves no trace here.
    if (!r) return { ok: false, cause: "unknown_key", limit: 0, remaining: 0, resetMs: 0, retryAfterMs: 0 };
    if (r.revokedAt !== null) return { ok: false, cause: "revoked", limit: 0, remaining: 0, resetMs: 0, retryAfterMs: 0 };
    return { burst: r.quota.rpm, perMinute: r.quota.rpm, rpd: r.quota.rpd, tpd: r.quota.tpd };
  }

  /**
   * Up to `wanted` admissions ahead, counted now, when the client has plenty left. None for a daily token quota:
   * tokens are only known after each request, so every request must be checked against it.
   */
  #grant(q: Quota, wanted: number, now: number): ClientCredit | undefined {
    if (q.tpd !== undefined || wanted < 1) return undefined;
    let n = Math.min(Math.floor(wanted), MAX_CREDIT);
    const day = this.#usage.day;
    if (q.rpd !== undefined) n = Math.min(n, Math.floor((q.rpd - day.requests) * CREDIT_DAILY_SHARE));
    let bucket = this.#usage.bucket;
    if (q.burst !== undefined && q.perMinute !== undefined) {
      const b = refill(bucket ?? fullBucket(q.burst, now), q.burst, now, q.perMinute);
      n = Math.min(n, Math.floor(b.level * CREDIT_SHARE));
      if (n < 1) return undefined;
      bucket = { level: b.level - n, at: b.at };
    }
    if (n < 1) return undefined;
    this.#usage = { bucket, day: { ...day, requests: day.requests + n } };
    return { requests: n, until: now + CREDIT_TTL_MS, day: day.key };
  }

  #admitted(q: Quota, now: number, credit: ClientCredit | undefined): ClientAdmission {
    const { burst, perMinute, rpd } = q;
    let remaining = Infinity;
    let resetMs = 0;
    const bucket = this.#usage.bucket;
    if (bucket && burst !== undefined && perMinute !== undefined) {
      remaining = Math.floor(refill(bucket, burst, now, perMinute).level);
      resetMs = waitFor(bucket, burst, burst, now, perMinute);
    }
    if (rpd !== undefined) remaining = Math.min(remaining, rpd - this.#usage.day.requests);
    const limit = burst ?? rpd ?? 0;
    const a: ClientAdmission = { ok: true, limit, remaining: Number.isFinite(remaining) ? remaining : limit, resetMs, key: this.#record };
    if (credit) a.credit = credit;
    return a;
  }

  #refuse(cause: "rate" | "daily_requests" | "daily_tokens", limit: number, retryAfterMs: number): ClientAdmission {
    return { ok: false, cause, limit, remaining: 0, resetMs: retryAfterMs, retryAfterMs };
  }

  /** Tokens a finished request used, when no later request came along to carry them. */
  async charge(tokens: number): Promise<void> {
    const today = dayKey("UTC", Date.now());
    if (this.#usage.day.key !== today) this.#usage = { ...this.#usage, day: { key: today, requests: 0, tokens: 0 } };
    this.#usage.day.tokens += tokens;
    this.#deferred.save("usage", () => this.#usage);
  }

  /**
   * The registry's copy of this key: created, re-quoted or revoked (written at once: it decides access). Two
   * hand-overs can overtake each other on the way; `version` keeps the newer one.
   */
  async setRecord(record: KeyRecord, version: number): Promise<void> {
    if (version <= (this.#rows.get<number>("recordVersion") ?? 0)) return;
    this.#record = record;
    this.#rows.put("record", record);
    this.#rows.put("recordVersion", version);
  }

  async usage(): Promise<{ requestsToday: number; tokensToday: number }> {
    const today = dayKey("UTC", Date.now());
    const day = this.#usage.day.key === today ? this.#usage.day : { requests: 0, tokens: 0 };
    return { requestsToday: day.requests, tokensToday: day.tokens };
  }
}
