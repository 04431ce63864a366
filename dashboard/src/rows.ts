// The providers-and-models table's rows: the routing status, the quota forecast and the day's traffic, joined
// per model. Pure (tested in test/unit/dashboard-rows).

import { priorSnapshot } from "../../objects/score.ts";
import type { Breakdown, Forecast, Limits, ModelState, RoutingStatus, StatusModel, StatusProvider } from "./types.ts";

export interface ModelRow {
  id: string;
  provider: string;
  providerName: string;
  kind: string;
  configured: boolean;
  state: ModelState;
  enabled: boolean;
  /** in this browser's clock (corrected for the server's) */
  cooldownUntil: number | null;
  cooldownReason: string | null;
  latencyMs: number | null;
  ttftMs: number | null;
  successRate: number | null;
  limits: Limits;
  remaining: Limits;
  /** 0..1, the tightest of the limits it has; null when it has none */
  headroom: number | null;
  /** the earliest daily allowance that runs out at the current rate */
  exhaustsAt: number | null;
  /** true: no daily allowance runs out before the reset; null: no forecast (no daily limit or no data) */
  lasts: boolean | null;
  requests: number | null;
  lastError: string | null;
}

const DIMS = ["rpm", "rpd", "tpm", "tpd"] as const;
const PRIOR = priorSnapshot(0);

/**
 * A model no request has reached reports the router's prior (1.5 s, 90 %…), not a measurement: the table shows
 * "—" for it rather than numbers nobody measured.
 */
export function measured(m: Pick<StatusModel, "latency_ms" | "ttft_ms" | "success_rate" | "consecutive_failures">): boolean {
  return !(
    m.latency_ms === Math.round(PRIOR.latencyMs) &&
    m.ttft_ms === Math.round(PRIOR.ttftMs) &&
    m.success_rate === Math.round(PRIOR.success * 1000) / 1000 &&
    m.consecutive_failures === 0
  );
}

/** The limit with the least share left: what will refuse the next request first. */
export function tightest(limits: Limits, remaining: Limits): { dim: (typeof DIMS)[number]; left: number; cap: number } | null {
  let best: { dim: (typeof DIMS)[number]; left: number; cap: number } | null = null;
  for (const d of DIMS) {
    const cap = limits[d];
    const left = remaining[d];
    if (cap === undefined || left === undefined || cap <= 0) continue;
    if (!best || left / cap < best.left / best.cap) best = { dim: d, left, cap };
  }
  return best;
}

/** The tightest remaining share over the limits a model has (1 = untouched). */
export function headroom(limits: Limits, remaining: Limits): number | null {
  let min: number | null = null;
  for (const d of DIMS) {
    const cap = limits[d];
    const left = remaining[d];
    if (cap === undefined || left === undefined || cap <= 0) continue;
    const share = Math.max(0, Math.min(1, left / cap));
    min = min === null ? share : Math.min(min, share);
  }
  return min;
}

/**
 * Milliseconds to add to the server's timestamps to get this browser's clock: countdowns then run right even
 * when the two clocks disagree. `generatedAt` is when the server built the answer; `receivedAt` when it arrived.
 */
export function clockOffset(generatedAt: string, receivedAt: number): number {
  const t = Date.parse(generatedAt);
  return Number.isFinite(t) ? receivedAt - t : 0;
}

export function modelRows(status: RoutingStatus, offset: number, forecasts: readonly Forecast[] | null, traffic: readonly Breakdown[] | null): ModelRow[] {
  const byModel = new Map<string, Forecast[]>();
  for (const f of forecasts ?? []) if (f.kind === "model") byModel.set(f.id, [...(byModel.get(f.id) ?? []), f]);
  const requests = new Map((traffic ?? []).map((b) => [b.id, b.requests]));
  return status.providers.flatMap((p: StatusProvider) =>
    p.models.map((m): ModelRow => {
      const fc = byModel.get(m.id) ?? [];
      const soonest = fc.reduce<number | null>((t, f) => (f.exhaustedAt !== null && (t === null || f.exhaustedAt < t) ? f.exhaustedAt : t), null);
      const until = m.cooldown_until ? Date.parse(m.cooldown_until) + offset : null;
      const answered = m.configured && m.state !== "not_configured" && measured(m);
      return {
        id: m.id,
        provider: p.id,
        providerName: p.name,
        kind: m.kind,
        configured: m.configured,
        state: m.state,
        enabled: m.state !== "disabled",
        cooldownUntil: until,
        cooldownReason: m.cooldown_reason,
        latencyMs: answered ? m.latency_ms : null,
        ttftMs: answered ? m.ttft_ms : null,
        successRate: answered ? m.success_rate : null,
        limits: m.limits,
        remaining: m.remaining,
        headroom: headroom(m.limits, m.remaining),
        exhaustsAt: soonest === null ? null : soonest + offset,
        lasts: fc.length === 0 ? null : fc.every((f) => f.lastsUntilReset),
        requests: traffic ? (requests.get(m.id) ?? 0) : null,
        lastError: m.last_error,
      };
    }),
  );
}

export interface ProviderRow {
  id: string;
  name: string;
  configured: boolean;
  models: number;
  ready: number;
  cooling: number;
  disabled: number;
}

export function providerRows(status: RoutingStatus): ProviderRow[] {
  return status.providers.map((p) => ({
    id: p.id,
    name: p.name,
    configured: p.configured,
    models: p.models.length,
    ready: p.models.filter((m) => m.state === "ready" || m.state === "probing").length,
    cooling: p.models.filter((m) => m.state === "cooling_down").length,
    disabled: p.models.filter((m) => m.state === "disabled").length,
  }));
}
