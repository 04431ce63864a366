// Outcomes on their way to the actors. Failures go at once (they set cooldowns); successes wait briefly and
// ride along with the next bid to the same model, so a busy model costs one actor call per request, not two.

import type { Outcome, Snapshot } from "../shared/actors.ts";
import { tokensUsed } from "../objects/limiter.ts";
import { priorSnapshot } from "../objects/score.ts";
import { cleared, remember, remembered, suspect } from "./auction.ts";
import { catalogFor } from "../shared/catalog/index.ts";
import type { ProviderSpec } from "../shared/catalog/types.ts";
import type { Usage } from "./adapters/types.ts";
import { drop, modelKey, poolKey } from "./credits.ts";
import type { Env } from "./env.ts";
import { settingsFor } from "./settings.ts";
import { countRpc } from "./stats.ts";

interface Pending {
  env: Env;
  outcomes: Outcome[];
}

const pending = new Map<string, Pending>();
/** Failures on their way to their actors, by model (how many): `heard` waits for them. */
const failing = new Map<string, number>();
/** The longest `heard` waits: a report that slow says nothing the 503 cannot do without. */
const HEARD_MAX_MS = 1_000;

/**
 * Once the failures reported for `models` have reached their actors (or failed to): the isolate then remembers the
 * cooldown each actor set, which may be longer than the failure itself said (a backoff, a breaker opening). It
 * looks again on timers of its own, as credits.ts `awaitCredit` does: a request must not await another's promise.
 */
export async function heard(models: Iterable<string>): Promise<void> {
  const ids = [...models];
  const deadline = Date.now() + HEARD_MAX_MS;
  while (ids.some((m) => failing.has(m)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
}
let flushing: Promise<void> | null = null;

/** A batch this large goes at once. */
const MAX_BATCH = 64;

function send(env: Env, model: string, outcomes: Outcome[]): Promise<void> {
  countRpc();
  const stub = env.MODEL_ACTOR.getByName(model);
  const call = outcomes.length === 1 && !(outcomes[0] as Outcome).ok ? stub.report(outcomes[0] as Outcome) : stub.reportMany(outcomes);
  return (call as Promise<Snapshot>)
    .then((snap) => remember(model, snap))
    .catch((e: unknown) => console.error("report failed", model, e instanceof Error ? e.message : String(e)));
}

function flushAll(): Promise<void> {
  const batches = [...pending.entries()];
  pending.clear();
  return Promise.all(batches.map(([model, p]) => send(p.env, model, p.outcomes))).then(() => undefined);
}

/**
 * What the actor counts against the provider's token limits: the prompt alone where they count only that, and
 * without the cached part where cached tokens are free.
 */
function limitTokens(u: Usage, p: ProviderSpec | undefined): Usage {
  const prompt = p?.cachedTokensFree && u.cached ? Math.max(0, u.prompt - u.cached) : u.prompt;
  const completion = p?.tokenLimitsCount === "input" ? 0 : u.completion;
  return prompt === u.prompt && completion === u.completion ? u : { prompt, completion };
}

/** Record an attempt's outcome; the request's waitUntil keeps the isolate alive until it has been delivered. */
export function report(env: Env, ctx: ExecutionContext, given: Outcome): void {
  const catalog = catalogFor(env);
  const provider = catalog.model(given.model)?.provider;
  const counted = given.usage && limitTokens(given.usage, catalog.providers.get(provider ?? ""));
  let outcome = counted && counted !== given.usage ? { ...given, usage: counted } : given;
  // The shared pool holds a slot or a token reservation for this admission: it is closed now, as the model's is.
  if (outcome.poolLease) {
    const { poolLease, ...rest } = outcome;
    outcome = rest;
    const poolId = catalog.model(outcome.model)?.pool;
    if (poolId) {
      countRpc();
      ctx.waitUntil(
        (env.POOL_ACTOR.getByName(poolId).finish(poolLease, outcome.reserved, tokensUsed(outcome)) as Promise<void>).catch((e: unknown) =>
          console.error("pool report failed", poolId, e instanceof Error ? e.message : String(e)),
        ),
      );
    }
  }
  if (outcome.ok) cleared(outcome.model, provider);
  // A model the provider no longer serves is no sign of the provider failing (chat.ts tries its siblings).
  else if (outcome.failure === "transient") suspect(outcome.model, outcome.gone ? undefined : provider);
  if (!outcome.ok) {
    coolLocally(outcome);
    // Credit was granted while the model was healthy: after a failure, its next requests ask again.
    if (outcome.failure && !outcome.abandoned) {
      const back = drop(modelKey(outcome.model));
      if (back) ctx.waitUntil(back);
      // An account-wide failure ends the credit of the pool every model of the account spends.
      const pool = outcome.scope === "pool" ? catalogFor(env).model(outcome.model)?.pool : undefined;
      const poolBack = pool ? drop(poolKey(pool)) : undefined;
      if (poolBack) ctx.waitUntil(poolBack);
    }
    const model = outcome.model;
    failing.set(model, (failing.get(model) ?? 0) + 1);
    ctx.waitUntil(
      send(env, model, [outcome]).finally(() => {
        const left = (failing.get(model) ?? 1) - 1;
        if (left > 0) failing.set(model, left);
        else failing.delete(model);
      }),
    );
    return;
  }
  const p = pending.get(outcome.model);
  if (p && p.env === env) p.outcomes.push(outcome);
  else {
    if (p) ctx.waitUntil(send(p.env, outcome.model, p.outcomes));
    pending.set(outcome.model, { env, outcomes: [outcome] });
  }
  if ((pending.get(outcome.model)?.outcomes.length ?? 0) >= MAX_BATCH) {
    const full = pending.get(outcome.model) as Pending;
    pending.delete(outcome.model);
    ctx.waitUntil(send(env, outcome.model, full.outcomes));
    return;
  }
  if (flushing) return; // the request that started the timer keeps the isolate alive until the flush is done
  // The timer is over once it fires: outcomes reported while that flush is on its way start the next one.
  flushing = new Promise<void>((resolve) => setTimeout(resolve, settingsFor(env).reportFlushMs)).then(() => {
    flushing = null;
    return flushAll();
  });
  ctx.waitUntil(flushing);
}

/**
 * Until the actor confirms, this isolate stops choosing a model the provider just throttled or refused, so
 * requests in the same isolate do not follow the failed one there in the meantime.
 */
function coolLocally(o: Outcome): void {
  if (o.failure !== "throttle" && o.failure !== "daily" && o.failure !== "auth") return;
  const now = Date.now();
  const snap = remembered(o.model) ?? priorSnapshot(now);
  const until = now + (o.retryAfterMs ?? 1000);
  if (snap.cooldownUntil < until) remember(o.model, { ...snap, at: now, cooldownUntil: until, cooldownReason: o.failure });
}

/** Outcomes waiting for this model, handed to a bid that is about to go there (and taken off the queue). */
export function takeReports(env: Env, model: string): Outcome[] | undefined {
  const p = pending.get(model);
  if (!p || p.env !== env) return undefined;
  pending.delete(model);
  return p.outcomes;
}

/** A bid that failed to arrive could not deliver what it carried: queue it again. */
export function requeue(env: Env, ctx: ExecutionContext, outcomes: readonly Outcome[] | undefined): void {
  for (const o of outcomes ?? []) report(env, ctx, o);
}
