// A per-minute limit counted as providers count it: what was used in the last 60 seconds, by the second. A
// token bucket refilling a minute's allowance per minute lets twice the limit through in some 60 s (a burst,
// then the refill); a provider counting a sliding minute answers the second half with 429s.

/** What was used, by the second: [epoch second, amount], oldest first, none older than a minute. */
export interface Window {
  used: Array<[number, number]>;
}

const SPAN_MS = 60_000;

/** Nothing used yet. */
export function emptyWindow(): Window {
  return { used: [] };
}

/**
 * A window from what storage holds: a window, or a token bucket as earlier versions kept it (`level` left of
 * `capacity` at `at`: the rest counts as used at that moment), or nothing.
 */
export function windowOf(stored: unknown, capacity: number, now: number): Window {
  if (stored && typeof stored === "object" && Array.isArray((stored as Window).used)) return stored as Window;
  const b = stored as { level?: unknown; at?: unknown } | null;
  if (b && typeof b.level === "number" && typeof b.at === "number" && b.level < capacity && now - b.at < SPAN_MS) {
    return { used: [[Math.floor(b.at / 1000), capacity - b.level]] };
  }
  return emptyWindow();
}

/** The entries still inside the minute before `now`. */
function current(w: Window, now: number): Array<[number, number]> {
  const from = now - SPAN_MS;
  let i = 0;
  while (i < w.used.length && ((w.used[i] as [number, number])[0] + 1) * 1000 <= from) i++;
  return i === 0 ? w.used : w.used.slice(i);
}

function sum(used: Array<[number, number]>): number {
  let n = 0;
  for (const [, a] of used) n += a;
  return n;
}

/** `used` with `amount` more in the second of `now`. */
function add(used: Array<[number, number]>, amount: number, now: number): Window {
  const sec = Math.floor(now / 1000);
  const last = used[used.length - 1];
  if (last && last[0] >= sec) return { used: [...used.slice(0, -1), [last[0], last[1] + amount]] };
  return { used: [...used, [sec, amount]] };
}

/** What is left of `capacity` in the minute before `now` (below zero after a debt). */
export function left(w: Window, capacity: number, now: number): number {
  return capacity - sum(current(w, now));
}

/** Take `amount` if the last minute's use leaves room for it; the new window, or null when refused. */
export function take(w: Window, capacity: number, amount: number, now: number): Window | null {
  const used = current(w, now);
  // a tiny epsilon so float arithmetic never refuses what exactly fits
  if (sum(used) + amount > capacity + 1e-9) return null;
  return add(used, amount, now);
}

/** Milliseconds until `amount` fits (0 when it does now; Infinity when it never can): when enough use ages out. */
export function waitFor(w: Window, capacity: number, amount: number, now: number): number {
  if (amount > capacity) return Infinity;
  const used = current(w, now);
  let excess = sum(used) + amount - capacity;
  if (excess <= 1e-9) return 0;
  for (const [sec, a] of used) {
    excess -= a;
    if (excess <= 1e-9) return Math.max(1, (sec + 1) * 1000 + SPAN_MS - now);
  }
  return SPAN_MS;
}

/**
 * Give back `amount` (a reservation that was not used), from the oldest use first: it may come back sooner than
 * it ages out, never later than the provider lets it.
 */
export function give(w: Window, amount: number, now: number): Window {
  const used = current(w, now).map((e): [number, number] => [e[0], e[1]]);
  let rest = amount;
  for (const e of used) {
    if (rest <= 0) break;
    const back = Math.min(e[1], rest);
    e[1] -= back;
    rest -= back;
  }
  return { used: used.filter((e) => e[1] > 0) };
}

/** Charge `amount` even past the limit: tokens a provider really used beyond the reservation become debt. */
export function debit(w: Window, amount: number, now: number): Window {
  return amount > 0 ? add(current(w, now), amount, now) : w;
}

/** `used` with `amount` more in epoch second `sec`, kept in order. */
function addAt(used: Array<[number, number]>, amount: number, sec: number): Array<[number, number]> {
  const out = used.map((e): [number, number] => [e[0], e[1]]);
  const i = out.findIndex((e) => e[0] >= sec);
  if (i < 0) out.push([sec, amount]);
  else if ((out[i] as [number, number])[0] === sec) (out[i] as [number, number])[1] += amount;
  else out.splice(i, 0, [sec, amount]);
  return out;
}

/**
 * Count at least what the provider says is used (`capacity - remaining`); never less than we counted (our count
 * may know of requests it has not seen yet). What we did not know of ages out when the provider says its minute
 * resets (`resetMs` from now); without that, as if it had been spread over the minute.
 */
export function clampTo(w: Window, capacity: number, remaining: number, now: number, resetMs?: number): Window {
  let used = current(w, now);
  const short = capacity - Math.max(0, remaining) - sum(used);
  if (short <= 0) return { used };
  const sec = Math.floor(now / 1000);
  if (resetMs !== undefined && resetMs >= 0) {
    // An entry counts until the end of its second plus a minute: this one until the provider's reset.
    return { used: addAt(used, short, Math.min(sec, Math.max(sec - 60, Math.floor((now + resetMs - SPAN_MS) / 1000)))) };
  }
  // Oldest first, a sixtieth of the limit a second: it comes back at the rate a bucket refilling the minute would
  // give it, the first part within a second.
  let rest = short;
  for (let k = 0; k < 60 && rest > 1e-9; k++) {
    const part = Math.min(rest, capacity / 60);
    used = addAt(used, part, sec - 60 + k);
    rest -= part;
  }
  return { used };
}
