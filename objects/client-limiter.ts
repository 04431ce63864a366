// ClientLimiter: one Durable Object per gateway key (named by the key's hash) or per anonymous client IP.
// It knows the key's record (pushed by the registry), so one call both authenticates and rate-limits.

import { DurableObject } from "cloudflare:workers";
import type { AnonPolicy, ClientAdmission, KeyRecord } from "../shared/access.ts";
import { type Bucket, fullBucket, take, waitFor } from "./bucket.ts";
import { dayKey, nextReset } from "./day.ts";
import { DeferredRows, STATE_TABLE, StateRows, migrate } from "./sql.ts";

interface Usage {
  bucket: Bucket | null;
  day: { key: string; requests: number; tokens: number };
}

/** What the Worker asks: a key's limiter knows its own quota; an IP's is told the anonymous policy. */
export type TakeRequest = { kind: "key"; tokens?: number } | { kind: "ip"; policy: AnonPolicy; tokens?: number };

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
    const today = dayKey("UTC", now);
    if (this.#usage.day.key !== today) this.#usage = { ...this.#usage, day: { key: today, requests: 0, tokens: 0 } };
    if (req.tokens) this.#usage.day.tokens += req.tokens;
    let burst: number | undefined;
    let perMinute: number | undefined;
    let rpd: number | undefined;
    let tpd: number | undefined;
    if (req.kind === "key") {
      const r = this.#record;
      // A hash nobody registered: nothing is written, so guessing keys leaves no trace here.
      if (!r) return { ok: false, cause: "unknown_key", limit: 0, remaining: 0, resetMs: 0, retryAfterMs: 0 };
      if (r.revokedAt !== null) return { ok: false, cause: "revoked", limit: 0, remaining: 0, resetMs: 0, retryAfterMs: 0 };
      burst = perMinute = r.quota.rpm;
      rpd = r.quota.rpd;
      tpd = r.quota.tpd;
    } else {
      burst = req.policy.burst;
      perMinute = req.policy.perMinute;
    }
    const reset = nextReset("UTC", now);
    const day = this.#usage.day;
    if (rpd !== undefined && day.requests >= rpd) return this.#refuse("daily_requests", rpd, reset - now);
    if (tpd !== undefined && day.tokens >= tpd) return this.#refuse("daily_tokens", rpd ?? burst ?? 0, reset - now);
    let bucket = this.#usage.bucket;
    let remaining = Infinity;
    let resetMs = 0;
    if (burst !== undefined && perMinute !== undefined) {
      const current = bucket ?? fullBucket(burst, now);
      const next = take(current, burst, 1, now, perMinute);
      if (!next) return this.#refuse("rate", burst, waitFor(current, burst, 1, now, perMinute));
      bucket = next;
      remaining = Math.floor(next.level);
      resetMs = waitFor(next, burst, burst, now, perMinute);
    }
    this.#usage = { bucket, day: { ...day, requests: day.requests + 1 } };
    if (rpd !== undefined) remaining = Math.min(remaining, rpd - this.#usage.day.requests);
    this.#deferred.save("usage", () => this.#usage);
    const limit = burst ?? rpd ?? 0;
    return { ok: true, limit, remaining: Number.isFinite(remaining) ? remaining : limit, resetMs, key: this.#record };
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

  /** The registry's copy of this key: created, re-quoted or revoked (written at once: it decides access). */
  async setRecord(record: KeyRecord | null): Promise<void> {
    this.#record = record;
    this.#rows.put("record", record);
  }

  async usage(): Promise<{ requestsToday: number; tokensToday: number }> {
    const today = dayKey("UTC", Date.now());
    const day = this.#usage.day.key === today ? this.#usage.day : { requests: 0, tokens: 0 };
    return { requestsToday: day.requests, tokensToday: day.tokens };
  }
}
