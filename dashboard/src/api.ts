// Talking to the gateway that served this page: the typed admin client (signed in) and the public endpoints
// (anyone). Every failure becomes a GatewayError whose kind decides what the page shows.

import { createAdminClient } from "../../admin-client/index.ts";
import type { PublicAnalytics, RoutingStatus } from "./types.ts";

export type AdminClient = ReturnType<typeof createAdminClient>;

export type FailureKind = "unreachable" | "refused" | "admin_off" | "rate_limited" | "server";

export class GatewayError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** when the gateway said how long to wait (Retry-After) */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** A request that hangs is as bad as a refused one: give up in time for the next poll. */
const TIMEOUT_MS = 8000;

function retryAfter(res: Response): number | null {
  const s = Number(res.headers.get("retry-after"));
  return Number.isFinite(s) && s > 0 ? s * 1000 : null;
}

/** fetch, with a deadline, and with the failures the page tells apart turned into GatewayErrors. */
export async function gatewayFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(input, { ...init, signal, cache: "no-store" });
  } catch (e) {
    if (init.signal?.aborted) throw e;
    throw new GatewayError("unreachable", "The gateway does not answer.");
  }
  if (res.status === 401) throw new GatewayError("refused", "The gateway refused the admin token.");
  // 403: ADMIN_TOKEN is not set on the gateway, so no token can work (worker/admin/handler.ts).
  if (res.status === 403) throw new GatewayError("admin_off", "The admin API is off on this gateway: set ADMIN_TOKEN to use it.");
  if (res.status === 429) throw new GatewayError("rate_limited", "The gateway is rate-limiting this browser.", retryAfter(res));
  // A proxy's or the runtime's own error page (not a tRPC error body) means the gateway itself is in trouble.
  if (res.status >= 500 && !(res.headers.get("content-type") ?? "").includes("json")) {
    throw new GatewayError("server", `The gateway answered ${res.status}.`);
  }
  return res;
}

/** The GatewayError behind whatever was thrown (the tRPC client wraps what its fetch throws in `cause`). */
export function asGatewayError(e: unknown): GatewayError {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof GatewayError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return new GatewayError("server", e instanceof Error ? e.message : String(e));
}

export function adminClient(token: string): AdminClient {
  return createAdminClient({ url: location.origin, token, fetch: gatewayFetch, operator: "dashboard" });
}

async function getJson<T>(path: string, signal: AbortSignal): Promise<T> {
  const res = await gatewayFetch(path, { signal, headers: { accept: "application/json" } });
  if (!res.ok) throw new GatewayError("server", `${path} answered ${res.status}.`);
  return (await res.json()) as T;
}

export function publicStatus(signal: AbortSignal): Promise<RoutingStatus> {
  return getJson<RoutingStatus>("/v1/routing/status", signal);
}

export function publicAnalytics(signal: AbortSignal): Promise<PublicAnalytics> {
  return getJson<PublicAnalytics>("/v1/analytics?hours=24", signal);
}

/**
 * The admin API's routing.status: the same entries as the public endpoint, built server-side as plain records
 * (worker/routes/status.ts), so their documented shape is asserted here, once.
 */
export async function adminStatus(admin: AdminClient, signal: AbortSignal): Promise<RoutingStatus> {
  return (await admin.routing.status.query(undefined, { signal })) as unknown as RoutingStatus;
}
