// The auction: rank candidates from what this isolate remembers, ask the most promising few, keep one winner.

import type { Bid, Grant, Need, Pacing, Snapshot } from "../shared/actors.ts";
import { type Catalog, dailyRule } from "../shared/catalog/index.ts";
import type { ModelSpec, PoolSpec, PresetSpec } from "../shared/catalog/types.ts";
import { SCARCE_RPD } from "../objects/pace.ts";
import { abundance, priorSnapshot, RECOVER_MS, score } from "../objects/score.ts";
import { answerOf, askFor, awaitCredit, creditLease, creditPending, demandFor, dropAll, endedSince, hasCredit, hold, type Leftover, modelKey, poolKey, renewIn, since, spend, unspend } from "./credits.ts";
import type { Env } from "./env.ts";
import { requeue, takeReports } from "./reports.ts";
import { countRpc } from "./stats.ts";
import type { Settings } from "./settings.ts";
import type { Watchdog } from "./watchdog.ts";

interface Remembered {
  snap: Snapshot;
  /** local clock when stored */
  seen: number;
}

/** An isolate-wide memory of actor snapshots: most requests need one actor call, not one per candidate. */
const models = new Map<string, Remembered>();
const pools = new Map<string, Remembered>();
/** What a model nobody has asked yet looks like (shared: ranking hundreds of models must not allocate each). */
const PRIOR = Object.freeze(priorSnapshot(0));
/** A remembered refusal older than this is asked again. */
const RECHECK_MS = 30_000;
/** A snapshot this old is refreshed by asking more than one candidate. */
const FRESH_MS = 10_000;

/**
 * What to remember of a refusal. A full bucket or busy slots may free up within moments (other requests' unused
 * reservations come back), so such refusals are trusted for a second, not until the bucket would refill; a
 * cooldown or a spent daily allowance is trusted until it ends.
 */
function briefly(bid: Extract<Bid, { ok: false }>): Snapshot {
  const transient = bid.reason === "rpm" || bid.reason === "tpm" || bid.reason === "concurrency" || bid.reason === "probe_in_flight";
  return transient ? { ...bid.state, retryAt: Math.min(bid.state.retryAt, Date.now() + 1000) } : bid.state;
}

export function remember(id: string, snap: Snapshot, isPool = false): void {
  (isPool ? pools : models).set(id, { snap, seen: Date.now() });
}

export function remembered(id: string): Snapshot | undefined {
  return models.get(id)?.snap;
}

/**
 * Models that failed lately (without being cooled down): ranked lower, they could go unasked for good, and never
 * show they recovered. After PROBE_AFTER_MS one request in this isolate is sent to such a model ahead of the
 * ranking, like a breaker's half-open probe; what it shows decides the ranking from then on.
 */
const suspects = new Map<string, number>();
export const PROBE_AFTER_MS = 5_000;

/**
 * Providers whose models failed lately (5xx, reset, stall, timeout). A provider that errors is likely failing for
 * all its models: the request that met it skips them all (chat.ts), and later requests in this isolate rank them
 * lower instead of trying them one after another, until one of them answers. The discount fades as a model's own
 * lost trust comes back (RECOVER_MS), so the provider is asked again in time even if no probe clears it.
 */
const troubled = new Map<string, { at: number; fails: number }>();
/** What each failure in a row leaves of the trust in the provider's models (three at most count). */
const PROVIDER_DISCOUNT = 0.5;
const PROVIDER_FAILS_COUNTED = 3;

/** A model failed just now: probe it again later, and trust its provider's other models less meanwhile. */
export function suspect(id: string, provider: string | undefined): void {
  const now = Date.now();
  suspects.set(id, now);
  if (provider === undefined) return;
  const prev = troubled.get(provider);
  const fails = prev && now - prev.at < RECOVER_MS ? Math.min(prev.fails + 1, PROVIDER_FAILS_COUNTED) : 1;
  troubled.set(provider, { at: now, fails });
}

