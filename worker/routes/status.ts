// GET /v1/routing/status: per provider and model — configured, healthy, cooling down until when and why, quota left.

import type { ActorStatus } from "../../shared/actors.ts";
import { catalogFor, type ModelSpec, type PoolSpec, type ProviderSpec } from "../../shared/catalog/index.ts";
import { nextReset } from "../../objects/day.ts";
import { priorSnapshot } from "../../objects/score.ts";
import { remember } from "../auction.ts";
import type { Env } from "../env.ts";

/** Answers are reused briefly: each one costs a Durable Object request per model. */
const CACHE_MS = 2000;
let cached: { at: number; key: object; body: unknown } | null = null;

/** What an actor nobody has asked yet would say: the catalog's limits, all of them left. */
function untouched(m: ModelSpec | PoolSpec, provider: ProviderSpec, now: number): ActorStatus {
  const limits = m.limits;
  const rolling = provider.dailyRefill === "rolling";
  return {
    id: m.id,
    limits,
    defaults: limits,
    overrides: {},
    learned: {},
    remaining: { ...limits },
    // A rolling day with nothing used is whole now.
    dayResetAt: rolling ? now : nextReset(provider.dailyResetTimeZone, now),
    ...(rolling ? { rolling } : {}),
    snapshot: priorSnapshot(now),
    consecutiveFailures: 0,
    lastError: null,
  };
}

function view(s: ActorStatus, now: number, configured = true): Record<string, unknown> {
  const snap = s.snapshot;
  const cooling = snap.cooldownUntil > now;
  return {
    healthy: configured ? !cooling && !snap.disabled : null,
    state: !configured ? "not_configured" : snap.disabled ? "disabled" : cooling ? "cooling_down" : snap.halfOpen ? "probing" : "ready",
    cooldown_until: cooling ? new Date(snap.cooldownUntil).toISOString() : null,
    cooldown_reason: cooling ? snap.cooldownReason : null,
    remaining: s.remaining,
    limits: s.limits,
    daily_reset_at: new Date(s.dayResetAt).toISOString(),
    daily_refill: s.rolling ? "rolling" : "midnight",
    success_rate: Math.round(snap.success * 1000) / 1000,
    latency_ms: Math.round(snap.latencyMs),
    ttft_ms: Math.round(snap.ttftMs),
    consecutive_failures: s.consecutiveFailures,
    last_error: s.lastError,
  };
}

export async function routingStatus(_req: Request, env: Env): Promise<Response> {
  const now = Date.now();
  if (cached && cached.key === env && now - cached.at < CACHE_MS) return Response.json(cached.body);
  const body = await buildStatus(env, now);
  cached = { at: now, key: env, body };
  return Response.json(body);
}

export type RoutingStatus = Awaited<ReturnType<typeof buildStatus>>;

/** The live picture, asked of every actor now (the admin API uses it uncached). */
export async function buildStatus(env: Env, now = Date.now()) {
  const catalog = catalogFor(env);
  const providers = [];
  for (const p of catalog.providers.values()) {
    const models = catalog.models.filter((m) => m.provider === p.id);
    const statuses = p.live
      ? await Promise.all(
          models.map((m) =>
            (env.MODEL_ACTOR.getByName(m.id).status() as Promise<ActorStatus>).then(
              (s) => {
                // An actor never asked has no id yet: its limits are still the catalog's.
                if (s.id) remember(m.id, s.snapshot);
                return s.id ? s : null;
              },
              () => null,
            ),
          ),
        )
      : models.map(() => null);
    const pools = p.live
      ? await Promise.all(
          (p.pools ?? []).map((pool) =>
            (env.POOL_ACTOR.getByName(pool.id).status() as Promise<ActorStatus>).then(
              (s) => ({ id: pool.id, ...view(s.id ? s : untouched(pool, p, now), now) }),
              () => ({ id: pool.id, ...view(untouched(pool, p, now), now), state: "unknown" }),
            ),
          ),
        )
      : [];
    providers.push({
      id: p.id,
      name: p.name,
      configured: p.live,
      custom: p.custom,
      pools,
      models: models.map((m, i) => ({
        id: m.id,
        kind: m.kind,
        configured: p.live,
        ...view(statuses[i] ?? untouched(m, p, now), now, p.live),
      })),
    });
  }
  return { object: "routing.status" as const, generated_at: new Date(now).toISOString(), providers };
}
