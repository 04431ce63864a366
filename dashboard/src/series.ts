// Time series for the charts: the server returns only the buckets that saw traffic; charts want every minute.

export const MINUTE = 60_000;

/** Starts of the last `n` minutes, oldest first, the current minute last. */
export function minuteSlots(now: number, n: number): number[] {
  const last = Math.floor(now / MINUTE) * MINUTE;
  return Array.from({ length: n }, (_, i) => last - (n - 1 - i) * MINUTE);
}

/** One value per slot: the row that starts there, or `missing` when none did. */
export function perSlot<T extends { start: number }, V>(slots: readonly number[], rows: readonly T[], pick: (row: T) => V, missing: V): V[] {
  const at = new Map(rows.map((r) => [r.start, r]));
  return slots.map((s) => {
    const r = at.get(s);
    return r ? pick(r) : missing;
  });
}
