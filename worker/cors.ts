// CORS for browser callers: off unless CORS_ORIGINS lists origins (or "*"); preflights answered exactly.

import type { Env } from "./env.ts";

const ALLOW_HEADERS = "authorization, content-type, x-api-key, x-request-id, openai-beta, openai-organization, openai-project, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout";
const EXPOSE_HEADERS = "x-request-id, x-freeway-provider, x-freeway-model, x-freeway-attempts, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after";

const parsed = new WeakMap<object, ReadonlySet<string> | "*" | null>();

function allowedOrigins(env: Env): ReadonlySet<string> | "*" | null {
  let v = parsed.get(env);
  if (v === undefined) {
    const raw = typeof env.CORS_ORIGINS === "string" ? env.CORS_ORIGINS.trim() : "";
    v = raw === "" ? null : raw === "*" ? "*" : new Set(raw.split(",").map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean));
    parsed.set(env, v);
  }
  return v;
}

/** The Access-Control-Allow-Origin value for this request's Origin, or null when it is not allowed. */
function allowOrigin(request: Request, env: Env): string | null {
  const allowed = allowedOrigins(env);
  if (!allowed) return null;
  const origin = request.headers.get("origin");
  if (!origin) return null;
  if (allowed === "*") return "*";
  return allowed.has(origin) ? origin : null;
}

/** Headers for an actual (non-preflight) response. */
export function corsHeaders(request: Request, env: Env): Record<string, string> {
  const origin = allowOrigin(request, env);
  if (!origin) return {};
  return origin === "*"
    ? { "access-control-allow-origin": "*", "access-control-expose-headers": EXPOSE_HEADERS }
    : { "access-control-allow-origin": origin, "access-control-expose-headers": EXPOSE_HEADERS, vary: "Origin" };
}

/** The answer to a CORS preflight, or null when the request is not one. */
export function preflight(request: Request, env: Env): Response | null {
  if (request.method !== "OPTIONS" || !request.headers.get("access-control-request-method")) return null;
  const origin = allowOrigin(request, env);
  // An origin that is not allowed gets no CORS headers: the browser then blocks the call.
  if (!origin) return new Response(null, { status: 204, headers: { vary: "Origin" } });
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": "86400",
      vary: "Origin",
    },
  });
}