/** A model answered: nothing to probe, and its provider is serving. */
export function cleared(id: string, provider: string | undefined): void {
  if (suspects.size > 0) suspects.delete(id);
  if (troubled.size > 0 && provider !== undefined) troubled.delete(provider);
}

/** How far this isolate trusts a provider's models after its recent failures: 1 when it has none. */
export function providerTrust(provider: string, now: number): number {
  const t = troubled.get(provider);
  if (!t) return 1;
  const lost = (1 - PROVIDER_DISCOUNT ** t.fails) * Math.exp(-Math.max(0, now - t.at) / RECOVER_MS);
  if (lost >= 0.01) return 1 - lost;
  troubled.delete(provider);
  return 1;
}

/** A model of `group` due for its probe (and taken off the list), or null. */
function dueProbe(input: AuctionInput, group: ModelSpec[], now: number, asked: ReadonlySet<string>): Ranked | null {
  if (suspects.size === 0 || input.hedge || input.noProbe) return null;
  for (const m of group) {
    const at = suspects.get(m.id);
    if (at === undefined || now - at < PROBE_AFTER_MS || input.excluded.has(m.id) || asked.has(m.id)) continue;
    suspects.delete(m.id);
    const r = judge(input, m, now);
    if (r.score !== -Infinity) return r;
  }
  return null;
}

/** Give back a winner's reservation that never went upstream (off the critical path). */
export function releaseWin(env: Env, ctx: ExecutionContext, win: Winner): number {
  if (win.onCredit) {
    // Back into this isolate's credit while it lasts; a lapsed credit already went back, so the actor gets it.
    const pool = win.model.pool;
    const model = unspend(modelKey(win.model.id), win.reserved);
    const pooled = !pool || unspend(poolKey(pool), win.reserved);
    if (!model) {
      countRpc();
      ctx.waitUntil(env.MODEL_ACTOR.getByName(win.model.id).release(win.lease, win.reserved).catch(() => undefined));
    }
    if (!pooled && pool) {
      countRpc();
      ctx.waitUntil(env.POOL_ACTOR.getByName(pool).release(win.poolLease ?? win.lease, win.reserved).catch(() => undefined));
    }
    return (model ? 0 : 1) + (!pooled && pool ? 1 : 0);
  }
  const calls = win.poolLease && win.model.pool ? 2 : 1;
  countRpc(calls);
  ctx.waitUntil(env.MODEL_ACTOR.getByName(win.model.id).release(win.lease, win.reserved).catch(() => undefined));
  if (win.poolLease && win.model.pool) ctx.waitUntil(env.POOL_ACTOR.getByName(win.model.pool).release(win.poolLease, win.reserved).catch(() => undefined));
  return calls;
}

/**
 * Forget everything (tests; an operator's change should not wait for stale memories): what was remembered, and
 * the credit held for models and pools, given back. Resolves once the credit is back with the actors.
 */
export function forgetAll(): Promise<void> {
  models.clear();
  pools.clear();
  suspects.clear();
  troubled.clear();
  return dropAll("m:").then(() => dropAll("p:"));
}

/** A candidate that was asked and said no, for the route trace. */
export interface Refusal {
  model: string;
  reason: string;
}

export interface Winner {
  ok: true;
  model: ModelSpec;
  lease: string;
  poolLease: string | null;
  /** the pool holds something for this admission until the outcome closes it (Bid `closes`) */
  poolCloses?: boolean;
  reserved: number;
  /** what the winner said about itself (its p95 times decide when to hedge) */
  state: Snapshot;
  /** actor calls this auction made (bids, takes, releases) */
  rpcs: number;
  refused: Refusal[] | null;
  /** admitted on credit this isolate held (worker/credits.ts), without asking the actor */
  onCredit?: boolean;
}

