// What chat and embeddings both do with an upstream failure: the caller's own error when the provider refused the
// request itself, when the failed model can take requests again, and the Retry-After that says so.

import type { FailureClass, FailureScope } from "../shared/actors.ts";
import { dailyRule } from "../shared/catalog/index.ts";
import type { ModelSpec, ProviderSpec } from "../shared/catalog/types.ts";
import { dailySpentUntil } from "../objects/day.ts";
import { AUTH_COOLDOWN_MS } from "../objects/health.ts";
import type { NormalizedError } from "./adapters/types.ts";
import { HttpError } from "./errors.ts";

/** An attempt that failed, as chat and embedding attempts both describe it. */
export interface UpstreamFailure {
  failure: FailureClass;
  scope: FailureScope;
  /** the provider does not serve this model to this account now (adapters' `Classified.gone`) */
  gone?: true;
  status: number;
  retryAfterMs?: number;
  /** secret-free, fit for the caller when the failure is theirs */
  message: string;
  error: NormalizedError | null;
}

/** The error a caller sees when the provider refused the request itself (invalid, policy, too long). */
export function callerError(f: UpstreamFailure, model: ModelSpec): HttpError {
  const status = f.status >= 400 && f.status < 500 ? f.status : 400;
  return new HttpError(status, `${model.id}: ${f.message}`, {
    type: status === 403 ? "permission_error" : "invalid_request_error",
    param: f.error?.param ?? null,
    code: f.failure === "context_length" ? "context_length_exceeded" : f.error?.code ?? null,
  });
}

/** When a model that failed in this request can take requests again (what its cooldown will be). */
export function retryAtAfter(f: UpstreamFailure, model: ModelSpec, provider: ProviderSpec | undefined): number {
  const now = Date.now();
  switch (f.failure) {
    case "throttle":
      return now + (f.retryAfterMs ?? 5_000);
    case "daily":
      // The provider's day, as its model's actor counts it (Groq's comes back a share at a time, not at midnight).
      return f.retryAfterMs !== undefined ? now + f.retryAfterMs : dailySpentUntil(dailyRule(provider), model.limits.rpd, now);
    case "auth":
      return now + AUTH_COOLDOWN_MS;
    default:
      return now + 5_000; // transient trouble: worth another try shortly
  }
}

/** Retry-After in whole seconds (at least 1) until `retryAt`; a minute when no moment is known. */
export function retryAfterSeconds(retryAt: number, now: number): string {
  if (!Number.isFinite(retryAt)) return "60";
  return String(Math.max(1, Math.ceil((retryAt - now) / 1000)));
}
