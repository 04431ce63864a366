// GET /v1/routing/status: per provider and model — configured, healthy, cooling down until when and why, quota left.

import type { ActorStatus } from "../../shared/actors.ts";
import { catalogFor } from "../../shared/catalog/index.ts";
import { remember } from "../auction.ts";
import type { Env } from "../env.ts";

/** Answers are reused briefly: each one costs a Durable Object request per model. */
const CACHE_MS = 2000;
let cached: { at: number; key: object; body: unknown } | null = null;

function view(s: ActorStatus | null, now: number): Record<string, unknown> {
  if (!s) return { healthy: null, state: "unknown" };
  const snap = s.snapshot;
  const cooling = snap.cooldownUntil > now;
  return {
    healthy: !cooling && !snap.disabled,
    state: snap.disabled ? "disabled" : cooling ? "cooling_down" : snap.halfOpen ? "probing" : "ready",
    cooldown_until: cooling ? new Date(snap.cooldownUntil).toISOString() : null,
    cooldown_reason: cooling ? snap.cooldownReason : null,
    remaining: s.remaining,
    limits: s.limits,
    daily_reset_at: new Date(s.dayResetAt).toISOString(),
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
              (s) => ({ id: pool.id, limits: pool.limits, ...(s.id ? view(s, now) : { state: "ready", remaining: null }) }),
              () => ({ id: pool.id, limits: pool.limits, state: "unknown" }),
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
        ...(statuses[i] ? view(statuses[i] ?? null, now) : { healthy: p.live ? true : null, state: p.live ? "ready" : "not_configured", limits: m.limits, remaining: null }),
      })),
    });
  }
  const body = { object: "routing.status", generated_at: new Date(now).toISOString(), providers };
  cached = { at: now, key: env, body };
  return Response.json(body);
}