/** Refusals for want of room (not a cooldown or a switch): credit this isolate holds may still serve. */
const ROOM = new Set<string>(["rpm", "tpm", "rpd", "tpd", "paced", "concurrency"]);

export interface NoWinner {
  ok: false;
  /** earliest moment any candidate can admit (ms since epoch), Infinity when none ever can */
  retryAt: number;
  /** every candidate refused because the request alone exceeds its per-minute/day token limit */
  tooLarge: boolean;
  rpcs: number;
  refused: Refusal[] | null;
}

export interface AuctionInput {
  env: Env;
  /** the request's one timer; its deadline is set to now + BID_DEADLINE_MS by the auction */
  watchdog: Watchdog;
  ctx: ExecutionContext;
  catalog: Catalog;
  settings: Settings;
  groups: ModelSpec[][];
  preset: PresetSpec;
  excluded: ReadonlySet<string>;
  /** tokens to reserve for this model (prompt + expected completion) */
  tokensFor: (m: ModelSpec) => number;
  /** daily-allowance pacing and the caller's priority */
  pacing?: Pacing;
  /** a hedged request: only candidates with ample headroom and no scarce daily allowance */
  hedge?: boolean;
  /** no probes of lately failed models (a rescue in progress has no second chance to spare) */
  noProbe?: boolean;
}

/** Headroom below this share is not "ample": a hedge or a decision not to wait needs more. */
const AMPLE = 0.5;

/** Room enough to take extra work: not cooling, not scarce, at least half its limits free (and its pool's). */
function roomy(s: Snapshot, now: number): boolean {
  return !s.disabled && s.cooldownUntil <= now && s.retryAt <= now && !s.scarce && s.headroom >= AMPLE;
}

/**
 * As far as this isolate knows, `m` could take a request now without touching a scarce allowance. What it has
 * not heard about yet is judged by the catalog: a small daily allowance is scarce from its first request.
 */
export function ample(m: ModelSpec, now = Date.now(), catalog?: Catalog): boolean {
  if ((m.limits.rpd ?? Infinity) < SCARCE_RPD) return false;
  if (!roomy(models.get(m.id)?.snap ?? PRIOR, now)) return false;
  const poolSpec = m.pool ? catalog?.pools.get(m.pool) : undefined;
  if ((poolSpec?.limits.rpd ?? Infinity) < SCARCE_RPD) return false;
  const pool = m.pool ? pools.get(m.pool)?.snap : undefined;
  return !pool || roomy(pool, now);
}

interface Ranked {
  model: ModelSpec;
  score: number;
  fresh: boolean;
  retryAt: number;
  /** held back by a cooldown or switched off (not merely a full bucket a moment ago) */
  cooling: boolean;
}

/** A candidate's score and when it can next admit, from what this isolate remembers. */
function judge(input: AuctionInput, m: ModelSpec, now: number): Ranked {
  let mem = models.get(m.id);
  // A remembered refusal (disabled, cooling) is re-checked after a while: an operator or another isolate may
  // have changed it, and only the actor knows.
  if (mem && now - mem.seen > RECHECK_MS && (mem.snap.disabled || mem.snap.cooldownUntil > now || mem.snap.retryAt > now)) mem = undefined;
  const snap = mem?.snap ?? PRIOR;
  let s = input.hedge && !ample(m, now, input.catalog) ? -Infinity : score(snap, now, input.preset.latencyWeight, abundance(m.limits.rpd));
  if (troubled.size > 0) s *= providerTrust(m.provider, now);
  let retryAt = Math.max(snap.cooldownUntil, snap.retryAt);
  let cooling = snap.disabled || snap.cooldownUntil > now;
  const pool = m.pool ? pools.get(m.pool) : undefined;
  if (pool && now - pool.seen <= RECHECK_MS) {
    const ps = pool.snap;
    if (ps.disabled || ps.cooldownUntil > now || ps.retryAt > now) {
      s = -Infinity;
      retryAt = Math.max(retryAt, ps.cooldownUntil, ps.retryAt);
      cooling ||= ps.disabled || ps.cooldownUntil > now;
    } else s *= 0.2 + 0.8 * ps.headroom;
  }
  // A little jitter spreads equally good candidates over isolates instead of stampeding one.
  return { model: m, score: s * (JITTER_MAX - Math.random() * 0.1), fresh: !!mem && now - mem.seen < FRESH_MS, retryAt, cooling };
}

