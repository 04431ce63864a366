// Credits from the Worker's side: admissions an actor granted this isolate ahead (shared/actors.ts `Credit`,
// shared/access.ts `ClientCredit`), spent by its next requests without an actor call. Deployed, every actor call
// may cross a continent and counts against the Durable Object request allowance; a busy model or client costs
// one call per credit instead of one per request.
//
// The actor stays the one authority: a credit is counted there when granted, so nothing is ever admitted twice
// and no limit is exceeded however many isolates hold credit. What an isolate gives up for it is freshness,
// bounded by the credit's lifetime (1 s): a cooldown or a revocation decided elsewhere reaches it by then. In this
// isolate a failure, an operator's change or a revocation ends the credit at once. Unspent admissions go back.

import { CREDIT_LEASE_PREFIX, MAX_CREDIT } from "../objects/limiter.ts";
import { countRpc } from "./stats.ts";

/** What is left of a credit, given back to its actor. */
export interface Leftover {
  requests: number;
  tokens: number;
  day: string;
}

/** A grant as either kind of actor words it (client credits carry no tokens). */
export interface Granted {
  requests: number;
  tokens?: number;
  until: number;
  day: string;
}

interface Held {
  requests: number;
  tokens: number;
  until: number;
  day: string;
  /** size of the last grant: a renewal is asked for once half of it is spent */
  granted: number;
  refund: (left: Leftover) => Promise<unknown>;
  /** when the watch that gives back a lapsed credit was started (0: none running) */
  watched: number;
}

/** The key of a model's credit, a pool's, a client limiter's. */
export const modelKey = (id: string): string => `m:${id}`;
export const poolKey = (id: string): string => `p:${id}`;
export const clientKey = (limiter: string): string => `c:${limiter}`;

const held = new Map<string, Held>();
/**
 * Ends of credit: a failure, an operator's change or a revocation ends a key's credit (one key's count), an
 * operator's change everyone's (`epoch`). Credit granted in answer to an ask made before an end is given back on
 * arrival, not held: it was granted on what the actor knew before.
 */
const ends = new Map<string, number>();
let epoch = 0;

/** A token for "no end since now", to pass to `hold` with the grant the ask brings. */
export function since(key: string): string {
  return `${epoch}.${ends.get(key) ?? 0}`;
}

/** Whether `key`'s credit ended after `token` was taken. */
export function endedSince(key: string, token: string): boolean {
  return since(key) !== token;
}

/** Credit asked for and not answered yet: one request per key asks, and the others may wait for its answer. */
const asking = new Set<string>();
const renewing = new Set<string>();
/** How often a request waiting for credit another request asked for looks again, and for how long at most. */
const WAIT_STEP_MS = 1;
const MAX_WAIT_MS = 2_000;

/** Requests per key in the current and the previous second: what a credit is sized by. */
const demand = new Map<string, { second: number; count: number; previous: number }>();
/** Fewer requests a second than this get no credit: an occasional caller costs no refunds. */
const MIN_RATE = 2;

/** Note one request for `key` (a model, pool or client) and say how much credit to ask for: 0 for none. */
export function demandFor(key: string, now = Date.now()): number {
  const second = Math.floor(now / 1000);
  let d = demand.get(key);
  if (!d) {
    if (demand.size >= 10_000) demand.clear();
    d = { second, count: 0, previous: 0 };
    demand.set(key, d);
  } else if (d.second !== second) {
    d.previous = d.second === second - 1 ? d.count : 0;
    d.count = 0;
    d.second = second;
  }
  d.count++;
  const rate = Math.max(d.previous, d.count);
  return rate < MIN_RATE ? 0 : Math.min(MAX_CREDIT, rate);
}

/**
 * How much credit this request should ask `key` for (0: none), claiming the right to ask: only one request
 * per key asks at a time. Pass the call to `answerOf`.
 */
export function askFor(key: string, wanted: number): number {
  if (wanted <= 0 || asking.has(key) || renewing.has(key)) return 0;
  const h = held.get(key);
  if (h && h.until > Date.now() && h.requests >= h.granted / 2) return 0;
  asking.add(key);
  return wanted;
}

/** The call that asks for the credit claimed with `askFor`: the claim ends when it settles. */
export function answerOf<T>(key: string, call: Promise<T>): Promise<T> {
  return call.finally(() => asking.delete(key));
}

/** Whether credit for `key` is being asked for right now (a request may wait for it instead of asking itself). */
export function creditPending(key: string): boolean {
  return asking.has(key) || renewing.has(key);
}

/**
 * Wait for the credit this isolate is being granted for `key`, if any, and say whether there is credit for one
 * request of `tokens` tokens now. For a request that arrives while it is asked for (no second call for the same
 * thing), and one the actor refused meanwhile (the grant, counted first, may be what it was refused for).
 */
