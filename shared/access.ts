// Access-control contracts: gateway keys, their quotas, and what a client limiter answers.

/** Per-key quotas; absent = unlimited for that dimension. */
export interface KeyQuota {
  /** requests per minute (also the burst) */
  rpm?: number;
  /** requests per UTC day */
  rpd?: number;
  /** prompt + completion tokens per UTC day */
  tpd?: number;
}

/** A gateway key as stored: never the key itself, only its hash (kept by the registry) and this record. */
export interface KeyRecord {
  id: string;
  label: string;
  createdAt: number;
  revokedAt: number | null;
  quota: KeyQuota;
  /** model ids, provider wildcards ("groq/*"), family aliases or presets this key may use; null = all */
  models: string[] | null;
  /** the key's last 4 characters, so an operator can tell keys apart */
  hint: string;
  /** "high": may use the slice of each scarce daily allowance kept in reserve (PRIORITY_RESERVE_PERCENT); absent = normal */
  priority?: KeyPriority;
}

export type KeyPriority = "normal" | "high";

/** The anonymous allowance in open mode (ANON_BURST, ANON_RPM). */
export interface AnonPolicy {
  burst: number;
  perMinute: number;
}

export type RefusalCause = "unknown_key" | "revoked" | "rate" | "daily_requests" | "daily_tokens";

/** What a client limiter answers; the numbers feed the X-RateLimit-* headers. */
/**
 * Admissions a client's limiter grants one Worker isolate ahead, already counted: that isolate admits the client's
 * next `requests` requests until `until` without asking, and gives back what it did not use.
 */
export interface ClientCredit {
  requests: number;
  until: number;
  /** the UTC day they were counted in */
  day: string;
}

export type ClientAdmission =
  | { ok: true; limit: number; remaining: number; resetMs: number; key: KeyRecord | null; credit?: ClientCredit }
  | { ok: false; cause: RefusalCause; limit: number; remaining: number; resetMs: number; retryAfterMs: number };