/** The most the jitter raises a score. */
const JITTER_MAX = 1.05;

/** The score of a model nobody has asked yet, by latency weight and daily allowance (it never changes). */
const priorScores = new Map<number, Map<number | undefined, number>>();
function priorScore(latencyWeight: number, rpd: number | undefined): number {
  let byRpd = priorScores.get(latencyWeight);
  if (!byRpd) priorScores.set(latencyWeight, (byRpd = new Map()));
  let s = byRpd.get(rpd);
  if (s === undefined) {
    s = score(PRIOR, Date.now(), latencyWeight, abundance(rpd));
    if (byRpd.size < 1000) byRpd.set(rpd, s);
  }
  return s;
}

/**
 * The best `k` candidates that can serve now, best first — in one pass, without sorting or keeping the rest
 * (catalogs run to hundreds of models, and this runs on every request).
 */
function leaders(input: AuctionInput, group: ModelSpec[], now: number, asked: ReadonlySet<string>, k: number): Ranked[] {
  const top: Ranked[] = [];
  const weight = input.preset.latencyWeight;
  for (const m of group) {
    // A model this isolate knows nothing of scores as the prior does, give or take the jitter: when even its best
    // draw cannot make the top k, it is not worth judging (most of a large catalog, on most requests).
    if (top.length === k && !input.hedge && m.pool === undefined && !models.has(m.id) && priorScore(weight, m.limits.rpd) * JITTER_MAX <= (top[k - 1] as Ranked).score) continue;
    if (input.excluded.has(m.id) || asked.has(m.id)) continue;
    const r = judge(input, m, now);
    if (r.score === -Infinity) continue;
    if (top.length < k) top.push(r);
    else if (r.score > (top[k - 1] as Ranked).score) top[k - 1] = r;
    else continue;
    top.sort((a, b) => b.score - a.score);
  }
  return top;
}

/** Every remaining candidate, for the rare round where none looks able to serve. */
function blocked(input: AuctionInput, group: ModelSpec[], now: number, asked: ReadonlySet<string>): Ranked[] {
  return group.filter((m) => !input.excluded.has(m.id) && !asked.has(m.id)).map((m) => judge(input, m, now));
}

function need(input: AuctionInput, m: ModelSpec): Need {
  const provider = input.catalog.providers.get(m.provider);
  return {
    model: m.id,
    tokens: input.tokensFor(m),
    defaults: m.limits,
    ...dailyRule(provider),
    pool: m.pool,
    pacing: input.pacing,
    hedge: input.hedge,
  };
}

function poolNeed(n: Need, pool: PoolSpec): Need {
  return { ...n, defaults: pool.limits };
}

/** Where a model's unspent credit goes back. */
function refundModel(env: Env, id: string): (left: Leftover) => Promise<unknown> {
  return (left) => env.MODEL_ACTOR.getByName(id).refund(left);
}

function refundPool(env: Env, id: string): (left: Leftover) => Promise<unknown> {
  return (left) => env.POOL_ACTOR.getByName(id).refund(left);
}

/**
 * The leader admitted on this isolate's credit, when it holds credit for the model (and its pool) that covers
 * the request: no actor call. Credit running low is renewed in the background.
 */
