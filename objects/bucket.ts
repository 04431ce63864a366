// Token bucket with continuous refill: the per-minute request and token limits of every actor. The refill rate is
// `capacity` per minute unless a separate rate is given (a client's burst of 10 refilling at 20 a minute).

export interface Bucket {
  /** tokens available at `at` */
  level: number;
  /** ms since epoch of the last update */
  at: number;
}

/** A full bucket for a limit of `capacity` per minute. */
export function fullBucket(capacity: number, now: number): Bucket {
  return { level: capacity, at: now };
}

/** The bucket refilled up to `now` (`perMinute` per 60 s, never above capacity). */
export function refill(bucket: Bucket, capacity: number, now: number, perMinute = capacity): Bucket {
  const elapsed = Math.max(0, now - bucket.at);
  const level = Math.min(capacity, bucket.level + (elapsed * perMinute) / 60_000);
  return { level, at: Math.max(now, bucket.at) };
}

/** Milliseconds until the bucket holds `amount` (0 when it already does; Infinity when it never can). */
export function waitFor(bucket: Bucket, capacity: number, amount: number, now: number, perMinute = capacity): number {
  const b = refill(bucket, capacity, now, perMinute);
  if (b.level >= amount) return 0;
  if (amount > capacity || perMinute <= 0) return Infinity;
  return Math.ceil(((amount - b.level) * 60_000) / perMinute);
}

/** Take `amount` if the bucket holds it; returns the new bucket or null when refused. */
export function take(bucket: Bucket, capacity: number, amount: number, now: number, perMinute = capacity): Bucket | null {
  const b = refill(bucket, capacity, now, perMinute);
  // a tiny epsilon so float refill arithmetic never refuses a request that is exactly due
  if (b.level + 1e-9 < amount) return null;
  return { level: b.level - amount, at: b.at };
}

/** Give back `amount` (a reservation that was not used), capped at capacity. */
export function give(bucket: Bucket, capacity: number, amount: number, now: number): Bucket {
  const b = refill(bucket, capacity, now);
  return { level: Math.min(capacity, b.level + amount), at: b.at };
}

/** Force the level down to what the provider says remains (never up: our count may know of requests it has not seen yet). */
export function clampTo(bucket: Bucket, capacity: number, remaining: number, now: number): Bucket {
  const b = refill(bucket, capacity, now);
  return { level: Math.min(b.level, Math.max(0, remaining)), at: b.at };
}

/** Charge `amount` even below zero: tokens a provider really used beyond the reservation become debt. */
export function debit(bucket: Bucket, capacity: number, amount: number, now: number): Bucket {
  const b = refill(bucket, capacity, now);
  return { level: b.level - amount, at: b.at };
}