export async function awaitCredit(key: string, tokens = 0): Promise<boolean> {
  // It looks again on timers of its own rather than being woken by the asking request: workerd ties what a promise
  // runs to the request that created or settled it, and a request must not go on in another's.
  const deadline = Date.now() + MAX_WAIT_MS;
  while (creditPending(key) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  return hasCredit(key, tokens);
}

/**
 * Keep a grant (adding to what is still held) for at most `ttlMs`, and make sure whatever is left goes back
 * when it lapses: one watch per key, kept alive by the request that started it.
 */
export function hold(
  key: string,
  g: Granted,
  refund: Held["refund"],
  waitUntil: (p: Promise<unknown>) => void,
  ttlMs: number,
  asked: string,
): void {
  const now = Date.now();
  const tokens = g.tokens ?? 0;
  if (endedSince(key, asked)) {
    const back = giveBack({ requests: g.requests, tokens, until: g.until, day: g.day, granted: g.requests, refund, watched: 0 });
    if (back) waitUntil(back);
    return;
  }
  const until = Math.min(g.until, now + ttlMs);
  let h = held.get(key);
  if (h && h.until > now && h.day === g.day) {
    h.requests += g.requests;
    h.tokens += tokens;
    h.until = Math.max(h.until, until);
    h.granted = g.requests;
    h.refund = refund;
  } else {
    // What the old grant still holds goes back, kept alive like every call this request starts.
    const back = h ? giveBack(h) : undefined;
    if (back) waitUntil(back);
    h = { requests: g.requests, tokens, until, day: g.day, granted: g.requests, refund, watched: 0 };
    held.set(key, h);
  }
  // A request may be kept alive only so long after its response (30 s deployed): a credit renewed for longer
  // has its watch handed on to a later grant's request. The last watch ends at most `ttlMs` after its grant.
  if (now - h.watched > HANDOVER_MS) {
    h.watched = now;
    waitUntil(watch(key, h));
  }
}

/** A watch older than this is taken over by the next grant's request. */
const HANDOVER_MS = 10_000;

/** Wait for `h` to lapse, then give back what it still holds. */
async function watch(key: string, h: Held): Promise<void> {
  const started = h.watched;
  for (;;) {
    const wait = h.until - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 10));
    if (held.get(key) !== h || h.watched !== started) return; // dropped, replaced, or watched by a later request
    if (h.until > Date.now()) continue; // renewed meanwhile
    held.delete(key);
    await giveBack(h);
    return;
  }
}

function giveBack(h: Held): Promise<unknown> | undefined {
  if (h.requests <= 0 && h.tokens <= 0) return undefined;
  countRpc();
  const left = { requests: h.requests, tokens: h.tokens, day: h.day };
  h.requests = 0;
  h.tokens = 0;
  return h.refund(left).catch(() => undefined);
}

/** Whether `key` has credit for one request of `tokens` tokens now (nothing is spent). */
export function hasCredit(key: string, tokens = 0, now = Date.now()): boolean {
  const h = held.get(key);
  return !!h && h.until > now && h.requests >= 1 && h.tokens >= tokens;
}

/**
 * Spend one admission of `key` (check `hasCredit` first). Returns whether the credit is running low, so the
 * caller can ask for more in the background.
 */
export function spend(key: string, tokens = 0): boolean {
  const h = held.get(key) as Held;
  h.requests--;
  h.tokens -= tokens;
  return h.requests < h.granted / 2;
}

let isolateTag = "";
let leaseSeq = 0;

/**
 * The lease of an admission spent from `key`'s credit: the day its credit was counted on, and an id no other
 * request of any isolate shares, so its actor closes it once and against that day (objects/limiter.ts `leaseDay`).
 */
export function creditLease(key: string): string {
  // Random only inside a request: Workers refuse to generate randomness at startup.
  if (isolateTag === "") isolateTag = Math.random().toString(36).slice(2, 10);
  return `${CREDIT_LEASE_PREFIX}${held.get(key)?.day ?? ""}:${isolateTag}.${(leaseSeq++).toString(36)}`;
}

/** Put back one admission that was spent but never used (the request stopped before reaching the provider). */
export function unspend(key: string, tokens = 0): boolean {
  const h = held.get(key);
  if (!h || h.until <= Date.now()) return false;
  h.requests++;
  h.tokens += tokens;
  return true;
}

/**
 * Ask for more credit in the background, once per key at a time: `renew` makes the actor call and returns the
 * grant (or null, which leaves what is held to run out).
 */
export function renewIn(key: string, wanted: number, renew: () => Promise<unknown>, waitUntil: (p: Promise<unknown>) => void): void {
  if (wanted <= 0 || renewing.has(key) || asking.has(key)) return;
  renewing.add(key);
  countRpc();
  waitUntil(
    renew()
      .catch(() => undefined)
      .finally(() => renewing.delete(key)),
  );
}

/** End a credit now and give back what it held (a failure, an operator's change). Returns the refund's call. */
export function drop(key: string): Promise<unknown> | undefined {
  if (ends.size >= 10_000) {
    ends.clear();
    epoch++; // every token taken before is now stale, which only costs a refund
  }
  ends.set(key, (ends.get(key) ?? 0) + 1);
  const h = held.get(key);
  if (!h) return undefined;
  held.delete(key);
  return giveBack(h);
}

/** End every credit whose key starts with `prefix` (all of them by default); resolves when all are returned. */
export async function dropAll(prefix = ""): Promise<void> {
  epoch++;
  await Promise.all([...held.keys()].filter((k) => k.startsWith(prefix)).map((k) => drop(k)));
}

/** Credit held for `key` (what X-RateLimit-Remaining adds back, and tests). */
export function creditOf(key: string): { requests: number; tokens: number; until: number } | undefined {
  const h = held.get(key);
  return h && { requests: h.requests, tokens: h.tokens, until: h.until };
}