function onCredit(input: AuctionInput, m: ModelSpec, want: number, refused: Refusal[] | null): Winner | null {
  const tokens = input.tokensFor(m);
  const mk = modelKey(m.id);
  const pk = m.pool ? poolKey(m.pool) : undefined;
  const now = Date.now();
  if (!hasCredit(mk, tokens, now) || (pk !== undefined && !hasCredit(pk, tokens, now))) return null;
  const { env, ctx } = input;
  const waitUntil = (p: Promise<unknown>): void => ctx.waitUntil(p);
  if (spend(mk, tokens)) {
    renewIn(
      mk,
      want,
      () => {
        const carried = takeReports(env, m.id);
        const asked = since(mk);
        return (env.MODEL_ACTOR.getByName(m.id).renew({ ...need(input, m), credit: want }, carried) as Promise<Grant>).then(
          (g) => {
            // A failure since: the actor answered before it heard of it, so its word is old news.
            if (!endedSince(mk, asked)) remember(m.id, g.state);
            if (g.credit) hold(mk, g.credit, refundModel(env, m.id), waitUntil, input.settings.creditMs, asked);
          },
          (e: unknown) => {
            requeue(env, ctx, carried);
            throw e;
          },
        );
      },
      waitUntil,
    );
  }
  const pool = m.pool ? input.catalog.pools.get(m.pool) : undefined;
  if (pk !== undefined && spend(pk, tokens) && pool) {
    renewIn(
      pk,
      want,
      () => {
        const asked = since(pk);
        return (env.POOL_ACTOR.getByName(pool.id).renew(poolNeed({ ...need(input, m), credit: want }, pool)) as Promise<Grant>).then((g) => {
          if (!endedSince(pk, asked)) remember(pool.id, g.state, true);
          if (g.credit) hold(pk, g.credit, refundPool(env, pool.id), waitUntil, input.settings.creditMs, asked);
        });
      },
      waitUntil,
    );
  }
  return {
    ok: true,
    model: m,
    // No reservation of its own at the actor (the credit was counted there): the lease only names the admission.
    lease: creditLease(mk),
    poolLease: pk !== undefined ? creditLease(pk) : null,
    reserved: tokens,
    state: models.get(m.id)?.snap ?? PRIOR,
    rpcs: 0,
    refused,
    onCredit: true,
  };
}

interface Offer {
  model: ModelSpec;
  need: Need;
  bid: Bid | null;
  poolBid: Bid | null;
}

/** Resolve with `null` once the request's deadline passes; the late answer is still handled by `late`. */
function withDeadline<T>(p: Promise<T>, watchdog: Watchdog, late: (v: T) => void): Promise<T | null> {
  let timedOut = false;
  return Promise.race([
    p.then(
      (v) => {
        if (timedOut) late(v);
        return v;
      },
      () => null,
    ),
    watchdog.expired.then(() => {
      timedOut = true;
      return null;
    }),
  ]);
}

