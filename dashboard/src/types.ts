// What the dashboard reads: the admin API's outputs (inferred from the server's AppRouter, types only) and the
// JSON of the public endpoints.

import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../admin-client/index.ts";

type Out = inferRouterOutputs<AppRouter>;

export type Summary = Out["analytics"]["summary"];
export type Breakdown = Summary["totals"];
export type Bucket = Out["analytics"]["timeseries"][number];
export type LatencySeries = Out["analytics"]["latency"];
export type Forecast = Out["analytics"]["forecast"][number];
export type LogRecord = Out["analytics"]["requests"][number];
export type KeyRecord = Out["keys"]["list"][number];
export type ModelView = Out["models"]["get"];
export type ActorStatus = Out["models"]["setLimits"];

export interface Limits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
  tpd?: number;
  concurrency?: number;
}

export type ModelState = "ready" | "cooling_down" | "disabled" | "probing" | "not_configured" | "unknown";

/** One entry of GET /v1/routing/status (worker/routes/status.ts `view`), for a model or a shared pool. */
export interface StatusEntry {
  id: string;
  healthy: boolean | null;
  state: ModelState;
  cooldown_until: string | null;
  cooldown_reason: string | null;
  remaining: Limits;
  limits: Limits;
  daily_reset_at: string;
  success_rate: number;
  latency_ms: number;
  ttft_ms: number;
  consecutive_failures: number;
  last_error: string | null;
}

export interface StatusModel extends StatusEntry {
  kind: string;
  configured: boolean;
}

export interface StatusProvider {
  id: string;
  name: string;
  configured: boolean;
  custom: boolean;
  pools: StatusEntry[];
  models: StatusModel[];
}

export interface RoutingStatus {
  generated_at: string;
  providers: StatusProvider[];
}

/** GET /v1/analytics */
export interface PublicAnalytics {
  since: string;
  until: string;
  totals: Breakdown;
  providers: Breakdown[];
  models: Breakdown[];
}