export async function auction(input: AuctionInput): Promise<Winner | NoWinner> {
  const { env, ctx, settings } = input;
  let rpcs = 0;
  let retryAt = Infinity;
  let tooLarge = true;
  let refusals = 0;
  let confirmations = 0;
  let refused: Refusal[] | null = null;
  for (const group of input.groups) {
    const asked = new Set<string>();
    for (;;) {
      const now = Date.now();
      const probe = dueProbe(input, group, now, asked);
      const top = probe ? [probe] : leaders(input, group, now, asked, Math.max(1, settings.bidFanout));
      let picks: Ranked[];
      if (probe) picks = top;
      else if (top.length > 0) {
        // Ask one when this isolate's picture of the leader is fresh, a few when it is not.
        picks = top[0]?.fresh ? top.slice(0, 1) : top;
      } else {
        // Everything looks unavailable from here; confirm with the soonest-ready before answering 503,
        // since other isolates or an operator may have changed the picture.
        const ranked = blocked(input, group, now, asked);
        for (const r of ranked) retryAt = Math.min(retryAt, r.retryAt);
        // Worth confirming: what this isolate has not heard from lately, and what was merely full a moment ago
        // (reservations other requests did not use come back within milliseconds).
        const stale = ranked.filter((r) => !r.fresh || r.retryAt <= now || !r.cooling).sort((a, b) => a.retryAt - b.retryAt);
        // A hedge is optional: it never asks what does not look ample already.
        picks = confirmations < settings.bidFanout && !input.hedge ? stale.slice(0, 1) : [];
        confirmations += picks.length;
        if (picks.length === 0) {
          if (ranked.length > 0) tooLarge = false;
          break;
        }
      }
      // The leader's demand in this isolate decides whether to hold credit for it; with credit, no actor call.
      const leader = probe ? undefined : top[0];
      const want = leader && settings.creditMs > 0 ? demandFor(modelKey(leader.model.id)) : 0;
      if (leader) {
        const mk = modelKey(leader.model.id);
        let won = onCredit(input, leader.model, want, refused);
        // Credit for it on its way (asked by another request): wait for that rather than ask the actor again.
        if (!won && creditPending(mk) && (await awaitCredit(mk, input.tokensFor(leader.model)))) won = onCredit(input, leader.model, want, refused);
        if (won) return won;
      }
      for (const p of picks) asked.add(p.model.id);
      input.watchdog.onFire = () => undefined;
      input.watchdog.set(Date.now() + settings.bidDeadlineMs);
      const offers = await Promise.all(
        picks.map(async (p): Promise<Offer> => {
          const n = need(input, p.model);
          const pool = p.model.pool ? input.catalog.pools.get(p.model.pool) : undefined;
          const modelStub = env.MODEL_ACTOR.getByName(p.model.id);
          const mk = modelKey(p.model.id);
          const pk = pool ? poolKey(pool.id) : undefined;
          const ask = p === leader ? askFor(mk, want) : 0;
          const poolAsk = p === leader && pk !== undefined ? askFor(pk, want) : 0;
          const waitUntil = (x: Promise<unknown>): void => ctx.waitUntil(x);
          const modelAsked = since(mk);
          const poolAsked = pk !== undefined ? since(pk) : "";
          /** A grant that came with the bid is kept, even when the bid itself lost or came late. */
          const keep = (b: Bid | null, isPool: boolean): void => {
            if (!b?.ok || !b.credit) return;
            if (isPool && pool && pk !== undefined) hold(pk, b.credit, refundPool(env, pool.id), waitUntil, settings.creditMs, poolAsked);
            else if (!isPool) hold(mk, b.credit, refundModel(env, p.model.id), waitUntil, settings.creditMs, modelAsked);
          };
          const releaseLate = (b: Bid | null, isPool: boolean): void => {
            if (b?.ok) {
              if (!(isPool ? poolAsk : ask)) keep(b, isPool);
              const stub = isPool && pool ? env.POOL_ACTOR.getByName(pool.id) : modelStub;
              countRpc();
              ctx.waitUntil(stub.release(b.lease, n.tokens).catch(() => undefined));
            }
          };
          rpcs += pool ? 2 : 1;
          const carried = takeReports(env, p.model.id);
          let modelBid = (modelStub.bid(ask ? { ...n, credit: ask } : n, carried) as Promise<Bid>).catch((e: unknown) => {
            requeue(env, ctx, carried);
            throw e;
          });
          // A grant is kept as soon as it arrives: a request the actor refused meanwhile may spend it.
          if (ask) modelBid = answerOf(mk, modelBid.then((b) => (keep(b, false), b)));
          let poolBid0 = pool ? (env.POOL_ACTOR.getByName(pool.id).take(poolNeed(poolAsk ? { ...n, credit: poolAsk } : n, pool)) as Promise<Bid>) : null;
          if (poolBid0 && poolAsk && pk !== undefined) poolBid0 = answerOf(pk, poolBid0.then((b) => (keep(b, true), b)));
          const [bid, poolBid] = await Promise.all([
            withDeadline(modelBid, input.watchdog, (b) => releaseLate(b, false)),
            poolBid0 ? withDeadline(poolBid0, input.watchdog, (b) => releaseLate(b, true)) : Promise.resolve(null),
          ]);
          if (!ask) keep(bid, false);
          if (!poolAsk) keep(poolBid, true);
          if (bid) remember(p.model.id, bid.ok ? bid.state : briefly(bid));
          if (poolBid && pool) remember(pool.id, poolBid.ok ? poolBid.state : briefly(poolBid), true);
          return { model: p.model, need: n, bid, poolBid };
        }),
      );
      let best: Offer | null = null;
      let bestScore = -Infinity;
      const t = Date.now();
      for (const o of offers) {
        const pool = o.model.pool;
        const poolOk = !pool || o.poolBid?.ok === true;
        if (o.bid?.ok && poolOk) {
          const s = score(o.bid.state, t, input.preset.latencyWeight, abundance(o.model.limits.rpd));
          if (best === null || s > bestScore) {
            best = o;
            bestScore = s;
          }
          continue;
        }
        refusals++;
        for (const b of [o.bid, o.poolBid]) {
          if (b && !b.ok) {
            if (b.reason !== "too_large") tooLarge = false;
            retryAt = Math.min(retryAt, b.retryAt);
          }
        }
        const why = o.bid && !o.bid.ok ? o.bid.reason : o.poolBid && !o.poolBid.ok ? `pool ${o.poolBid.reason}` : "no answer in time";
        (refused ??= []).push({ model: o.model.id, reason: why });
        if (!o.bid || (pool && !o.poolBid)) {
          // No answer in time: the actor is busy or far; try again shortly.
          tooLarge = false;
          retryAt = Math.min(retryAt, t + 1000);
        }
      }
      // Give back what the losers reserved, off the critical path.
      for (const o of offers) {
        if (o === best) continue;
        if (o.bid?.ok) {
          rpcs++;
          ctx.waitUntil(env.MODEL_ACTOR.getByName(o.model.id).release(o.bid.lease, o.need.tokens).catch(() => undefined));
        }
        if (o.poolBid?.ok && o.model.pool) {
          rpcs++;
          ctx.waitUntil(env.POOL_ACTOR.getByName(o.model.pool).release(o.poolBid.lease, o.need.tokens).catch(() => undefined));
        }
      }
      if (!best) {
        // Refused for want of room while this isolate holds (or was just granted) credit for the model: that
        // credit was counted for this isolate's requests, so it serves this one.
        for (const o of offers) {
          const reason = o.bid && !o.bid.ok ? o.bid.reason : o.poolBid && !o.poolBid.ok ? o.poolBid.reason : null;
          if (!reason || !ROOM.has(reason)) continue;
          const t = input.tokensFor(o.model);
          const poolOk = !o.model.pool || (await awaitCredit(poolKey(o.model.pool), t));
          if (!(await awaitCredit(modelKey(o.model.id), t)) || !poolOk) continue;
          const won = onCredit(input, o.model, o === offers[0] ? want : 0, refused?.filter((r) => r.model !== o.model.id) || null);
          if (won) {
            countRpc(rpcs);
            return { ...won, rpcs, refused: won.refused?.length ? won.refused : null };
          }
        }
      }
      if (best?.bid?.ok) {
        countRpc(rpcs);
        return {
          ok: true,
          model: best.model,
          lease: best.bid.lease,
          poolLease: best.poolBid?.ok ? best.poolBid.lease : null,
          poolCloses: best.poolBid?.ok === true && best.poolBid.closes === true,
          reserved: best.need.tokens,
          state: best.bid.state,
          rpcs,
          refused,
        };
      }
    }
  }
  if (refusals === 0) tooLarge = false;
  countRpc(rpcs);
  return { ok: false, retryAt, tooLarge, rpcs, refused };
}

